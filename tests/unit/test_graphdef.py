"""Both /render request forms parsed into one typed definition; errors name the parameter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyramid.request import Request

from graphmetrics.render.graph import render_args
from graphmetrics.web.graphdef import (
    Cdef,
    GraphDefError,
    Line,
    RenderRequest,
    Series,
    parse_request,
)
from graphmetrics.web.views.render import query_items

NOW = 1_700_000_000
INST = "tracelog/app1__acme__inst1"


def parse(**params: Any) -> RenderRequest:
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list) else [value]
        items += [(key, v if isinstance(v, str) else json.dumps(v)) for v in values]
    return parse_request(items, NOW)


def error(**params: Any) -> GraphDefError:
    with pytest.raises(GraphDefError) as info:
        parse(**params)
    return info.value


def full(**graph: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"series": [{"name": "a", "path": INST, "ds": "rpm"}]}
    base.update(graph)
    return base


def test_simple_form_defaults() -> None:
    req = parse(series=[f"{INST}:rpm", "metrics/a/b/c:data:max"])
    assert req.graph.series == (
        Series("s0", INST, "rpm", "AVERAGE"),
        Series("s1", "metrics/a/b/c", "data", "MAX"),
    )
    assert [(ln.value, ln.legend, ln.type) for ln in req.graph.lines] == [
        ("s0", f"{INST}:rpm", "LINE"),
        ("s1", "metrics/a/b/c:data:max", "LINE"),
    ]
    assert req.graph.lines[0].color != req.graph.lines[1].color
    assert (req.start, req.end, req.step) == (NOW - 86400, NOW, None)
    assert (req.width, req.height, req.format) == (800, 300, "png")


def test_simple_form_options() -> None:
    req = parse(
        series=f"{INST}:rpm", start="-2h", format="CSV", width="400", height="120",
        step="300", title="rpm", vlabel="req/min", ymin="0", ymax="100", _="cachebuster",
    )  # fmt: skip
    assert (req.start, req.end, req.step, req.format) == (NOW - 7200, NOW, 300, "csv")
    assert (req.width, req.height) == (400, 120)
    assert (req.graph.title, req.graph.vlabel, req.graph.ymin, req.graph.ymax) == (
        "rpm", "req/min", 0.0, 100.0,
    )  # fmt: skip


def test_virtual_headroom_becomes_defs_and_a_cdef() -> None:
    req = parse(series=f"{INST}:headroom")
    assert [s.ds for s in req.graph.series] == ["spr", "rpm"]
    assert req.graph.cdefs == (Cdef("s0", "s0__spr,s0__rpm,-,s0__spr,/,100,*"),)
    assert req.graph.lines[0].value == "s0"


def test_full_form() -> None:
    graph = {
        "title": "acme", "vlabel": "rpm", "logarithmic": True, "ymin": 1, "ymax": None,
        "series": [
            {"name": "rpm", "path": INST, "ds": "rpm"},
            {"name": "spr", "path": INST, "ds": "spr", "cf": "MAX"},
        ],
        "cdefs": [{"name": "head", "rpn": "spr,rpm,-,spr,/,100,*"}],
        "vdefs": [{"name": "peak", "rpn": "rpm,MAXIMUM"}],
        "lines": [
            {"value": "rpm", "type": "AREA", "color": "#AABBCC", "legend": "rpm: now"},
            {"value": "head", "width": 2.5, "dash": [4, 2], "stack": True},
            {"value": "peak", "type": "HRULE", "dash": True},
            {"value": 50, "type": "HRULE", "color": "#ff000080"},
        ],
        "gprints": [{"value": "peak", "format": "max %6.1lf%s %%"}],
    }  # fmt: skip
    req = parse(graph=graph, trail="6", format="json")
    g = req.graph
    assert (g.title, g.vlabel, g.logarithmic, g.ymin, g.ymax) == ("acme", "rpm", True, 1.0, None)
    assert g.series[1] == Series("spr", INST, "spr", "MAX")
    assert g.lines == (
        Line("rpm", "AREA", 1.0, "#aabbcc", "rpm: now", None, False),
        Line("head", "LINE", 2.5, "#ff7f0e", "", (4, 2), True),
        Line("peak", "HRULE", 1.0, "#2ca02c", "", (5, 5), False),
        Line("50.0", "HRULE", 1.0, "#ff000080", "", None, False),
    )
    assert [line.value for line in g.exports] == ["rpm", "head"]
    assert (req.start, req.end, req.format) == (NOW - 6 * 3600, NOW, "json")


def test_lines_default_to_one_per_series() -> None:
    assert parse(graph=full()).graph.lines == (Line("a", legend="a"),)
    assert parse(graph=full(lines=[])).graph.lines == (Line("a", legend="a"),)


def test_equivalent_requests_give_the_same_rrdtool_arguments() -> None:
    """The arguments key the ETag and the render cache."""
    one = parse(series=f"{INST}:rpm", start="-1h")
    two = parse(start=str(NOW - 3600), series=f"{INST}:rpm", end="now")
    three = parse(series=f"{INST}:rpm", start="-1h", width="801")
    files = {INST: f"/rrd/{INST}.rrd"}
    assert render_args(one, files) == render_args(two, files) != render_args(three, files)


@pytest.mark.parametrize(
    ("params", "param", "reason"),
    [
        ({}, "series", "at least one series"),
        ({"series": "x:rpm", "graph": full()}, "series", "either series= or graph="),
        ({"series": "tracelog/a"}, "series", "expected PATH:DS"),
        ({"series": "tracelog/a:rpm:AVERAGE:x"}, "series", "expected PATH:DS"),
        ({"series": "tracelog/../../etc/passwd:rpm"}, "series", "'..' segment"),
        ({"series": "/etc/passwd:rpm"}, "series", "'..' segment"),
        ({"series": "tracelog//a:rpm"}, "series", "empty"),
        ({"series": "tracelog/a\nb:rpm"}, "series", "bad character"),
        ({"series": "tracelog/a:r-m"}, "series", "bad DS name"),
        ({"series": "tracelog/a:rpm:SUM"}, "series", "must be one of AVERAGE"),
        ({"series": ["tracelog/a:rpm"] * 501}, "series", "at most 500 series, got 501"),
        ({"series": "t/a:rpm", "width": "5"}, "width", "between 10 and 4000"),
        ({"series": "t/a:rpm", "height": "99999999"}, "height", "between 10 and 4000"),
        ({"series": "t/a:rpm", "width": "wide"}, "width", "must be an integer"),
        ({"series": "t/a:rpm", "format": "gif"}, "format", "png, svg, csv, json"),
        ({"series": "t/a:rpm", "start": "yesterday"}, "start", "cannot parse"),
        ({"series": "t/a:rpm", "end": "2020-02-30"}, "end", "day is out of range"),
        ({"series": "t/a:rpm", "start": "now", "end": "-1h"}, "end", "after start"),
        ({"series": "t/a:rpm", "start": "-20y"}, "start", "longer than"),
        ({"series": "t/a:rpm", "trail": "x"}, "trail", "must be a number"),
        ({"series": "t/a:rpm", "trail": "2", "start": "-1h"}, "trail", "cannot be combined"),
        ({"series": "t/a:rpm", "step": "0"}, "step", "between 1 and 86400"),
        ({"series": "t/a:rpm", "ymin": "nan"}, "ymin", "finite number"),
        ({"series": "t/a:rpm", "ymin": "5", "ymax": "1"}, "ymax", "greater than ymin"),
        ({"series": "t/a:rpm", "title": "a\nb"}, "title", "control characters"),
        ({"series": "t/a:rpm", "widht": "5"}, "widht", "unknown parameter"),
        ({"series": "t/a:rpm", "width": ["5", "6"]}, "width", "more than once"),
        ({"graph": full(), "title": "x"}, "title", "inside the graph JSON"),
    ],
)
def test_query_errors(params: dict[str, Any], param: str, reason: str) -> None:
    exc = error(**params)
    assert exc.param == param
    assert reason in str(exc)
    assert str(exc).startswith(f"{param}: ")


@pytest.mark.parametrize(
    ("graph", "param", "reason"),
    [
        ("{not json", "graph", "invalid JSON"),
        ('{"series": NaN}', "graph", "NaN is not allowed"),
        ([], "graph", "must be a JSON object"),
        ({"series": []}, "graph.series", "at least one series"),
        ({"series": {}}, "graph.series", "JSON list"),
        (full(colour="red"), "graph.colour", "unknown key"),
        ({"series": [{"name": "a", "path": INST}]}, "graph.series[0].ds", "is required"),
        (
            {"series": [{"name": "MAX", "path": INST, "ds": "rpm"}]},
            "graph.series[0].name",
            "RPN operator",
        ),
        (
            {"series": [{"name": "a:b", "path": INST, "ds": "rpm"}]},
            "graph.series[0].name",
            "bad variable name",
        ),
        (
            {"series": [{"name": "a", "path": "tracelog/../x", "ds": "rpm"}]},
            "graph.series[0].path",
            "'..' segment",
        ),
        (
            {"series": [{"name": "a", "path": "a:b", "ds": "rpm"}]},
            "graph.series[0].path",
            "bad character",
        ),
        (
            {"series": [{"name": "a", "path": INST, "ds": "rpm"}] * 2},
            "graph.series[1].name",
            "duplicate name 'a'",
        ),
        (
            {"series": [{"name": "a", "path": INST, "ds": "rpm"}] * 501},
            "graph.series",
            "reads at most 500",
        ),
        (
            full(cdefs=[{"name": "b", "rpn": "a,0,/,LINE1:a#ff0000"}]),
            "graph.cdefs[0].rpn",
            "neither a number",
        ),
        (full(cdefs=[{"name": "b", "rpn": "a,b,+"}]), "graph.cdefs[0].rpn", "'b' is neither"),
        (full(cdefs=[{"name": "b", "rpn": "a\nLINE:a"}]), "graph.cdefs[0].rpn", "neither"),
        (full(cdefs=[{"name": "b", "rpn": 5}]), "graph.cdefs[0].rpn", "must be a string"),
        (full(vdefs=[{"name": "v", "rpn": "a,MAX"}]), "graph.vdefs[0].rpn", "VDEF must be"),
        (full(lines=[{"value": "zz"}]), "graph.lines[0].value", "not a series or cdef"),
        (full(lines=[{"value": "a", "type": "STEP"}]), "graph.lines[0].type", "LINE, AREA"),
        (full(lines=[{"value": "a", "color": "red"}]), "graph.lines[0].color", "#rrggbb"),
        (full(lines=[{"value": "a", "color": "#ff0000:x"}]), "graph.lines[0].color", "#rrggbb"),
        (full(lines=[{"value": "a", "width": 50}]), "graph.lines[0].width", "0.1 and 20"),
        (full(lines=[{"value": "a", "dash": "yes"}]), "graph.lines[0].dash", "true, false"),
        (
            full(lines=[{"value": "a", "type": "AREA", "dash": True}]),
            "graph.lines[0].dash",
            "only LINE",
        ),
        (full(lines=[{"value": "a", "legend": "x\\ly"}]), "graph.lines[0].legend", "backslash"),
        (full(lines=[{"value": "a", "legend": "x" * 201}]), "graph.lines[0].legend", "longer"),
        (
            full(lines=[{"value": "a", "type": "HRULE"}]),
            "graph.lines[0].value",
            "neither a vdef name nor a number",
        ),
        (
            full(vdefs=[{"name": "v", "rpn": "a,LAST"}], gprints=[{"value": "v", "format": "%s"}]),
            "graph.gprints[0].format",
            "exactly one %lf",
        ),
        (
            full(
                vdefs=[{"name": "v", "rpn": "a,LAST"}], gprints=[{"value": "v", "format": "%lf %n"}]
            ),
            "graph.gprints[0].format",
            "exactly one",
        ),
        (full(gprints=[{"value": "a", "format": "%lf"}]), "graph.gprints[0].value", "not a vdef"),
        (full(logarithmic=True, ymin=0), "graph.ymin", "> 0 on a logarithmic axis"),
        (full(logarithmic="maybe"), "graph.logarithmic", "true or false"),
        (full(title=5), "graph.title", "must be a string"),
    ],
)
def test_graph_json_errors(graph: Any, param: str, reason: str) -> None:
    exc = error(graph=graph if isinstance(graph, str) else json.dumps(graph))
    assert exc.param == param
    assert reason in str(exc)


def test_graph_json_size_is_bounded() -> None:
    exc = error(graph=json.dumps(full(title="x" * 70000)))
    assert "longer than 65536" in str(exc)


@pytest.mark.parametrize(
    "query",
    [
        "series=tracelog%2Fa%3Arpm&start=-1h&title=a+b",
        "a=1;b=2&&c&=d&e=%zz&f=%E2%82%AC&g=%41%2b",
        "x=\xe2\x82\xac&y=%C3%A9",
        "",
    ],
)
def test_render_reads_the_query_as_webob_does(query: str) -> None:
    request = Request({"QUERY_STRING": query, "REQUEST_METHOD": "GET"})
    assert query_items(request) == list(request.GET.items())


@pytest.mark.parametrize("query", ["q=%FF", "q=\xff"])
def test_render_query_that_is_not_utf8_is_none(query: str) -> None:
    assert query_items(Request({"QUERY_STRING": query, "REQUEST_METHOD": "GET"})) is None


def test_definitions_are_remembered_refusals_are_not() -> None:
    one = parse(series=f"{INST}:rpm", start="-1h", title="t")
    two = parse(series=f"{INST}:rpm", start="-2h", title="t", width="300")
    assert one.graph is two.graph and (one.start, two.start) == (NOW - 3600, NOW - 7200)
    assert parse(series=f"{INST}:rpm", title="u").graph.title == "u"
    assert parse(graph=full()).graph is parse(graph=full(), format="csv").graph
    for _ in range(2):
        with pytest.raises(GraphDefError, match="bad DS name"):
            parse(series=f"{INST}:no-such!")


def test_tick_lines() -> None:
    req = parse(graph=full(lines=[{"value": "a", "type": "TICK", "color": "#9467bd59"}]))
    assert req.graph.lines == (Line("a", "TICK", color="#9467bd59", fraction=1.0),)
    half = parse(graph=full(lines=[{"value": "a", "type": "TICK", "fraction": 0.5}]))
    assert half.graph.lines[0].fraction == 0.5
    unset = parse(graph=full(lines=[{"value": "a", "type": "TICK", "fraction": None}]))
    assert unset.graph.lines[0].fraction == 1.0
    assert str(error(graph=full(lines=[{"value": "a", "type": "TICK", "stack": True}]))) == (
        "graph.lines[0].stack: a TICK cannot be stacked"
    )
    assert error(graph=full(lines=[{"value": "a", "type": "TICK", "dash": True}])).param == (
        "graph.lines[0].dash"
    )
    assert error(graph=full(lines=[{"value": "a", "type": "TICK", "fraction": 0}])).param == (
        "graph.lines[0].fraction"
    )


def test_aggregate_cdefs_become_rpn() -> None:
    two = [{"name": "a", "path": INST, "ds": "rpm"}, {"name": "b", "path": INST, "ds": "epm"}]
    cdefs = [
        {"name": "t", "aggregate": "TOTAL", "of": ["a", "b"]},
        {"name": "m", "aggregate": "AVERAGE", "of": ["a", "b", "t"]},
        {"name": "lo", "aggregate": "MIN", "of": ["a"]},
    ]
    graph = parse(graph={"series": two, "cdefs": cdefs}).graph
    assert graph.cdefs == (Cdef("t", "a,b,ADDNAN"), Cdef("m", "a,b,t,3,AVG"), Cdef("lo", "a"))


@pytest.mark.parametrize(
    ("cdef", "param", "message"),
    [
        ({"name": "t", "aggregate": "SUM", "of": ["a"]}, "aggregate", "must be one of TOTAL"),
        ({"name": "t", "aggregate": "TOTAL", "of": []}, "of", "must be a non-empty list"),
        ({"name": "t", "aggregate": "TOTAL", "of": ["a", "zz"]}, "of[1]", "'zz' is not"),
        ({"name": "t", "aggregate": "TOTAL", "of": ["t"]}, "of[0]", "'t' is not"),
        ({"name": "t"}, "rpn", "is required"),
    ],
)
def test_aggregate_errors(cdef: dict[str, Any], param: str, message: str) -> None:
    exc = error(graph=full(cdefs=[cdef]))
    assert exc.param == f"graph.cdefs[0].{param}"
    assert message in str(exc)


def test_compare_and_legend_values() -> None:
    graph = parse(graph=full(compare=604800, legend_values=True)).graph
    assert (graph.compare, graph.legend_values) == (604800, True)
    assert parse(graph=full(compare=None)).graph.compare == 0
    assert error(graph=full(compare=5)).param == "graph.compare"
    assert error(graph=full(legend_values="maybe")).param == "graph.legend_values"


def test_compare_repeats_series_cdefs_and_lines_shifted() -> None:
    graph = full(
        compare=86400,
        cdefs=[{"name": "c", "rpn": "a,PREV(a),-"}],
        lines=[{"value": "a"}, {"value": "c", "color": "#d62728cc"}, {"value": 1, "type": "HRULE"}],
    )
    req = parse(graph=graph, start="1699990000", end="1699999000")
    args = render_args(req, {INST: "/rrd/x.rrd"})
    past = "gm" + "_" * 62
    assert f"DEF:{past}past_a=/rrd/x.rrd:rpm:AVERAGE:start=1699903600:end=1699912600" in args
    assert f"SHIFT:{past}past_a:86400" in args
    assert f"CDEF:{past}past_c={past}past_a,PREV({past}past_a),-" in args
    assert f"LINE1:{past}past_c#d6272899:c (1 day ago):dashes=4,3" in args


@pytest.mark.parametrize("name", ["start", "end", "step", "ds", "cf"])
def test_names_rrdtool_takes_for_def_options_are_refused(name: str) -> None:
    exc = error(graph={"series": [{"name": name, "path": INST, "ds": "rpm"}]})
    assert str(exc) == (
        f"graph.series[0].name: bad variable name {name!r}: rrdtool takes it for an option"
    )
