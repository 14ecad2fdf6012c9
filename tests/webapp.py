"""The one way tests and benchmarks build the web app (pyramid-cookiecutter's chain).

ini file (``etc/testing.ini``) → settings (:func:`testing_settings`, with the test's
RRD directory and database on top) → app (:func:`wsgi_app`) → client
(:func:`testapp`, :func:`signed_in_app`, :class:`Browser`).  The pytest fixtures
over these functions are in ``tests/conftest.py``; ``bench/`` calls the functions.

``configure()`` merges ``GRAPHMETRICS_*`` variables into the settings, so a
developer's shell must not leak into the app: the test session runs without them
(``tests/conftest.py``), and scripts use :func:`without_graphmetrics_env`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyramid.paster import get_appsettings
from pyramid.router import Router
from pyramid_services import find_service_factory
from webtest import TestApp

from graphmetrics.web import configure, tracelog
from tests.helpers import REPO, free_port, listening, wait_for

INI = REPO / "etc" / "testing.ini"
ENV_PREFIX = "GRAPHMETRICS_"


def graphmetrics_env_keys() -> list[str]:
    return [key for key in os.environ if key.startswith(ENV_PREFIX)]


@contextmanager
def without_graphmetrics_env() -> Iterator[None]:
    """``GRAPHMETRICS_*`` out of ``os.environ`` for the block, put back after it."""
    saved = {key: os.environ.pop(key) for key in graphmetrics_env_keys()}
    try:
        yield
    finally:
        os.environ.update(saved)


def testing_settings(ini: Path = INI, **overrides: Any) -> dict[str, Any]:
    """``ini``'s ``[app:main]`` settings with ``overrides`` on top (e.g. rrd_dir, db_url)."""
    return {**get_appsettings(str(ini), name="main"), **overrides}


def wsgi_app(settings: dict[str, Any]) -> Router:
    """The app as ``main()`` builds it, from settings the caller owns (copied here)."""
    return configure(dict(settings)).make_wsgi_app()


def testapp(settings: dict[str, Any]) -> TestApp:
    """A WebTest client of a new app; nobody signed in."""
    return TestApp(wsgi_app(settings))


def registered(app: TestApp | Router, iface: Any) -> Any:
    """The service the app registered for ``iface`` (one object shared by its requests)."""
    router = app.app if isinstance(app, TestApp) else app
    return find_service_factory(router, iface).service


def sign_in(app: TestApp, user: str) -> TestApp:
    """Sign ``app``'s client in as ``user`` through the development login."""
    app.get("/login", {"user": user}, status=302)
    return app


def signed_in_app(rrd_dir: Path, user: str, **overrides: Any) -> TestApp:
    """testing.ini's app on ``rrd_dir`` (an in-memory database), ``user`` signed in."""
    return sign_in(testapp(testing_settings(rrd_dir=str(rrd_dir), **overrides)), user)


def instance_graph(stem: str) -> dict[str, Any]:
    """The tracelog page's graph of one instance, by its file stem."""
    inst = tracelog.parse_stem(stem)
    assert inst is not None, stem
    return tracelog.instance_graph(inst)


@contextmanager
def web_process(
    settings: dict[str, Any], ini: Path, server: str = ""
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``graphmetrics-web`` over ``settings`` on a free port, its ini file written to
    ``ini`` (``server``: more ``[server:main]`` lines); (port, process), killed at the end
    (a frozen server ignores SIGTERM: its handler needs the GIL)."""
    port = free_port()
    ini.write_text(
        "[app:main]\nuse = egg:graphmetrics\n"
        + "".join(f"{key} = {value}\n" for key, value in settings.items())
        + f"[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:{port}\nthreads = 8\n"
        + server
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    command = [str(Path(sys.executable).parent / "graphmetrics-web"), "--config", str(ini)]
    proc = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(lambda: listening(port) or proc.poll() is not None, 60, what="graphmetrics-web")
        if proc.poll() is not None:
            raise AssertionError(f"graphmetrics-web exited with status {proc.returncode}")
        yield port, proc
    finally:
        proc.kill()
        proc.wait(10)


class Browser:
    """One signed-in user's WebTest client, sending the CSRF token on writes."""

    def __init__(self, app: TestApp, user: str) -> None:
        self.app = app
        self.user = user
        app.get(f"/login?user={user}", status=302)
        app.get(f"/{user}/default/", status=200)  # sets the CSRF cookie

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.app.cookies["csrf_token"]}

    def page_api(
        self, owner: str | None = None, page: str = "default", section: str = "tracelog"
    ) -> str:
        return f"/api/pages/{section}/{owner or self.user}/{page}"

    def get(self, url: str, **kw: Any) -> Any:
        return self.app.get(url, **kw)

    def put(self, url: str, body: Any, **kw: Any) -> Any:
        return self.app.put_json(url, body, headers=self.headers, **kw)

    def post(self, url: str, body: Any, **kw: Any) -> Any:
        return self.app.post_json(url, body, headers=self.headers, **kw)

    def delete(self, url: str, body: Any, **kw: Any) -> Any:
        return self.app.delete_json(url, body, headers=self.headers, **kw)

    def definition(self, stem: str = "app1__acme__inst1") -> dict[str, Any]:
        return self.get(f"/api/tracelog/graph?kind=instance&instance={stem}").json["definition"]

    def save(self, graphs: list[dict[str, Any]], page: str = "default", **kw: Any) -> Any:
        current = self.get(self.page_api(page=page)).json
        return self.put(
            self.page_api(page=page), {"generation": current["generation"], "graphs": graphs}, **kw
        )
