"""Fixtures every test folder may use."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test stale mypyc builds: an extension module shadows its edited source."""
    for source in (REPO / "src/graphmetrics/tracelog").glob("*.py"):
        for built in source.parent.glob(source.stem + ".*.so"):
            if built.stat().st_mtime < source.stat().st_mtime:
                raise pytest.UsageError(
                    f"{built.name} is older than {source.name}: run `make install` to rebuild"
                )


@pytest.fixture
def rrd_dir(tmp_path: Path) -> Path:
    path = tmp_path / "rrd"
    path.mkdir()
    return path
