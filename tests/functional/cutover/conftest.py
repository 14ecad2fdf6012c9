"""An original graphmetrics installation: its Data.fs and its RRD files (tests/original.py).

The saved charts cover every line and chart parameter, the three aggregate forms,
Python 2 byte strings (a UTF-8 and a Latin-1 legend), a page name the new store
refuses, an account matched by an e-mail's local part, and charts that cannot be
moved (an unsafe series, an RPN operator rrdtool does not have, a user name with
characters accounts cannot have).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from graphmetrics.cli.web import main
from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.services import SavedGraphService
from tests.original import original_metrics_rrd, original_tracelog_rrd, write_data_fs
from tests.webapp import INI

TL1 = "app1/acme-z4m/inst1/tracelog"
TL2 = "app1/acme-z4m/inst2/tracelog"
NOW = int(time.time()) // 300 * 300
HOURS = 30  # of data in each file

CHARTS: dict[bytes, dict[Any, Any]] = {
    b"jim@zope.com": {
        b"default": {
            "1000": {
                b"data0": f"{TL1}/rpm", "color0": "1f77b4", "legend0": "requests", "thick0": "1",
                "data1": f"{TL1}/start", "color1": "ff0000", "tick1": "1", "legend1": "",
                b"trail": "6", b"step": "5", b"title": "acme inst1", b"height": "250",
                b"generation": 3,
            },
            "1001": {
                "data0": f"{TL1}/rpm|{TL2}/rpm||average", "color0": "2ca02c",
                "legend0": b"moyenne caf\xc3\xa9",  # a Python 2 str holding UTF-8
                "data1": f"{TL1}/rpm|{TL2}/rpm||total", "color1": "d62728", "dash1": "1",
                "legend1": "total",
                b"log": "y", b"lower_limit": "1", b"upper_limit": "10000",
                b"trail": "12",
            },
            "1002": {
                "data0": "host1/cpu/load1|host2/cpu/load1||custom|a|b||a,b,MAX",
                "color0": "9467bd", "legend0": "worst load",
                "data1": "host1/cpu/load1", "color1": "8c564b",
                b"start": "2014-12-13", b"start_time": "T10:00",
                b"end": "2014-12-14", b"end_time": "T10:00",
            },
            "1003": {"data0": "../../etc/passwd", "color0": "000000"},
        },
        b"capacity planning": {
            "1": {"data0": f"{TL1}/epm|{TL2}/epm||total", "color0": "ff7f0e", b"trail": "24"},
        },
    },
    b"ann@example.com": {
        b"default": {
            "5": {"data0": "host2/cpu/load1", "color0": "17becf", "legend0": b"\xe9t\xe9"},
            "6": {"data0": "host2/cpu/load1||custom|x||x,SYSTEM", "color0": "17becf"},
            "7": ["not", "a", "chart"],
        },
        b"damaged": "not a page",
    },
    b"bad user!": {b"default": {"1": {"data0": "host1/cpu/load1", "color0": "000000"}}},
}  # fmt: skip


@pytest.fixture
def data_fs(tmp_path: Path) -> Path:
    path = tmp_path / "original" / "Data.fs"
    path.parent.mkdir()
    write_data_fs(path, CHARTS)
    for extra in path.parent.iterdir():  # as copied from the old host: the file alone
        if extra != path:
            extra.unlink()
    return path


@pytest.fixture(scope="session")
def original_rrd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The original's tracelog and metrics folders, moved under one RRD directory."""
    root = tmp_path_factory.mktemp("original-rrd")
    start = NOW - HOURS * 3600
    original_tracelog_rrd(root / "tracelog" / "app1__acme__inst1.rrd", start, HOURS * 60)
    original_tracelog_rrd(root / "tracelog" / "app1__acme__inst2.rrd", start, HOURS * 60, 2.0)
    original_metrics_rrd(root / "metrics" / "host1" / "cpu" / "load1.rrd", start, HOURS * 12)
    original_metrics_rrd(root / "metrics" / "host2" / "cpu" / "load1.rrd", start, HOURS * 12)
    return root


@pytest.fixture
def app_rrd_dir(original_rrd_dir: Path) -> Path:
    return original_rrd_dir


@pytest.fixture
def run_import(
    app_settings: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    monkeypatch.setenv("GRAPHMETRICS_DB_URL", app_settings["db_url"])
    monkeypatch.setenv("GRAPHMETRICS_RRD_DIR", app_settings["rrd_dir"])

    def run(data_fs: Path, *extra: str) -> list[str]:
        code = main(["import-original", "--zodb", str(data_fs), "--config", str(INI), *extra])
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out.splitlines()

    return run


@pytest.fixture
def service(app_settings: dict[str, Any]) -> Any:
    engine = make_engine(app_settings["db_url"])
    upgrade(engine)
    with Session(engine) as session:
        yield SavedGraphService(session)
    engine.dispose()
