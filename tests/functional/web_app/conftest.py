"""The real app through WebTest, on the chain of ``tests/conftest.py``.

Each test gets its own SQLite file (``app_settings``), so tests never see each
other's pages; the app serves a few hours of four tracelog instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from webtest import TestApp

from tests.functional.web_app.data import write_tracelog
from tests.webapp import Browser, wsgi_app

__all__ = ["Browser"]


@pytest.fixture(scope="session")
def tracelog_rrds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rrd")
    write_tracelog(root, hours=3)
    return root


@pytest.fixture
def app_rrd_dir(tracelog_rrds: Path) -> Path:
    return tracelog_rrds


@pytest.fixture
def signed_in(app_settings: dict[str, Any]) -> Iterator[Callable[[str], Browser]]:
    """``signed_in("alice")``: a client of one shared app, signed in as alice."""
    wsgi = wsgi_app(app_settings)

    def sign_in(user: str) -> Browser:
        return Browser(TestApp(wsgi), user)

    yield sign_in
