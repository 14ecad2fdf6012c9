"""Fixtures every test folder may use."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def rrd_dir(tmp_path: Path) -> Path:
    path = tmp_path / "rrd"
    path.mkdir()
    return path
