"""The response-time graphs of an instance and the p99/apdex comparisons of a pool,
drawn by rrdtool from files with response times: exact values and real images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import webtest

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.functional.web_render.conftest import T0, make_app, minute

LAT = "tracelog/app9__lat__web1"


def latency_row(i: int) -> list[float | None]:
    base = [10.0, 0.0, 1.0, 100.0, 0.0]
    p50, p90, p99 = 0.1 + i / 1000, 0.3 + i / 1000, 0.9 + i / 100
    return base + [p50, p90, p99, 2 * p99, 0.05, 0.2, 0.5, 0.8, 0.01, 0.02, 0.04, 0.07, 0.9]


@pytest.fixture
def lat_app(tmp_path: Path) -> webtest.TestApp:
    rrd_dir = tmp_path / "rrd"
    store = RRDStore(rrd_dir)
    store.write(LAT, TRACELOG, [(minute(i), latency_row(i)) for i in range(1, 61)])
    store.write(
        "tracelog/app9__lat__web2", TRACELOG, [(minute(i), [1, 0, 0, 60, 0]) for i in range(1, 61)]
    )
    return make_app(rrd_dir)


def test_instance_response_time_and_apdex_graphs(lat_app: webtest.TestApp) -> None:
    url = "/api/tracelog/graph?instance=app9__lat__web1&kind="
    response = lat_app.get(url + "response-time").json["definition"]
    apdex = lat_app.get(url + "apdex").json["definition"]
    assert [line["legend"] for line in response["lines"]] == ["max", "p50", "p90", "p99"]
    assert response["lines"][0]["type"] == "AREA"
    rows = lat_app.get(
        "/render",
        {
            "graph": json.dumps(response),
            "start": str(minute(10)),
            "end": str(minute(12)),
            "format": "json",
        },
    ).json
    assert rows["columns"] == ["max", "p50", "p90", "p99"]
    i = 11
    assert rows["rows"][0] == [minute(i), pytest.approx(2 * (0.9 + i / 100)),
                               pytest.approx(0.1 + i / 1000), pytest.approx(0.3 + i / 1000),
                               pytest.approx(0.9 + i / 100)]  # fmt: skip
    for definition in (response, apdex):
        png = lat_app.get(
            "/render", {"graph": json.dumps(definition), "start": str(T0), "end": str(minute(60))}
        )
        assert png.content_type == "image/png" and png.body.startswith(b"\x89PNG")
    values = lat_app.get(
        "/render",
        {
            "graph": json.dumps(apdex),
            "start": str(minute(10)),
            "end": str(minute(11)),
            "format": "json",
        },
    ).json
    assert values["rows"][0][1:] == [
        pytest.approx(0.9),
        pytest.approx(0.01),
        pytest.approx(0.04),
        pytest.approx(0.5),
    ]


def test_pool_compares_p99_and_apdex_per_instance(lat_app: webtest.TestApp) -> None:
    for kind, ds in (("compare-p99", "p99"), ("compare-apdex", "apdex")):
        definition = lat_app.get(f"/api/tracelog/graph?kind={kind}&customer=lat").json["definition"]
        assert [s["ds"] for s in definition["series"]] == [ds, ds]
        assert definition["cdefs"] == []  # compared, never averaged
        rows = lat_app.get(
            "/render",
            {
                "graph": json.dumps(definition),
                "start": str(minute(10)),
                "end": str(minute(11)),
                "format": "json",
            },
        ).json["rows"]
        expected = 0.9 + 11 / 100 if ds == "p99" else 0.9
        assert rows[0][1:] == [pytest.approx(expected), None]  # web2 has no response times
