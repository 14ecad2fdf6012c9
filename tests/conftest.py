"""Fixtures every test folder may use, among them the web app's one fixture chain:

``ini_file`` (etc/testing.ini) → ``app_settings`` (its settings on ``app_rrd_dir`` and
the test's own SQLite file) → ``make_app(**overrides)`` → ``testapp`` / ``dummy_request``.
A folder gives the app its data by overriding ``app_rrd_dir``.  The whole session
runs without ``GRAPHMETRICS_*`` variables, which ``configure()`` would merge into the
settings (functions behind the fixtures: :mod:`tests.webapp`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import REPO

if TYPE_CHECKING:
    from pyramid.router import Router
    from pyramid.testing import DummyRequest
    from webtest import TestApp

    from tests.oidc_provider import ProviderServer

__all__ = ["REPO"]


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test stale mypyc builds: an extension module shadows its edited source.

    Every compiled module is checked (setup.py's HOT_MODULES: the tracelog hot loop,
    the Kinesis record decoding and batching, the RRD update formatting) and the C
    helper ``render/_pngwrite.c``.
    """
    for built in (REPO / "src/graphmetrics").rglob("*.so"):
        stem = built.name.split(".")[0]
        for source in (built.with_name(stem + ".py"), built.with_name(stem + ".c")):
            if source.exists() and built.stat().st_mtime < source.stat().st_mtime:
                raise pytest.UsageError(
                    f"{built.relative_to(REPO)} is older than {source.name}: "
                    "run `make install` to rebuild"
                )


@pytest.fixture(scope="session", autouse=True)
def _no_graphmetrics_env() -> Iterator[None]:
    """No ``GRAPHMETRICS_*`` from the developer's shell, for session-wide servers too;
    a test may still set some with ``monkeypatch``."""
    from tests.webapp import without_graphmetrics_env

    with without_graphmetrics_env():
        yield


@pytest.fixture
def rrd_dir(tmp_path: Path) -> Path:
    path = tmp_path / "rrd"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def ini_file() -> Path:
    from tests.webapp import INI

    return INI


@pytest.fixture
def app_rrd_dir(rrd_dir: Path) -> Path:
    """The RRD directory the app serves: empty here; a folder overrides it with its data."""
    return rrd_dir


@pytest.fixture
def app_settings(ini_file: Path, app_rrd_dir: Path, tmp_path: Path) -> dict[str, Any]:
    from tests.webapp import testing_settings

    db_url = f"sqlite:///{tmp_path}/saved.sqlite"
    return testing_settings(ini_file, rrd_dir=str(app_rrd_dir), db_url=db_url)


@pytest.fixture
def make_app(app_settings: dict[str, Any]) -> Callable[..., TestApp]:
    """``make_app(**overrides)``: a WebTest client of a new app, nobody signed in."""
    from tests.webapp import testapp

    def make(**overrides: Any) -> TestApp:
        return testapp({**app_settings, **overrides})

    return make


@pytest.fixture
def testapp(make_app: Callable[..., TestApp]) -> TestApp:
    return make_app()


@pytest.fixture
def router(app_settings: dict[str, Any]) -> Router:
    """The WSGI app itself (its registry, or to serve it from waitress)."""
    from tests.webapp import wsgi_app

    return wsgi_app(app_settings)


@pytest.fixture
def dummy_request(router: Router) -> DummyRequest:
    """A request for view unit tests, on the real app's registry (settings, services)."""
    from pyramid.testing import DummyRequest

    request = DummyRequest()
    request.registry = router.registry
    request.host = "example.com"
    return request


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[ProviderServer]:
    """A real OpenID Connect provider on 127.0.0.1, shared by the session (never swapped)."""
    from tests.oidc_provider import running_provider

    with running_provider() as provider:
        yield provider


@pytest.fixture
def fresh_oidc_provider() -> Iterator[ProviderServer]:
    """A provider of the test's own, which it may :meth:`~ProviderServer.swap`."""
    from tests.oidc_provider import running_provider

    with running_provider() as provider:
        yield provider
