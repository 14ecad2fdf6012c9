"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.oidc_provider import ProviderServer

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test stale mypyc builds: an extension module shadows its edited source.

    Every compiled module is checked (setup.py's HOT_MODULES: the tracelog hot loop,
    the Kinesis record decoding and batching, the RRD update formatting).
    """
    for built in (REPO / "src/graphmetrics").rglob("*.so"):
        source = built.with_name(built.name.split(".")[0] + ".py")
        if source.exists() and built.stat().st_mtime < source.stat().st_mtime:
            raise pytest.UsageError(
                f"{built.relative_to(REPO)} is older than {source.name}: "
                "run `make install` to rebuild"
            )


@pytest.fixture
def rrd_dir(tmp_path: Path) -> Path:
    path = tmp_path / "rrd"
    path.mkdir()
    return path


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
