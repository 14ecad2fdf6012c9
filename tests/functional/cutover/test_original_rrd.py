"""The original's RRD files served as they are: AVERAGE archives only, its own DS and steps."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import rrdtool
from webtest import TestApp

from graphmetrics.rrd.schema import LATENCY_DS, METRICS
from graphmetrics.rrd.store import RRDStore
from tests.functional.cutover.conftest import NOW
from tests.functional.tracelog.conftest import minutes, run_once
from tests.functional.tracelog.tracelog_lines import request
from tests.original import original_metrics_rrd, original_tracelog_rrd
from tests.webapp import signed_in_app

INST1 = "tracelog/app1__acme__inst1"


@pytest.fixture
def app(original_rrd_dir: Path) -> TestApp:
    return signed_in_app(original_rrd_dir, "bob")


def test_series_and_dashboard_graphs(app: TestApp) -> None:
    found = app.get("/series", {"q": "app1"}).json["series"]
    assert {s["name"]: s["ds"] for s in found}[INST1][:5] == ["rpm", "epm", "bl", "spr", "start"]
    graph = app.get("/api/tracelog/graph", {"kind": "instance", "instance": "app1__acme__inst1"})
    definition = graph.json["definition"]
    assert any(s.get("cf") == "MAX" for s in definition["series"])  # the restart ticks
    res = app.get("/render", {"graph": json.dumps(definition)}, status=200)
    assert res.content_type == "image/png"
    assert (
        "tracelog/app1__acme__inst1 keeps no MAX archive: AVERAGE drawn"
        in res.headers["X-Graphmetrics-Notice"]
    )


def test_a_builder_line_wanting_max_gets_average_and_says_so(app: TestApp) -> None:
    span = {"start": NOW - 6 * 3600, "end": NOW, "format": "json"}
    wanted = app.get("/render", {"series": f"{INST1}:rpm:MAX", **span}, status=200)
    average = app.get("/render", {"series": f"{INST1}:rpm", **span}, status=200)
    assert [r[1] for r in wanted.json["rows"]] == [r[1] for r in average.json["rows"]]
    assert any(r[1] is not None for r in average.json["rows"])
    assert "keeps no MAX archive" in wanted.headers["X-Graphmetrics-Notice"]
    assert "X-Graphmetrics-Notice" not in average.headers
    image = app.get("/render", {"series": f"{INST1}:rpm:MAX", "start": span["start"]})
    assert image.content_type == "image/png"


def test_graphite_api_reads_them(app: TestApp) -> None:
    for target in ("tracelog.app1__acme__inst1.rpm", "metrics.host1.cpu.load1"):
        res = app.get("/graphite/render", {"target": target, "from": "-6h", "format": "json"})
        points = res.json[0]["datapoints"]
        assert sum(1 for value, _ts in points if value is not None) > 10, target


def rrd_layout(path: Path) -> dict[str, Any]:
    """Step, data sources and archives of a file, without its data."""
    info = rrdtool.info(str(path))
    state = (".last_ds", ".value", ".unknown_sec", ".cur_row")
    return {
        k: v
        for k, v in info.items()
        if k.startswith(("step", "ds[", "rra[")) and "cdp_prep" not in k and not k.endswith(state)
    }


def test_the_tracelog_collector_continues_on_them_in_their_schema(tmp_path: Path) -> None:
    """graphmetrics-tracelog --once on a log going on after the original's last minute."""
    rrd = tmp_path / "rrd" / f"{INST1}.rrd"
    last = (NOW - 3600) // 60 * 60
    original_tracelog_rrd(rrd, last - 120 * 60, 120)
    assert rrdtool.last(str(rrd)) == last
    before = rrd_layout(rrd)
    logs = tmp_path / "logs"
    logs.mkdir()
    minute = [time.strftime("%Y-%m-%d %H:%M", time.gmtime(last + 60 * i)) for i in range(3)]
    lines = [
        *request("app1 acme inst1", 1, minute[0], 5, 0.1, 0.4),
        *request("app1 acme inst1", 2, minute[0], 20, 0.1, 0.4),
        *request("app1 acme inst1", 3, minute[1], 5, 0.1, 0.4),
        *request("app1 acme inst1", 4, minute[2], 5, 0.1, 0.4),
    ]
    (logs / "app.log").write_text("\n".join(lines) + "\n")
    run_once(logs, tmp_path / "rrd", "--state-dir", str(tmp_path / "state"))
    after = rrd_layout(rrd)
    added = tuple(f"ds[{name}]." for name in LATENCY_DS)
    kept = {k: v for k, v in after.items() if not k.startswith(added)}
    assert kept == before  # still AVERAGE-only, heartbeat 600, no MAX added
    assert all(f"ds[{name}].index" in after for name in LATENCY_DS)  # response times, in place
    rows = minutes(rrd, last + 60, last + 120)
    assert [rows[last + 60][0], rows[last + 120][0]] == [2.0, 1.0]  # requests per minute


def test_the_metrics_writer_continues_on_them_in_their_schema(tmp_path: Path) -> None:
    rel = "metrics/host9/cpu/load1"
    path = original_metrics_rrd(tmp_path / f"{rel}.rrd", NOW - 7200, 12)
    before, last = rrd_layout(path), rrdtool.last(str(path))
    assert RRDStore(tmp_path).write(rel, METRICS, [(last + 300, (1.5,)), (last + 600, (2.5,))]) == 2
    assert rrd_layout(path) == before and rrdtool.last(str(path)) == last + 600
    (_first, _end, _step), _names, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-s", str(last), "-e", str(last + 600)
    )
    assert (1.5,) in rows and (2.5,) in rows
