"""graphite-web itself, driven over stdin/stdout: run by Debian's python3, not the venv.

``python3 graphite_web.py STORAGE_DIR`` sets up Debian's graphite-web (1.1.x) with a
settings module of its own (whisper files in ``STORAGE_DIR/whisper``, a SQLite
database, UTC, no tag database), then answers one JSON request per stdin line with
one JSON line:

* ``{"write": "a/b/c", "archives": [[60, 1600], ...], "points": [[ts, v], ...],
  "now": N}`` creates ``whisper/a/b/c.wsp`` and writes the points as of ``now``
  (with ``"live": true`` an hour at a time as they happen, as carbon would);
* ``{"get": "/render/?target=..."}`` → ``{"status": 200, "body": "..."}``, through
  Django's test client: the full graphite-web request path, URL parsing included;
* ``{"functions": true}`` → ``{name: {"group": ..., "params": [...]}}``, each
  function's metadata as registered (``/functions/`` itself fails on Python 3.11:
  it calls ``inspect.getargspec``).

``python3 graphite_web.py STORAGE_DIR --serve PORT`` serves the same graphite-web
over HTTP on 127.0.0.1:PORT with Debian's waitress (8 threads), as a deployment
would (``bench/side_by_side.py``); it prints ``{"ready": true}`` first.
"""

import json
import os
import sys
import tempfile

SETTINGS = """
SECRET_KEY = "graphmetrics-comparison-tests"
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {logs!r}
INDEX_FILE = {index!r}
TIME_ZONE = "UTC"
TAGDB = ""
ALLOWED_HOSTS = ["*"]
DEFAULT_CACHE_DURATION = 0
DATABASES = {{"default": {{"NAME": {db!r}, "ENGINE": "django.db.backends.sqlite3"}}}}
"""


def setup(storage):
    whisper_dir = os.path.join(storage, "whisper")
    logs = os.path.join(storage, "log")
    for folder in (whisper_dir, logs):
        os.makedirs(folder, exist_ok=True)
    settings_dir = tempfile.mkdtemp(dir=storage)
    with open(os.path.join(settings_dir, "gm_graphite_settings.py"), "w") as out:
        out.write(
            SETTINGS.format(
                storage=storage,
                whisper=whisper_dir + "/",
                logs=logs,
                index=os.path.join(storage, "index"),
                db=os.path.join(storage, "graphite.db"),
            )
        )
    sys.path.insert(0, settings_dir)
    os.environ["GRAPHITE_SETTINGS_MODULE"] = "gm_graphite_settings"
    os.environ["DJANGO_SETTINGS_MODULE"] = "graphite.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    return whisper_dir


def write(whisper_dir, request):
    import whisper

    path = os.path.join(whisper_dir, request["write"] + ".wsp")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    archives = [tuple(a) for a in request["archives"]]
    whisper.create(path, archives, xFilesFactor=0.5, aggregationMethod="average")
    points = [tuple(p) for p in request["points"] if p[1] is not None]
    if request.get("live"):  # as carbon writes: an hour at a time, lower archives propagated
        for i in range(0, len(points), 60):
            chunk = points[i : i + 60]
            whisper.update_many(path, chunk, now=chunk[-1][0])
    else:
        whisper.update_many(path, points, now=request["now"])
    return {"status": 0}


def functions():
    from graphite.functions import SeriesFunctions

    return {
        name: {
            "group": func.group,
            "params": [p.toJSON() for p in func.params],
        }
        for name, func in SeriesFunctions().items()
    }


def serve(port):
    from django.core.wsgi import get_wsgi_application
    from waitress import serve as waitress_serve

    app = get_wsgi_application()
    print(json.dumps({"ready": True}), flush=True)
    waitress_serve(app, listen=f"127.0.0.1:{port}", threads=8, _quiet=True)


def main():
    whisper_dir = setup(sys.argv[1])
    if sys.argv[2:3] == ["--serve"]:
        serve(int(sys.argv[3]))
        return
    from django.test import Client

    client = Client(raise_request_exception=False)  # a failing view is a 500, not our end
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "write" in request:
            answer = write(whisper_dir, request)
        elif "functions" in request:
            answer = functions()
        else:
            response = client.get(request["get"])
            answer = {"status": response.status_code, "body": response.content.decode()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
