"""Fixtures every test folder may use."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test stale mypyc builds: an extension module shadows its edited source.

    Every compiled module is checked (setup.py's HOT_MODULES: the tracelog hot loop,
    the Kinesis record decoding and batching).
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
