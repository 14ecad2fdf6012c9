"""Bad /render input of every kind gets a clear 4xx in the format asked for, never a 500."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import webtest

from graphmetrics.render.graph import ERROR_SIZE
from graphmetrics.web.interfaces import IRRDReader
from tests.functional.web_render.conftest import INST1, T0, minute
from tests.webapp import registered


def graph(**extra: Any) -> str:
    base: dict[str, Any] = {"series": [{"name": "a", "path": INST1, "ds": "rpm"}]}
    base.update(extra)
    return json.dumps(base)


def json_error(app: webtest.TestApp, status: int, **params: Any) -> dict[str, Any]:
    res = app.get("/render", {"format": "json", **params}, status=status)
    assert res.content_type == "application/json"
    assert res.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = res.json
    assert res.headers["X-Graphmetrics-Error"] == body["error"]
    return body


RPN_INJECTIONS = [
    "a,0,GT:LINE1:a#ff0000",
    "a\nLINE1:a#ff0000",
    "a,DEF:x=/etc/passwd:rpm:AVERAGE",
    "a,--imgformat=PDF",
    "a;rm -rf /",
    "a,$(id)",
    "a, 1,+",
    "a,PREV(/etc/passwd)",
    "a,1e99999,+",
]


@pytest.mark.parametrize("rpn", RPN_INJECTIONS)
def test_rpn_injection_is_refused(app: webtest.TestApp, rpn: str) -> None:
    body = json_error(app, 400, graph=graph(cdefs=[{"name": "b", "rpn": rpn}]))
    assert body["param"] == "graph.cdefs[0].rpn"
    assert "is neither a number, an operator nor a variable" in body["error"]


@pytest.mark.parametrize(
    ("extra", "param", "reason"),
    [
        ({"cdefs": [{"name": "b:LINE1", "rpn": "a"}]}, "graph.cdefs[0].name", "bad variable name"),
        ({"cdefs": [{"name": "b", "rpn": "a,+"}]}, "graph.cdefs[0].rpn", "needs 2 value(s)"),
        ({"vdefs": [{"name": "v", "rpn": "a,MAXIMUM:x"}]}, "graph.vdefs[0].rpn", "VDEF must be"),
        ({"lines": [{"value": "a", "legend": "x\nCOMMENT:y"}]}, "graph.lines[0].legend", "control"),
        ({"lines": [{"value": "a", "color": "#ff0000:x"}]}, "graph.lines[0].color", "#rrggbb"),
        ({"title": "x\\ny"}, "graph.title", "backslashes"),
    ],
)
def test_graph_json_injection_is_refused(
    app: webtest.TestApp, extra: dict[str, Any], param: str, reason: str
) -> None:
    body = json_error(app, 400, graph=graph(**extra))
    assert body["param"] == param
    assert reason in body["error"]


@pytest.mark.parametrize(
    "series",
    [
        "../etc/passwd:rpm",
        "tracelog/../../etc/passwd:rpm",
        "tracelog/..:rpm",
        "/etc/passwd:rpm",
        "tracelog/%2e%2e/x:rpm",
        "tracelog/a\x00b:rpm",
        "tracelog\\..\\x:rpm",
    ],
)
def test_paths_leaving_the_rrd_dir_are_refused(app: webtest.TestApp, series: str) -> None:
    body = json_error(app, {"tracelog/%2e%2e/x:rpm": 404}.get(series, 400), series=series)
    assert body["param"] == "series"
    assert "passwd" not in body["error"] or "'..' segment" in body["error"]


def test_symlink_out_of_the_rrd_dir_is_refused(app: webtest.TestApp, data_dir: Path) -> None:
    outside = data_dir.parent / "outside.rrd"
    shutil.copy(data_dir / f"{INST1}.rrd", outside)
    os.symlink(outside, data_dir / "tracelog" / "sneaky.rrd")
    body = json_error(app, 400, series="tracelog/sneaky:rpm")
    assert "leaves" in body["error"]


def test_missing_file_is_404_naming_the_series(app: webtest.TestApp) -> None:
    body = json_error(app, 404, series="tracelog/nobody__nowhere__none:rpm")
    assert body == {
        "error": "no RRD file 'tracelog/nobody__nowhere__none' (series s0)",
        "param": "series",
    }


def test_rrdtool_error_is_400_without_server_paths(app: webtest.TestApp, data_dir: Path) -> None:
    body = json_error(app, 400, series=f"{INST1}:nosuchds", start=str(T0))
    assert body["error"].startswith("rrdtool: ")
    assert "nosuchds" in body["error"]
    assert str(data_dir) not in body["error"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"width": "100000"}, "width"),
        ({"width": "0"}, "width"),
        ({"height": "-5"}, "height"),
        ({"height": "1e9"}, "height"),
        ({"step": "0"}, "step"),
        ({"step": "99999999"}, "step"),
        ({"start": "garbage"}, "start"),
        ({"start": "1969-12-31"}, "start"),
        ({"start": "2023-02-30T00:00:00Z"}, "start"),
        ({"end": "9999999999999"}, "end"),
        ({"start": "-1h", "end": "-2h"}, "end"),
        ({"start": "-100y"}, "start"),
        ({"trail": "-3"}, "trail"),
        ({"trail": "nan"}, "trail"),
        ({"format": "pdf"}, "format"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_name_the_parameter(
    app: webtest.TestApp, params: dict[str, str], param: str
) -> None:
    query = {"series": f"{INST1}:rpm", "format": "json", **params}
    res = app.get("/render", query, status=400)
    if param == "format":
        assert res.content_type == "application/json"  # unreadable format: JSON
    assert res.json["param"] == param
    assert res.json["error"].startswith(f"{param}: ")


def test_error_as_png_states_the_error(app: webtest.TestApp) -> None:
    res = app.get(
        "/render", {"series": "tracelog/x:rpm", "width": "400", "height": "200"}, status=404
    )
    assert res.content_type == "image/png"
    assert res.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(res.body[16:20], "big") == 400
    assert res.headers["X-Graphmetrics-Error"] == "no RRD file 'tracelog/x' (series s0)"


def test_error_as_svg_and_csv(app: webtest.TestApp) -> None:
    svg = app.get("/render", {"series": "tracelog/x:rpm", "format": "svg"}, status=404)
    assert svg.content_type == "image/svg+xml"
    assert b"no RRD file &#x27;tracelog/x&#x27;" in svg.body
    text = app.get("/render", {"series": "x", "format": "csv"}, status=400)
    assert text.content_type == "text/plain"
    assert text.text == "error: series: expected PATH:DS or PATH:DS:CF, got 'x'\n"


def test_error_images_are_small_whatever_the_size_asked(app: webtest.TestApp) -> None:
    for params in ({"series": "x"}, {"series": "tracelog/x:rpm"}, {"colour": "red"}):
        res = app.get("/render", {**params, "width": "4000", "height": "4000"}, status="4*")
        assert int.from_bytes(res.body[16:20], "big") == ERROR_SIZE[0]
        assert int.from_bytes(res.body[20:24], "big") == ERROR_SIZE[1]
    assert registered(app, IRRDReader).pool.started == 0  # no worker drew them


def test_tiny_error_image_still_an_image(app: webtest.TestApp) -> None:
    res = app.get(
        "/render", {"series": "tracelog/x:rpm", "width": "10", "height": "10"}, status=404
    )
    assert res.body[:8] == b"\x89PNG\r\n\x1a\n"


def test_odd_inputs_never_give_a_500(app: webtest.TestApp) -> None:
    odd = [
        {},
        {"series": ""},
        {"series": ":"},
        {"series": "::::"},
        {"series": f"{INST1}:rpm:"},
        {"graph": ""},
        {"graph": "null"},
        {"graph": "[1,2]"},
        {"graph": '{"series": [null]}'},
        {"graph": '{"series": [{"name": "a", "path": 5, "ds": []}]}'},
        {"graph": graph(lines=[{"value": "a", "width": "wide"}])},
        {"graph": graph(lines=[{"value": "a", "dash": [0]}])},
        {"graph": graph(gprints=[{"value": "a"}])},
        {"graph": graph(cdefs=[{"name": "b", "rpn": "a,0,/"}])},
        {"graph": graph(cdefs=[{"name": "b", "rpn": "a,1,2,3,4,SORT"}])},
        {"series": f"{INST1}:rpm", "start": "\u00ff\u2603"},
        {"series": f"{INST1}:rpm", "start": str(minute(1)), "end": str(minute(1) + 1)},
    ]
    for params in odd:
        for fmt in ("png", "json", "csv"):
            res = app.get("/render", {**params, "format": fmt}, expect_errors=True)
            assert res.status_int < 500, (params, fmt, res.status)
            if res.status_int >= 400:
                assert res.headers["X-Graphmetrics-Error"]


def test_query_that_is_not_utf8(app: webtest.TestApp) -> None:
    res = app.get(f"/render?series={INST1}:rpm&start=%ff%fe&format=json", expect_errors=True)
    assert 400 <= res.status_int < 500


def test_error_header_cannot_be_split(app: webtest.TestApp) -> None:
    res = app.get("/render?format=json&x%0d%0aSet-Cookie:%20evil=1=5", status=400)
    assert "Set-Cookie" not in res.headers
    header = res.headers["X-Graphmetrics-Error"]
    assert "\r" not in header and "\n" not in header
    assert res.json["param"] == "x\r\nSet-Cookie: evil"


def predict_graph(rpn: str, count: int = 1) -> str:
    return graph(
        cdefs=[{"name": f"t{i}", "rpn": rpn} for i in range(count)],
        lines=[{"value": f"t{i}"} for i in range(count)],
    )


def test_the_issues_45_second_predict_is_refused(app: webtest.TestApp) -> None:
    body = json_error(app, 400, graph=predict_graph("86400,-1000,157000000,a,PREDICT"), start="-5y")
    assert body["param"] == "graph.cdefs[0].rpn"
    assert "window (seconds) must be between 1 and 604800" in body["error"]


def test_too_much_work_for_one_request_is_refused(app: webtest.TestApp) -> None:
    heavy = predict_graph("86400,-100,604800,a,PREDICT", count=3)
    body = json_error(app, 400, graph=heavy, start="-1d", width="4000")
    assert body["param"] == "graph"
    assert "too much work for one graph" in body["error"]
    # the same CDEFs over a shorter range, or a light PREDICT, are drawn
    app.get("/render", {"graph": heavy, "start": str(T0), "end": str(T0 + 600)}, status=200)
    light = predict_graph("86400,-7,1800,a,PREDICT")
    app.get("/render", {"graph": light, "start": "-7d", "format": "csv"}, status=200)
