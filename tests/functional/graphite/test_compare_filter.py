"""Filter Series, Filter Data, Sorting, Alias, Graph and Special functions compared
with graphite-web's own answers over the same samples (whisper and RRD).

Targets are batched: one request per family keeps the comparison fast; a failing
family names its targets in the assertion.  ``rpm`` has gaps (nulls), ``bl`` is a
counter that wraps, the ``metrics.*`` series have a 5-minute step.
"""

from __future__ import annotations

import pytest

from tests.functional.graphite.conftest import NOW, T0, Pair, assert_same_series

RANGE = {"from": str(T0 + 600), "until": str(T0 + 2 * 3600)}
ALL_RPM = "tracelog.*.rpm"
ALL_EPM = "tracelog.*.epm"
ONE_RPM = "tracelog.app1__acme__inst1.rpm"
MIXED = "group(tracelog.*.rpm,metrics.*.*.*.*)"

FAMILIES: dict[str, list[str]] = {
    "filter by value": [
        f"currentAbove({ALL_RPM},110)",
        f"currentBelow({ALL_RPM},110)",
        f"averageAbove({ALL_RPM},105)",
        f"averageBelow({ALL_RPM},105)",
        f"maximumAbove({ALL_RPM},128)",
        f"maximumBelow({ALL_RPM},128)",
        f"minimumAbove({ALL_RPM},75)",
        f"minimumBelow({ALL_RPM},75)",
        f"filterSeries({ALL_RPM},'max','>',128)",
        f"filterSeries({ALL_RPM},'average','<=',105)",
        "filterSeries(tracelog.*.bl,'last','=',0)",
        "filterSeries(tracelog.*.bl,'sum','!=',0)",
        f"filterSeries({MIXED},'count','>=',20)",
        f"filterSeries({ALL_RPM},'median','<',110)",
    ],
    "filter by name": [
        "grep(tracelog.*.*,'acme')",
        "grep(tracelog.*.*,'inst[12]\\.(rpm|epm)$')",
        "exclude(tracelog.*.*,'^tracelog\\.app1')",
        "exclude(tracelog.*.*,'(bl|spr|start)$')",
        f"limit({MIXED},3)",
        f"limit({ALL_RPM},0)",
        f"unique({ALL_RPM},{ONE_RPM},tracelog.app2__acme__inst2.*)",
        f"removeEmptySeries({ALL_RPM})",
        f"removeEmptySeries(removeAboveValue({ALL_RPM},100),0.5)",
        "removeEmptySeries(tracelog.*.start,0.1)",
        f"fallbackSeries(tracelog.nothing.here,{ONE_RPM})",
        f"fallbackSeries({ALL_EPM},{ONE_RPM})",
        "useSeriesAbove(tracelog.*.epm,3,'epm$','spr')",
        "useSeriesAbove(tracelog.*.epm,2.5,'^(.*)\\.epm$','\\1.bl')",
    ],
    "rank": [
        f"highest({ALL_RPM},2)",
        f"highest({MIXED},3,'max')",
        f"highest({ALL_RPM},1,'stddev')",
        f"lowest({ALL_RPM},2)",
        f"lowest({MIXED},2,'current')",
        f"highestCurrent({ALL_RPM},2)",
        f"highestMax({ALL_RPM},1)",
        f"highestAverage({MIXED},2)",
        f"lowestCurrent({ALL_RPM},1)",
        f"lowestAverage({MIXED},2)",
        f"mostDeviant({MIXED},3)",
        f"mostDeviant({ALL_EPM},1)",
    ],
    "percentiles": [
        f"averageOutsidePercentile({ALL_EPM},75)",
        f"averageOutsidePercentile({ALL_EPM},10)",
        "removeBetweenPercentile(tracelog.*.bl,80)",
        "removeBetweenPercentile(tracelog.*.spr,20)",
        f"removeAbovePercentile({ALL_RPM},80)",
        f"removeBelowPercentile({ALL_RPM},25.5)",
        f"removeAboveValue({ALL_RPM},110)",
        f"removeBelowValue({ALL_RPM},100)",
        "removeBelowValue(tracelog.*.bl,0.5)",
    ],
    "sorting": [
        f"sortBy({MIXED})",
        f"sortBy({MIXED},'max',true)",
        f"sortBy({ALL_RPM},'last')",
        f"sortByName(group({ALL_RPM},{ALL_EPM}))",
        f"sortByName(group({ALL_RPM},{ALL_EPM}),false,true)",
        "sortByName(aliasSub(tracelog.*.rpm,'app(\\d)','app\\g<1>0'),true)",
        f"sortByTotal({MIXED})",
        f"sortByMaxima({MIXED})",
        f"sortByMinima({MIXED})",
        "sortByMinima(offset(tracelog.*.epm,-3))",
    ],
    "alias": [
        f'alias({ONE_RPM},"requests")',
        f"aliasByNode({ALL_RPM},1)",
        f"aliasByNode(scale({ALL_RPM},2),1,-1)",
        f"aliasByMetric({ALL_RPM})",
        f"aliasByMetric(sumSeries({ALL_RPM}))",
        f'aliasSub({ALL_RPM},"^tracelog\\.(app\\d)_+(\\w+?)_.*$","\\2-\\1")',
        "aliasSub(tracelog.*.epm,'(?i)ACME','ACME')",
        f"aliasQuery({ALL_RPM},'rpm$','spr','spr %d')",
        f"aliasQuery({ALL_RPM},'^tracelog\\.([^.]*)\\.rpm$','tracelog.\\1.epm','%.1f epm')",
        f"legendValue({ALL_RPM},'count')",
        "legendValue(tracelog.*.bl,'max','last','range','diff')",
        f"legendValue({ALL_EPM},'avg','sum')",
        f"legendValue({ALL_EPM},'total','si')",
        "legendValue(scale(tracelog.*.spr,100000),'avg','min','binary')",
        f"legendValue({ALL_EPM},'median','avgSeries')",
    ],
    "special": [
        "constantLine(100)",
        "constantLine(-2.5)",
        f"changed({ALL_EPM})",
        f"changed({ALL_RPM})",
        f"cumulative({ALL_RPM})",
        f"setXFilesFactor({ALL_RPM},0.5)",
        f"xFilesFactor({ALL_RPM},0)",
        "substr(tracelog.*.rpm,1)",
        "substr(tracelog.*.rpm,0,2)",
        "substr(scale(tracelog.*.rpm,2),-2,-1)",
        f"cactiStyle({ALL_RPM})",
        "cactiStyle(scale(tracelog.*.spr,12345),'si')",
        "cactiStyle(scale(tracelog.*.spr,12345),'binary','b')",
        f"cactiStyle({ALL_EPM},None,'req')",
        "events('deploy')",
        "events('deploy','release')",
    ],
    "graph": [
        f"color({ALL_RPM},'red')",
        f"alpha({ALL_RPM},0.5)",
        f"lineWidth({ALL_RPM},3)",
        f"dashed({ALL_RPM})",
        f"dashed({ALL_RPM},3)",
        f"stacked({ALL_RPM})",
        f"stacked({ALL_EPM},'mine')",
        f"secondYAxis({ALL_RPM})",
        "drawAsInfinite(tracelog.*.start)",
        "areaBetween(tracelog.app1__acme__inst1.{epm,spr})",
        "threshold(105)",
        "threshold(1.5,'limit','red')",
        "verticalLine('23:15_20231114','deploy')",
        f"verticalLine('{T0 + 3600}','release','blue')",
    ],
}


FAMILIES["keyword arguments"] = [
    f"highest({ALL_RPM},n=2,func='max')",
    f"lowest({MIXED},func='sum',n=1)",
    f"sortByName({ALL_RPM},reverse=true)",
    f"sortBy({MIXED},func='min',reverse=true)",
    f"removeEmptySeries({ALL_RPM},xFilesFactor=0.99)",
    f"filterSeries({ALL_RPM},func='max',operator='>',threshold=120)",
    f"removeAboveValue({ALL_RPM},n=110)",
    f"aliasSub({ALL_RPM},search='^tracelog\\.',replace='')",
    f"alias({ONE_RPM},newName='x')",
    f"cactiStyle({ALL_EPM},units='req')",
    f"dashed({ALL_RPM},dashLength=2)",
    f"substr({ALL_RPM},start=1,stop=2)",
    "threshold(3,label='three')",
    f"{ALL_RPM}|highestMax(1)|alias('top')",
    f"{ALL_EPM}|sortByTotal()|limit(2)",
]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_matches_graphite_web(pair: Pair, family: str) -> None:
    targets = FAMILIES[family]
    mine, theirs = pair.render(targets, **RANGE)
    assert theirs, f"graphite-web found no series for {family}"
    assert_same_series(mine, theirs)


def test_random_walk_has_graphite_webs_shape(pair: Pair) -> None:
    """graphite-web's walk is unseeded: same names, timestamps and step sizes."""
    targets = ["randomWalk('walk')", "randomWalkFunction('fn',300)"]
    mine, theirs = pair.render(targets, **RANGE)
    assert [s["target"] for s in mine] == [s["target"] for s in theirs] == ["walk", "fn"]
    for ours, reference in zip(mine, theirs, strict=True):
        assert [t for _, t in ours["datapoints"]] == [t for _, t in reference["datapoints"]]
        values = [v for v, _ in ours["datapoints"]]
        assert values[0] == 0.0 and len(values) > 2
        assert all(-0.5 <= b - a < 0.5 for a, b in zip(values, values[1:], strict=False))


def test_every_function_of_these_groups_is_compared() -> None:
    from graphmetrics.graphite.evaluator import FUNCTIONS

    groups = {"Filter Series", "Filter Data", "Sorting", "Alias", "Graph", "Special"}
    text = " ".join(t for targets in FAMILIES.values() for t in targets)
    compared = {name for name in FUNCTIONS if f"{name}(" in text} | {
        "randomWalk",
        "randomWalkFunction",
        "consolidateBy",
    }  # consolidateBy: test_compare_graphite_web
    mine = {name for name, f in FUNCTIONS.items() if f.group in groups}
    assert mine - compared == set()


def test_with_max_data_points_matches_graphite_web(pair: Pair) -> None:
    targets = [
        f"stacked({ALL_RPM})",
        f"highest({MIXED},2,'max')",
        f"removeBelowValue({ALL_RPM},100)",
        f"legendValue({ALL_EPM},'sum')",
        "constantLine(5)",
        f"cumulative({ALL_EPM})",
    ]
    mine, theirs = pair.render(targets, maxDataPoints=25, **RANGE)
    assert len(theirs) == 3 + 2 + 3 + 3 + 1 + 3
    assert_same_series(mine, theirs)


@pytest.mark.parametrize(
    "target",
    [
        # graphite-web reads the time against its wall clock, not the request's now
        "verticalLine('-2h','deploy')",
        # graphite-web's max(series) fails on a null (Python 3)
        f"useSeriesAbove({ALL_RPM},120,'rpm$','epm')",
        # its "low < None < high" fails on Python 3
        f"averageOutsidePercentile(group({ALL_RPM},removeAboveValue({ONE_RPM},0)),80)",
        f"removeBetweenPercentile({ALL_RPM},80)",
    ],
)
def test_where_graphite_web_fails_the_documented_behaviour_answers(pair: Pair, target: str) -> None:
    query = [("target", target), ("format", "json"), ("now", str(NOW)), *RANGE.items()]
    status, _ = pair.graphite.get("/render/", [*query, ("noCache", "1")])
    assert status != 200, "graphite-web answers this now: compare instead"
    mine = pair.ours.get("/graphite/render", query).json
    assert mine and all(s["datapoints"] for s in mine)


def test_vertical_line_is_placed_against_the_requests_now(pair: Pair) -> None:
    mine = pair.ours.get(
        "/graphite/render",
        {"target": "verticalLine('-2h','deploy')", "format": "json", "now": NOW, **RANGE},
    ).json
    assert mine == [
        {"target": "deploy", "tags": {"name": "deploy"}, "datapoints": [[1.0, NOW - 7200]]}
    ]
