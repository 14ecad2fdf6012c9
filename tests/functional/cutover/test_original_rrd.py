"""The original's RRD files served as they are: AVERAGE archives only, its own DS and steps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import rrdtool
from webtest import TestApp

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.functional.cutover.conftest import NOW
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


def test_the_tracelog_collector_continues_on_them_in_their_schema(
    original_rrd_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "rrd"
    shutil.copytree(original_rrd_dir / "tracelog", root / "tracelog")
    path = root / f"{INST1}.rrd"

    def layout() -> dict[str, Any]:
        info = rrdtool.info(str(path))
        keep = ("step", "ds[", "rra[")
        return {k: v for k, v in info.items() if k.startswith(keep) and "cdp_prep" not in k
                and not k.endswith((".last_ds", ".value", ".unknown_sec", ".cur_row"))}  # fmt: skip

    before = layout()
    last = rrdtool.last(str(path))
    store = RRDStore(root)
    written = store.write(
        INST1, TRACELOG, [(last + 60, (7, 1, 2, 30, 0)), (last + 120, (8, 0, 1, 31, 1))]
    )
    assert written == 2
    assert rrdtool.last(str(path)) == last + 120
    assert layout() == before  # still AVERAGE-only, heartbeat 600, no MAX added
    (first, _end, _step), names, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-s", str(last), "-e", str(last + 120)
    )
    assert names == ("rpm", "epm", "bl", "spr", "start")
    assert (7.0, 1.0, 2.0, 30.0, 0.0) in rows and (8.0, 0.0, 1.0, 31.0, 1.0) in rows
