"""/render's look (``theme``, ``legend``) and number formats (``unit``, ``decimals``, ``si``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import rrdtool
import webtest

from graphmetrics.render.graph import graph_args, resolve_files
from graphmetrics.web.graphdef import parse_request
from tests.functional.web_render.conftest import INST2, T0, minute

SMALL = {
    "legend_values": True,
    "series": [{"name": "b", "path": INST2, "ds": "rpm"}],
    "cdefs": [{"name": "k", "rpn": "b,1000,/"}],
    "lines": [{"value": "k", "legend": "per thousand"}],
}
RANGE = [("start", str(minute(10))), ("end", str(minute(20)))]


def legends(data_dir: Path, graph: dict[str, Any], *params: tuple[str, str]) -> list[str]:
    req = parse_request([("graph", json.dumps(graph)), *RANGE, *params], minute(130))
    info = rrdtool.graphv("-", *graph_args(req, resolve_files(req.graph, data_dir)))
    return [info[f"legend[{i}]"].strip() for i in range(1, 5)]


def test_counts_without_si_prefixes_with_decimals_and_a_unit(data_dir: Path) -> None:
    # rpm/1000 = 0.022 .. 0.042: rrdtool's default writes them in milli
    assert legends(data_dir, SMALL)[0] == "min 22.00m"
    assert legends(data_dir, {**SMALL, "si": False}) == [
        "min 0.02", "avg 0.03", "max 0.04", "last 0.04",
    ]  # fmt: skip
    graph = {**SMALL, "si": False, "decimals": 3, "unit": "% of 1k"}
    assert legends(data_dir, graph)[0] == "min 0.022 % of 1k"
    req = parse_request([("graph", json.dumps({**graph, "logarithmic": True})), *RANGE], T0)
    args = graph_args(req, resolve_files(req.graph, data_dir))
    # a log axis in plain numbers with SI prefixes, never 5e+02
    assert "--units=si" in args and "--units-exponent=0" not in args


def test_bad_number_options_name_the_key(app: webtest.TestApp) -> None:
    for key, value in (("decimals", 9), ("si", "maybe"), ("unit", "x" * 21)):
        graph = {**SMALL, key: value}
        res = app.get("/render", {"graph": json.dumps(graph), "format": "json"}, status=400)
        assert res.json["error"].startswith(f"graph.{key}:")


def svg(app: webtest.TestApp, **params: str) -> webtest.TestResponse:
    graph = {"series": [{"name": "b", "path": INST2, "ds": "rpm"}]}
    query = {"graph": json.dumps(graph), "start": str(T0), "end": str(minute(120)), **params}
    return app.get("/render", {**query, "format": "svg", "width": "400", "height": "200"})


def test_themes_are_rrdtools_own_options(app: webtest.TestApp, data_dir: Path) -> None:
    dark = svg(app, theme="dark").body
    light = svg(app, theme="light").body
    classic = svg(app).body
    # cairo's SVG names the background colour: #181b1f (dark), #ffffff (light)
    assert b"rgb(9.411765%,10.588235%,12.156863%)" in dark
    assert b"rgb(9.411765%,10.588235%,12.156863%)" not in light + classic
    assert classic == svg(app, theme="classic").body != light
    req = parse_request([("series", f"{INST2}:rpm"), ("theme", "light")], T0)
    args = graph_args(req, resolve_files(req.graph, data_dir))
    for option in ("--disable-rrdtool-tag", "--slope-mode", "--border=0", "--grid-dash=1:0"):
        assert option in args
    assert any(a.startswith("--font=DEFAULT:8:DejaVu Sans") for a in args)
    res = app.get("/render", {"series": f"{INST2}:rpm", "theme": "neon"}, status=400)
    assert "theme" in res.headers["X-Graphmetrics-Error"]


def test_without_the_legend_the_plot_takes_its_room(app: webtest.TestApp) -> None:
    with_legend = svg(app, theme="light").headers
    without = svg(app, theme="light", legend="false").headers
    assert int(without["X-Graph-Height"]) > int(with_legend["X-Graph-Height"])
    assert without["X-Graph-Width"] == with_legend["X-Graph-Width"]
