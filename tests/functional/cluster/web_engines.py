"""PostgreSQL, graphmetrics-web processes and haproxy on 127.0.0.1, for the web tier's
cluster tests: each is the real program, started in a temporary folder, from the
command lines and configuration of :mod:`graphmetrics.demo.engines` (``make
demo-cluster`` runs the same).

``initdb`` and ``postgres`` refuse to run as root: as root they run as the
``postgres`` user (``runuser``) on a folder that user owns.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmetrics.demo import engines
from graphmetrics.demo.engines import PG_BIN, as_postgres
from tests.functional.cluster.harness import BIN, EngineError, free_port, stop, wait_until


@dataclass
class Postgres:
    """A PostgreSQL server of its own (trust authentication, 127.0.0.1 only)."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return engines.postgres_url(self.port, database)

    def pg_ctl(self, *args: str) -> None:
        argv = as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", *args])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = (self.root / "postgres.log").read_text(errors="replace")[-2000:]
            raise EngineError(f"pg_ctl {args[-1]} failed: {done.stderr}\n{log}")

    def start(self) -> None:
        options = engines.postgres_options(self.root, self.port)
        self.pg_ctl("-l", str(self.root / "postgres.log"), "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"
        with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(sql.encode())
            return cur.fetchall() if cur.description else []

    def create_database(self, name: str) -> str:
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def postgres() -> Iterator[Postgres]:
    root = Path(tempfile.mkdtemp(prefix="graphmetrics-pg-"))
    try:
        try:
            engines.init_postgres(root)
        except engines.SetupError as exc:
            raise EngineError(str(exc)) from None
        server = Postgres(root, free_port())
        server.start()
        try:
            yield server
        finally:
            if (server.data / "postmaster.pid").exists():
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


APP_INI = """\
[app:main]
use = egg:graphmetrics
rrd_dir = {rrd_dir}
db_url = {db_url}
dev_login = true
{secret}
web_processes = {processes}
db_pool_size = 2
db_max_overflow = 2

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:6543
threads = 4

[loggers]
keys = root, graphmetrics, alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_graphmetrics]
level = INFO
handlers =
qualname = graphmetrics

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)s [%(name)s] %(message)s
"""


def write_app_ini(
    path: Path,
    rrd_dir: Path,
    db_url: str,
    auth_secret: str | None = "cluster-secret",
    processes: int = 2,
) -> Path:
    secret = f"auth_secret = {auth_secret}" if auth_secret else ""
    text = APP_INI.format(rrd_dir=rrd_dir, db_url=db_url, secret=secret, processes=processes)
    path.write_text(text)
    return path


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMETRICS_")}


@dataclass
class WebProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_web(config: Path, log: Path) -> WebProcess:
    port = free_port()
    argv = [str(BIN / "graphmetrics-web"), "--config", str(config), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=clean_env())
    return WebProcess(proc, port, log)


def wait_serving(web: WebProcess, timeout: float = 30.0) -> None:
    def ready() -> bool:
        if web.proc.poll() is not None:
            raise EngineError(f"graphmetrics-web exited {web.proc.returncode}:\n{web.output()}")
        try:
            return request(web.port, "GET", "/healthz").status == 200
        except OSError:
            return False

    wait_until(ready, timeout, f"graphmetrics-web on port {web.port}", interval=0.2)


@dataclass
class Haproxy:
    proc: subprocess.Popen[bytes]
    port: int
    root: Path
    servers: list[str] = field(default_factory=list)

    def stat(self) -> dict[str, dict[str, str]]:
        """``show stat`` of the stats socket: one row per server, by server name."""
        import socket

        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.root / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows if row["svname"] in self.servers}


@contextmanager
def haproxy(root: Path, ports: list[int]) -> Iterator[Haproxy]:
    port = free_port()
    names = [f"web{n}" for n in range(1, len(ports) + 1)]
    cfg = root / "haproxy.cfg"
    cfg.write_text(engines.haproxy_config(port, ports, root / "haproxy.sock", "500ms"))
    log = root / "haproxy.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(engines.haproxy_command(cfg), stdout=out, stderr=out)
    balancer = Haproxy(proc, port, root, names)
    try:
        wait_until(
            lambda: proc.poll() is None and (root / "haproxy.sock").exists(),
            15,
            f"haproxy ({log.read_text(errors='replace')[-500:]})",
            interval=0.1,
        )
        yield balancer
    finally:
        stop(proc)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


class Client:
    """One browser: its cookies, sent to whichever port a request goes to."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def send(self, port: int, method: str, path: str, body: Any = None) -> Answer:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and "csrf_token" in self.cookies:
            headers["X-CSRF-Token"] = self.cookies["csrf_token"]
        answer = request(port, method, path, body, headers)
        for raw in answer.headers.get_all("Set-Cookie") or ():
            name, _, value = raw.split(";", 1)[0].strip().partition("=")
            if value and "max-age=0" not in raw.lower().replace(" ", ""):
                self.cookies[name] = value  # as sent, quotes included
            else:
                self.cookies.pop(name, None)
        return answer
