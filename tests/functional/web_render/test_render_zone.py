"""/render in the viewer's time zone (``tz``): rrdtool's axis and the CSV's times."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import webtest

from graphmetrics.render.graph import graph_args, resolve_files
from graphmetrics.web.graphdef import parse_request
from tests.functional.web_render.conftest import INST1, T0, minute
from tests.pngs import same_image

RANGE = {"start": str(T0), "end": str(minute(120)), "width": "500", "height": "200"}


def cli_png(data_dir: Path, zone: str, params: dict[str, str]) -> bytes:
    """The same graph drawn by the ``rrdtool graph`` command with ``TZ`` set."""
    req = parse_request(list(params.items()), T0)
    args = graph_args(req, resolve_files(req.graph, data_dir))
    env = {**os.environ, "TZ": zone}
    return subprocess.run(["rrdtool", "graph", "-", *args], env=env, capture_output=True,
                          check=True).stdout  # fmt: skip


def test_the_axis_is_drawn_in_the_zone_asked(app: webtest.TestApp, data_dir: Path) -> None:
    params = {"series": f"{INST1}:rpm", **RANGE}
    kolkata = app.get("/render", {**params, "tz": "Asia/Kolkata"}).body
    # rrdtool itself, told the zone by TZ, draws the very same image (its PNG encoding
    # differs: graphmetrics.render.pngwrite)
    assert same_image(kolkata, cli_png(data_dir, "Asia/Kolkata", params))
    # a zone with the same offset draws the same axis, another offset another one
    assert app.get("/render", {**params, "tz": "Asia/Colombo"}).body == kolkata
    new_york = app.get("/render", {**params, "tz": "America/New_York"}).body
    assert new_york != kolkata
    assert same_image(new_york, cli_png(data_dir, "America/New_York", params))
    # the zone is part of the ETag: a browser never gets one zone's image for another
    etags = {app.get("/render", {**params, "tz": z}).headers["ETag"] for z in ("UTC", "Asia/Tokyo")}
    assert len(etags) == 2


def test_csv_times_carry_the_zone_offset(app: webtest.TestApp) -> None:
    params = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(3)), "format": "csv"}
    rows = list(
        csv.reader(io.StringIO(app.get("/render", {**params, "tz": "America/New_York"}).text))
    )
    zone = ZoneInfo("America/New_York")
    expected = [datetime.fromtimestamp(minute(i), zone).isoformat() for i in (1, 2, 3)]
    assert [row[0] for row in rows[1:]] == expected
    assert expected[0].endswith("-05:00")
    assert [row[1] for row in rows[1:]] == ["1", "2", "3"]
    utc = list(csv.reader(io.StringIO(app.get("/render", {**params, "tz": "UTC"}).text)))
    assert utc[1][0].endswith("Z")


def test_an_unknown_zone_is_a_400_naming_tz(app: webtest.TestApp) -> None:
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime"):
        res = app.get(
            "/render", {"series": f"{INST1}:rpm", "tz": bad, "format": "json"}, status=400
        )
        assert res.json["param"] == "tz"
        assert "unknown time zone" in res.json["error"]
