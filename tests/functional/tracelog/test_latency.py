"""Response times through the real collector and rrdtool: a file of the original's
schema gains them in place, keeping its history; apdex T per customer."""

from __future__ import annotations

from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.schema import LATENCY_DS, TRACELOG, TRACELOG_BASE_DS
from graphmetrics.tracelog.latency import RELATIVE_ACCURACY
from tests.functional.tracelog.conftest import ALL_DS, known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request

A1 = "app1 acme inst1"


def original_file(path: Path, history: list[tuple[int, str]]) -> None:
    """A tracelog RRD as the original made it (step 60, DS rpm epm bl spr start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rrdtool.create(
        str(path),
        "--start",
        str(history[0][0] - 60),
        "--step",
        "60",
        *[f"DS:{ds}:GAUGE:300:0:U" for ds in TRACELOG_BASE_DS],
        *[
            f"RRA:{cf}:0.99:{a.steps}:{a.rows}"
            for cf in ("AVERAGE", "MAX")
            for a in TRACELOG.archives
        ],
    )
    rrdtool.update(str(path), *[f"{ts}:{values}" for ts, values in history])


def test_original_file_gains_response_times_in_place(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    old = [(epoch("2024-05-01 09:30") + 60 * i, f"{i}:0:0:60:0") for i in range(1, 31)]
    original_file(rrd, old)
    lines = []
    for rid, second in enumerate(range(1, 50, 5), 1):
        lines += request(A1, rid, "2024-05-01 10:00", second, wait=0.1 * rid, busy=0.2)
    lines += [f"{A1} : B 99 2024-05-01 10:01:00.000000 GET /"]
    (logs / "t.log").write_text("".join(line + "\n" for line in lines))

    run_once(logs, rrds, "--apdex-t", "2,acme=0.25")

    info = rrdtool.info(str(rrd))
    assert {k[3:-6] for k in info if k.endswith("].type")} == set(TRACELOG.data_sources)
    rows = known(minutes(rrd, old[0][0], old[-1][0]))
    history = {ts: row for ts, row in rows.items() if ts <= old[-1][0]}
    assert history == {ts: (float(i), 0.0, 0.0, 60.0, 0.0) for i, (ts, _) in enumerate(old, 1)}
    row = minutes(rrd, epoch("2024-05-01 10:01"), epoch("2024-05-01 10:01"), ds=ALL_DS)
    got = dict(zip(ALL_DS, row[epoch("2024-05-01 10:01")], strict=True))
    assert got["rpm"] == 10
    # waits 0.1 .. 1.0 s (+1 ms from B to I); totals wait + 0.2 + 2 ms; app 0.2 s
    assert got["wait50"] == pytest.approx(0.501, rel=RELATIVE_ACCURACY)
    assert got["waitmax"] == pytest.approx(1.001, abs=1e-4)
    assert got["p50"] == pytest.approx(0.702, rel=RELATIVE_ACCURACY)
    assert got["pmax"] == pytest.approx(1.202, abs=1e-4)
    assert got["app99"] == pytest.approx(0.2, rel=RELATIVE_ACCURACY)
    # acme T = 0.25 s: no total is <= 0.25 (0.302 the least); <= 4T = 1 s: 7 of 10
    assert got["apdex"] == pytest.approx(7 / 2 / 10)
    assert set(LATENCY_DS) <= set(got)
    # the next start scans nothing: the marker says the folder has the schema
    assert (rrds / ".state" / "tracelog-schema").read_text().split() == list(ALL_DS)
