"""The real app through WebTest: testing.ini → settings → app → ``testapp``.

Each test gets its own RRD directory (with a few tracelog instances) and its own
SQLite file, so tests never see each other's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyramid.paster import get_appsettings
from webtest import TestApp

from graphmetrics.web import configure
from tests.conftest import REPO
from tests.functional.web_app.data import write_tracelog

INI = REPO / "etc" / "testing.ini"


@pytest.fixture(autouse=True)
def _no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("GRAPHMETRICS_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def tracelog_rrds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rrd")
    write_tracelog(root, hours=3)
    return root


@pytest.fixture
def app_settings(tracelog_rrds: Path, tmp_path: Path) -> dict[str, Any]:
    settings = dict(get_appsettings(str(INI), name="main"))
    settings.update(rrd_dir=str(tracelog_rrds), db_url=f"sqlite:///{tmp_path}/saved.sqlite")
    return settings


@pytest.fixture
def make_app(app_settings: dict[str, Any]) -> Callable[..., TestApp]:
    def make(**overrides: Any) -> TestApp:
        return TestApp(configure({**app_settings, **overrides}).make_wsgi_app())

    return make


@pytest.fixture
def testapp(make_app: Callable[..., TestApp]) -> TestApp:
    return make_app()


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


@pytest.fixture
def signed_in(app_settings: dict[str, Any]) -> Iterator[Callable[[str], Browser]]:
    """``signed_in("alice")``: a client of one shared app, signed in as alice."""
    wsgi = configure(dict(app_settings)).make_wsgi_app()

    def sign_in(user: str) -> Browser:
        return Browser(TestApp(wsgi), user)

    yield sign_in
