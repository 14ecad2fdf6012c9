"""``/healthz`` on the default SQLite database: no sign-in, cheap, 503 naming a failure."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from webtest import TestApp


def test_healthz_answers_ok_without_sign_in(testapp: TestApp) -> None:
    res = testapp.get("/healthz", status=200)
    assert res.text == "ok\n"
    assert res.content_type == "text/plain"
    assert res.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in res.headers
    assert testapp.head("/healthz", status=200).body == b""


def test_healthz_names_missing_storage(make_app: Callable[..., TestApp], tmp_path: Path) -> None:
    app = make_app(rrd_dir=str(tmp_path / "gone"))
    res = app.get("/healthz", status=503)
    assert res.text == "storage: cannot list the RRD folder (FileNotFoundError)\n"
    assert str(tmp_path) not in res.text


def test_healthz_names_a_database_it_cannot_open(
    make_app: Callable[..., TestApp], tmp_path: Path
) -> None:
    folder = tmp_path / "db"
    app = make_app(db_url=f"sqlite:///{folder}/saved.sqlite")
    assert app.get("/healthz").text == "ok\n"
    app.app.registry["graphmetrics.engine"].dispose()  # no pooled connection left
    shutil.rmtree(folder)
    res = app.get("/healthz", status=503)
    assert res.text == "database: cannot query (OperationalError)\n"
