"""Sorting, Alias, Special and Graph: order, names, generated series, drawing options."""

from __future__ import annotations

import random

import pytest

from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.render.graphite_styles import Line, elements, rrd_color
from tests.unit.graphite.samples import START, STEP, N, fetch, names, run


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("sortBy(a.*.*)", ["a.c.empty", "a.b.two", "a.b.one", "a.c.three"]),
        ("sortBy(a.*.*,'max',true)", ["a.c.three", "a.b.one", "a.b.two", "a.c.empty"]),
        ("sortByName(x.*.z)", ["x.y10.z", "x.y2.z"]),
        ("sortByName(x.*.z,true)", ["x.y2.z", "x.y10.z"]),
        ("sortByName(x.*.z,natural=true,reverse=true)", ["x.y10.z", "x.y2.z"]),
        ("sortByTotal(a.*.*)", ["a.c.three", "a.b.one", "a.b.two", "a.c.empty"]),
        ("sortByMaxima(a.b.*)", ["a.b.one", "a.b.two"]),
        (
            "sortByMinima(group(a.*.*,x.*.z))",
            ["x.y2.z", "a.b.two", "a.b.one", "x.y10.z", "a.c.three"],
        ),
    ],
)
def test_sorting(target: str, expected: list[str]) -> None:
    assert names(target) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("alias(a.b.one,'first')", ["first"]),
        ("aliasByNode(a.b.*,1,-1)", ["b.one", "b.two"]),
        ("aliasByMetric(scale(a.b.*,2))", ["one", "two"]),
        ("aliasSub(a.b.*,'^a\\.(\\w)\\.(.*)$','\\2@\\1')", ["one@b", "two@b"]),
        ("aliasQuery(a.b.one,'a.b.one','x.y10.z','five is %d')", ["five is 5"]),
        ("legendValue(a.b.one,'avg','last')", ["a.b.one (avg: 2.5) (last: 4.0)"]),
        ("legendValue(a.c.empty,'max')", ["a.c.empty (max: None)"]),
        ("legendValue(scale(x.y10.z,2000),'max','si')",
         ["scale(x.y10.z,2000) max  10.00k    "]),
        ("legendValue(a.b.one,'avgSeries')", ["a.b.one (avgSeries: (?))"]),
        ("substr(a.b.one,1)", ["b.one"]),
        ("substr(scale(a.b.one,2),0,2)", ["a.b"]),
        ("cactiStyle(a.b.*)", ["a.b.one Current:4.00    Max:4.00    Min:1.00    ",
                                "a.b.two Current:2.00    Max:4.00    Min:0.00    "]),
        ("cactiStyle(a.c.empty,'si','b')",
         ["a.c.empty Current:nan       Max:nan       Min:nan       "]),
        ("dashed(a.b.one)", ["dashed(a.b.one, 5)"]),
        ("secondYAxis(a.b.one)", ["secondYAxis(a.b.one)"]),
        ("drawAsInfinite(a.b.one)", ["drawAsInfinite(a.b.one)"]),
        ("color(lineWidth(alpha(a.b.one,0.5),2),'red')", ["a.b.one"]),
        ("areaBetween(a.b.*)", ["areaBetween(a.b.*)", "areaBetween(a.b.*)"]),
    ],
)  # fmt: skip
def test_names(target: str, expected: list[str]) -> None:
    assert names(target) == expected


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("aliasSub(a.b.one,'(b)','\\2')", "aliasSub: bad replacement"),
        ("aliasSub(a.b.one,'(?<=a)b','c')", "aliasSub: bad regular expression"),
        ("aliasQuery(a.b.one,'one','nothing','%d')", "no series found with query: a.b.nothing"),
        ("aliasQuery(a.b.one,'one','two','%(x)s')", "one %-format of a number"),
        ("aliasQuery(a.b.one,'one','two','%999999999d')", "one %-format of a number"),
        ("areaBetween(a.*.*)", "exactly 2 series, it holds 4"),
        ("verticalLine('-1h')", "exists before start of range"),
        ("randomWalk('w',0)", "step must be a positive number"),
    ],
)
def test_bad_arguments_say_what_is_wrong(target: str, message: str) -> None:
    with pytest.raises(TargetError) as caught:
        run(target)
    assert message in str(caught.value)


def test_values_of_special_and_graph_functions() -> None:
    assert run("changed(a.b.two)") == [("changed(a.b.two)", [0, 0, 1, 1])]
    assert run("stacked(a.b.*)") == [
        ("stacked(a.b.one)", [1.0, 2.0, 3.0, 4.0]),
        ("stacked(a.b.two)", [5.0, N, 3.0, 6.0]),
    ]
    # one stack name goes on across targets of the request, as graphite-web's does
    ctx = Context(START, START + 4 * STEP, START + 4 * STEP, fetch)
    evaluate_target(ctx, parse_target("stacked(a.b.one,'s')"))
    [again] = evaluate_target(ctx, parse_target("stacked(a.b.one,'s')"))
    assert again.name == "a.b.one" and list(again) == [2.0, 4.0, 6.0, 8.0]
    assert run("constantLine(7)") == [("7.0", [7.0, 7.0, 7.0])]
    assert run("threshold(7,'limit','red')") == [("limit", [7.0, 7.0, 7.0])]
    assert run(f"verticalLine({START + 60},'deploy')") == [("deploy", [1.0, 1.0])]
    [(name, values)] = run("events('deploy','release')")
    assert name == 'events("deploy", "release")' and values == [N] * 240


def test_set_xfiles_factor_reaches_the_functions_evaluated_after_it() -> None:
    kept = names("removeEmptySeries(setXFilesFactor(a.*.*,0.75))")
    assert kept == ["a.b.one", "a.b.two", "a.c.three"]  # removeEmptySeries has its own
    assert run("sumSeries(a.*.*)")[0][1] == [5.0, 12.0, 13.0, 6.0]
    # rows with 2 of 4 series known fall below 0.75
    assert run("sumSeries(setXFilesFactor(a.*.*,0.75))")[0][1] == [N, N, 13.0, N]
    # and for the targets after it: the same sub-expression is computed again, not
    # taken from before the factor changed
    ctx = Context(START, START + 4 * STEP, START + 4 * STEP, fetch)
    [before] = evaluate_target(ctx, parse_target("sumSeries(a.*.*)"))
    evaluate_target(ctx, parse_target("setXFilesFactor(a.b.one,0.75)"))
    [after] = evaluate_target(ctx, parse_target("sumSeries(a.*.*)"))
    assert list(before) == [5.0, 12.0, 13.0, 6.0] and list(after) == [N, N, 13.0, N]


def test_random_walk_is_seeded_by_name_start_and_step() -> None:
    [(name, walk)] = run("randomWalk('walk')")
    assert name == "walk" and walk[0] == 0.0 and len(walk) == 4
    assert run("randomWalkFunction('walk')") == [(name, walk)]
    rng = random.Random(f"walk|{START}|60")
    expected = [0.0]
    for _ in range(3):
        expected.append(expected[-1] + (rng.random() - 0.5))
    assert walk == expected
    assert run("randomWalk('other')")[0][1] != walk
    assert len(run("randomWalk('walk',100)")[0][1]) == 3


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["LINE1:s0#123456:a"]),
        ({"color": "red", "lineWidth": 2.5}, ["LINE2.5:s0#c80032:a"]),
        ({"color": "FF0000", "alpha": 0.5}, ["LINE1:s0#ff000080:a"]),
        ({"color": "no-such", "dashed": 4}, ["LINE1:s0#123456:a:dashes=4"]),
        ({"lineWidth": 500}, ["LINE20:s0#123456:a"]),
        ({"drawAsInfinite": True}, ["TICK:s0#123456:1.0:a"]),
        ({"stacked": True}, ["AREA:s0#123456:a"]),
        ({"stacked": True, "invisible": True}, ["AREA:s0"]),
    ],
)
def test_drawing_options_become_rrdtool_elements(
    options: dict[str, object], expected: list[str]
) -> None:
    assert elements([Line("s0", "a", "#123456", options)], None, str) == expected


def test_stacks_and_the_second_axis() -> None:
    lines = [
        Line("s0", "low", "#111111", {"stacked": True}),
        Line("s1", "high", "#222222", {"stacked": True}),
        Line("s2", "right", "#333333", {"secondYAxis": True}),
    ]
    assert elements(lines, 4.0, str) == [
        "AREA:s0#111111:low",
        "CDEF:s1d=s1,s0,-",
        "AREA:s1d#222222:high:STACK",
        "CDEF:s2r=s2,4.0,/",
        "LINE1:s2r#333333:right",
        "--right-axis",
        "4.0:0",
    ]
    assert rrd_color({"color": "darkgrey"}, "#000000") == "#6f6f6f"
