"""/graphite/ answers compared with graphite-web's own over the same samples.

Each target is rendered by our app (RRD files) and by Debian's graphite-web
(whisper files holding the same samples): same series names in the same order,
same timestamps, values within float tolerance.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.functional.graphite.conftest import T0, Pair, assert_same_series

RANGE = {"from": str(T0 + 600), "until": str(T0 + 2 * 3600)}
ALL_RPM = "tracelog.*.rpm"
ONE_RPM = "tracelog.app1__acme__inst1.rpm"
METRIC = "metrics.host_example.cfg.section.metric"

TARGETS = [
    # paths and patterns
    ONE_RPM,
    ALL_RPM,
    "tracelog.{app1__acme__inst1,app2__acme__inst2}.r?m",
    "tracelog.app[12]*.rpm",
    "metrics.*.cimaa.load.load1",
    # Combine
    f"sumSeries({ALL_RPM})",
    f"averageSeries({ALL_RPM})",
    f"maxSeries({ALL_RPM})",
    f"minSeries({ALL_RPM})",
    f"sumSeries({ALL_RPM},{METRIC})",
    f"averageSeries({ONE_RPM}, tracelog.app2__acme__inst2.epm)",
    f'aggregate({ALL_RPM}, "max")',
    f"group({ONE_RPM},metrics.*.cfg.section.metric)",
    f"asPercent(tracelog.*.epm,{ALL_RPM})",
    f"asPercent({ALL_RPM})",
    "asPercent(tracelog.app1__acme__inst1.epm,50)",
    f"asPercent(tracelog.*.epm,{ONE_RPM})",
    "asPercent(tracelog.*.epm,None,1)",
    f"groupByNode({ALL_RPM},2,'sum')",
    "groupByNode(tracelog.*.*,2)",
    "groupByNodes(tracelog.*.*,'maxSeries',2)",
    "groupByNodes(tracelog.*.*,'sum',0,2)",
    "sumSeriesWithWildcards(tracelog.*.*,1)",
    "aggregateWithWildcards(tracelog.*.*,'average',1)",
    # Special
    f'consolidateBy({ALL_RPM},"max")',
    # Transform
    f"scale({ALL_RPM},0.5)",
    "offset(tracelog.*.epm,-2)",
    f"absolute(offset({ONE_RPM},-100))",
    "derivative(tracelog.*.bl)",
    "nonNegativeDerivative(tracelog.*.bl)",
    "nonNegativeDerivative(tracelog.*.bl,60)",
    "perSecond(tracelog.*.bl)",
    "integral(tracelog.*.epm)",
    f"keepLastValue({ALL_RPM})",
    f"keepLastValue({ALL_RPM},2)",
    f"transformNull({ALL_RPM},-1)",
    f"transformNull({ONE_RPM},0,tracelog.app2__acme__inst2.rpm)",
    f'timeShift({ONE_RPM},"30min")',
    f'timeShift({ALL_RPM},"-1h",false)',
    f'summarize({ALL_RPM},"15min")',
    f'summarize({ALL_RPM},"1h","max")',
    f'summarize({ALL_RPM},"7min","avg",true)',
    f'summarize({METRIC},"20min","last")',
    # Calculate
    f"movingAverage({ALL_RPM},5)",
    f'movingAverage({ALL_RPM},"10min")',
    f"movingAverage({METRIC},3)",
    # Alias
    f'alias({ONE_RPM},"requests")',
    f"aliasByNode({ALL_RPM},1)",
    f"aliasByNode(scale({ALL_RPM},2),1,-1)",
    f"aliasByMetric({ALL_RPM})",
    f"aliasByMetric(sumSeries({ALL_RPM}))",
    f'aliasSub({ALL_RPM},"^tracelog\\.(app\\d)_+(\\w+?)_.*$","\\2-\\1")',
    # Filter and sort
    f"highestCurrent({ALL_RPM},2)",
    f"highestMax({ALL_RPM},1)",
    f"limit({ALL_RPM},2)",
    f"sortByMaxima({ALL_RPM})",
    # nesting, keyword arguments, pipes
    f"aliasByNode(movingAverage(sumSeries({ALL_RPM}),4),0)",
    "summarize(perSecond(tracelog.*.bl),intervalString='30min',func='avg')",
    f"{ALL_RPM}|scale(2)|alias('doubled')",
]


@pytest.mark.parametrize("target", TARGETS)
def test_render_matches_graphite_web(pair: Pair, target: str) -> None:
    mine, theirs = pair.render([target], **RANGE)
    assert theirs, f"graphite-web found no series for {target}"
    assert_same_series(mine, theirs)


def test_several_targets_in_one_request(pair: Pair) -> None:
    mine, theirs = pair.render([ONE_RPM, f"sumSeries({ALL_RPM})", METRIC], **RANGE)
    assert len(theirs) == 3
    assert_same_series(mine, theirs)


@pytest.mark.parametrize("max_points", [1, 17, 40, 500])
def test_max_data_points_matches_graphite_web(pair: Pair, max_points: int) -> None:
    mine, theirs = pair.render([ALL_RPM, METRIC], maxDataPoints=max_points, **RANGE)
    assert_same_series(mine, theirs)


@pytest.mark.parametrize("func", ["sum", "average", "avg_zero", "min", "max", "first", "last"])
def test_consolidate_by_with_max_data_points_matches_graphite_web(pair: Pair, func: str) -> None:
    targets = [f'consolidateBy({ALL_RPM},"{func}")', f"consolidateBy({METRIC},'{func}')"]
    mine, theirs = pair.render(targets, maxDataPoints=23, **RANGE)
    assert_same_series(mine, theirs)


@pytest.mark.parametrize(
    "times",
    [
        {"from": "-2h", "until": "-30min"},
        {"from": "now-90min", "until": "now"},
        {"from": "23:00_20231114", "until": "00:30_20231115"},
        {"from": str(T0 + 125), "until": str(T0 + 3001)},
    ],
)
def test_time_syntax_matches_graphite_web(pair: Pair, times: dict[str, str]) -> None:
    mine, theirs = pair.render([ONE_RPM, METRIC], **times)
    assert theirs and theirs[0]["datapoints"]
    assert_same_series(mine, theirs)


def test_csv_matches_graphite_web(pair: Pair) -> None:
    mine, theirs = pair.csv([ONE_RPM, METRIC, f"aliasByNode({ALL_RPM},1)"], **RANGE)
    ours, reference = (list(csv.reader(io.StringIO(text))) for text in (mine, theirs))
    assert len(ours) > 300
    assert [row[:2] for row in ours] == [row[:2] for row in reference]
    for (*_, a), (*_, b) in zip(ours, reference, strict=True):
        assert (a == b == "") or float(a) == pytest.approx(float(b), rel=1e-9)


@pytest.mark.parametrize(
    "query",
    [
        "*",
        "tracelog.*",
        "tracelog.app1__acme__inst1.*",
        "metrics.*",
        "metrics.*.*",
        "metrics.db1_example_com.cimaa.load.*",
        "tracelog.{app1*,app3*}",
        "tracelog.app?__acme__inst[12].rpm",
        "tracelog.*.{rpm,epm}",
        "nothing.here",
    ],
)
def test_find_matches_graphite_web(pair: Pair, query: str) -> None:
    mine, theirs = pair.find(query)
    assert mine == theirs


def test_find_with_wildcards_matches_graphite_web(pair: Pair) -> None:
    mine, theirs = pair.find("tracelog.*", wildcards=1)
    assert mine[0] == {
        "text": "*",
        "id": "tracelog.*",
        "allowChildren": 1,
        "expandable": 1,
        "leaf": 0,
    }
    assert mine == theirs


def test_find_json_carries_intervals_like_graphite_web(pair: Pair) -> None:
    """Leaves carry ``intervals``: from now minus the longest retention (the same
    archives in both stores) to the data's end (graphite-web: the file's mtime)."""
    mine, theirs = pair.find("tracelog.app1__acme__inst1.*", format="json")
    assert [{k: v for k, v in i.items() if k != "intervals"} for i in mine] == [
        {k: v for k, v in i.items() if k != "intervals"} for i in theirs
    ]
    for ours, reference in zip(mine, theirs, strict=True):
        [span], [their_span] = ours["intervals"], reference["intervals"]
        assert span["start"] == pytest.approx(their_span["start"], abs=60)
        assert span["start"] <= span["end"] <= their_span["end"]
    branches, _ = pair.find("tracelog.*", format="json")
    assert branches and all("intervals" not in b for b in branches)
