"""The real app in its own ``graphmetrics-web`` process, for requests that could stall it.

A request that freezes a process holding the GIL would freeze the test with it; here
the test only waits on sockets, with a deadline, and kills the server at the end.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from tests.webapp import testing_settings, web_process

USER = "staller"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str]


def _answer(res: http.client.HTTPResponse) -> Answer:
    headers = res.getheaders()
    cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    return Answer(res.status, {k.lower(): v for k, v in headers}, res.read(), cookies)


@dataclass
class Served:
    port: int
    cookie: str = ""

    def get(self, path: str, params: dict[str, str] | None = None, timeout: float = 60) -> Answer:
        """GET ``path``; raises ``TimeoutError`` when no answer comes within ``timeout``."""
        url = path + ("?" + urlencode(params) if params else "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", url, headers={"Cookie": self.cookie} if self.cookie else {})
            return _answer(conn.getresponse())
        finally:
            conn.close()

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers={"Cookie": self.cookie, **headers})
            return _answer(conn.getresponse())
        finally:
            conn.close()


@contextmanager
def serve(rrd_dir: Path, tmp: Path, server: str = "", **settings: str) -> Iterator[Served]:
    """``graphmetrics-web`` on a free port over ``rrd_dir``, its client signed in."""
    app = testing_settings(rrd_dir=str(rrd_dir), db_url=f"sqlite:///{tmp}/saved.sqlite", **settings)
    with web_process(app, tmp / "served.ini", server) as (port, _):
        served = Served(port)
        login = served.get("/login", {"user": USER})
        assert login.status == 302, login.status
        served.cookie = "; ".join(login.cookies)
        yield served
