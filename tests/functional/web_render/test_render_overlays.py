"""/render's drawing options over real RRD files: aggregates, restart ticks, the same
series shifted into the past, and min/avg/max/last in the legend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rrdtool
import webtest

from graphmetrics.render.graph import graph_args, resolve_files
from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web.graphdef import parse_request
from graphmetrics.web.graphjson import MAX_SERIES
from tests.functional.web_render.conftest import INST1, INST2, T0, make_app, minute


def rpm1(i: int) -> float | None:
    return None if i == 50 else float(i)


def rows(app: webtest.TestApp, graph: dict[str, Any], first: int, last: int) -> dict[str, Any]:
    params = {"graph": json.dumps(graph), "start": str(minute(first - 1)), "end": str(minute(last))}
    return app.get("/render", {**params, "format": "json"}).json


TWO = [{"name": "a", "path": INST1, "ds": "rpm"}, {"name": "b", "path": INST2, "ds": "rpm"}]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        # minute 50 of inst1 is unknown: left out, not an unknown result
        ("TOTAL", lambda a, b: b if a is None else a + b),
        ("AVERAGE", lambda a, b: b if a is None else (a + b) / 2),
        ("MIN", lambda a, b: b if a is None else min(a, b)),
        ("MAX", lambda a, b: b if a is None else max(a, b)),
    ],
)
def test_aggregates_leave_unknowns_out(app: webtest.TestApp, aggregate: str, expected: Any) -> None:
    graph = {
        "series": TWO,
        "cdefs": [{"name": "agg", "aggregate": aggregate, "of": ["a", "b"]}],
        "lines": [{"value": "agg", "legend": aggregate.lower()}],
    }
    body = rows(app, graph, 48, 52)
    assert body["columns"] == [aggregate.lower()]
    assert body["rows"] == [[minute(i), expected(rpm1(i), 2.0 * i)] for i in range(48, 53)]


def test_an_aggregate_of_hundreds_of_series(data_dir: Path) -> None:
    store = RRDStore(data_dir)
    stems = [f"tracelog/h{n}__big__i{n}" for n in range(300)]
    for n, stem in enumerate(stems):
        store.write(stem, TRACELOG, [(minute(i), [n, 0, 0, 0, 0]) for i in range(1, 11)])
    app = make_app(data_dir)
    series = [{"name": f"s{n}", "path": stem, "ds": "rpm"} for n, stem in enumerate(stems)]
    graph = {
        "series": series,
        "cdefs": [{"name": "total", "aggregate": "TOTAL", "of": [s["name"] for s in series]}],
        "lines": [{"value": "total", "legend": "total"}],
    }
    body = rows(app, graph, 5, 6)
    assert body["rows"] == [[minute(5), sum(range(300))], [minute(6), sum(range(300))]]
    png = app.get("/render", {"graph": json.dumps(graph), "start": str(T0)})
    assert png.content_type == "image/png"


def test_too_many_series_say_so(app: webtest.TestApp) -> None:
    series = [{"name": f"s{n}", "path": INST1, "ds": "rpm"} for n in range(MAX_SERIES + 1)]
    res = app.get(
        "/render", {"graph": json.dumps({"series": series}), "format": "json"}, status=400
    )
    assert res.json["param"] == "graph.series"
    assert res.json["error"] == (
        f"graph.series: {MAX_SERIES + 1} series, a graph reads at most {MAX_SERIES}: "
        "narrow the search or split the series over several graphs"
    )


def test_restart_ticks_are_a_column_and_drawn(app: webtest.TestApp, data_dir: Path) -> None:
    graph = {
        "series": [
            {"name": "rpm", "path": INST1, "ds": "rpm"},
            {"name": "restarts", "path": INST1, "ds": "start", "cf": "MAX"},
        ],
        "lines": [
            {"value": "rpm", "legend": "requests/min"},
            {"value": "restarts", "type": "TICK", "color": "#9467bd59", "legend": "restart",
             "fraction": 1},
        ],
    }  # fmt: skip
    body = rows(app, graph, 1, 3)
    assert body["columns"] == ["requests/min", "restart"]
    assert body["rows"] == [[minute(i), float(i), float(i == 1)] for i in range(1, 4)]
    req = parse_request([("graph", json.dumps(graph)), ("start", str(T0))], minute(130))
    args = graph_args(req, resolve_files(req.graph, data_dir))
    assert "TICK:restarts#9467bd59:1:  restart" in args
    info = rrdtool.graphv("-", *args)
    assert [info["legend[0]"].strip(), info["legend[1]"].strip()] == ["requests/min", "restart"]
    png = app.get("/render", {"graph": json.dumps(graph), "start": str(T0)})
    assert png.content_type == "image/png"


def test_compare_with_the_past_shifts_every_line(app: webtest.TestApp) -> None:
    graph = {
        "compare": 600,
        "series": TWO,
        "cdefs": [{"name": "sum", "rpn": "a,b,+"}],
        "lines": [
            {"value": "a", "legend": "inst1"},
            {"value": "sum", "type": "AREA", "legend": "both"},
            {"value": 100, "type": "HRULE"},
        ],
    }
    body = rows(app, graph, 30, 33)
    assert body["columns"] == ["inst1", "both", "inst1 (10 minutes ago)", "both (10 minutes ago)"]
    assert body["rows"] == [
        [minute(i), float(i), 3.0 * i, float(i - 10), 3.0 * (i - 10)] for i in range(30, 34)
    ]
    png = app.get("/render", {"graph": json.dumps(graph), "start": str(minute(30))})
    assert png.content_type == "image/png"


def test_legend_values_min_avg_max_last(data_dir: Path) -> None:
    graph = {
        "legend_values": True,
        "series": [{"name": "b", "path": INST2, "ds": "rpm"}],
        "lines": [{"value": "b", "legend": "inst2"}, {"value": 300, "type": "HRULE"}],
    }
    req = parse_request(
        [("graph", json.dumps(graph)), ("start", str(minute(10))), ("end", str(minute(20)))],
        minute(130),
    )
    info = rrdtool.graphv("-", *graph_args(req, resolve_files(req.graph, data_dir)))
    legends = [info[f"legend[{i}]"].strip() for i in range(5)]
    # the image's last step ends at minute 21 (rpm = 2i): 22..42
    assert legends == ["inst2", "min 22.00", "avg 32.00", "max 42.00", "last 42.00"]


def test_legend_values_of_the_present_only(data_dir: Path) -> None:
    graph = {
        "legend_values": True,
        "compare": 300,
        "series": [{"name": "b", "path": INST2, "ds": "rpm"}],
        "lines": [{"value": "b", "legend": "inst2"}],
    }
    req = parse_request(
        [("graph", json.dumps(graph)), ("start", str(minute(10))), ("end", str(minute(20)))],
        minute(130),
    )
    info = rrdtool.graphv("-", *graph_args(req, resolve_files(req.graph, data_dir)))
    legends = [info[f"legend[{i}]"].strip() for i in range(6)]
    assert legends[0] == "inst2" and legends[1].startswith("min ")
    assert legends[5] == "inst2 (5 minutes ago)"
    assert "legend[6]" not in info
