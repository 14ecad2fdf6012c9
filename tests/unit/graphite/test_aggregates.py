"""Combine: the row aggregations, pairwise lists, division and weighted averages."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import assert_points, points, render

CASES = [
    ("diffSeries(a.x,b.x)", {"diffSeries(a.x,b.x)": [-9, -8, -7, -6, -5, -4, -3, -2, -1, 0]}),
    ("diffSeries(a.y)", {"diffSeries(a.y)": [2, None, 6, 8, None, None, 14, 16, 18, 20]}),
    ("multiplySeries(a.x,b.x)", {"multiplySeries(a.x,b.x)": [10.0 * i for i in range(1, 11)]}),
    ("multiplySeries(a.x)", {"a.x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}),
    (
        "multiplySeries(a.*)",
        {"multiplySeries(a.*)": [2, None, 18, 32, None, None, 98, 128, 162, 200]},
    ),
    ("countSeries(a.*,b.x)", {"countSeries(a.*,b.x)": [3] * 10}),
    ("countSeries()", {"0": [0, 0, 0]}),
    ("rangeOfSeries(a.*)", {"rangeOfSeries(a.*)": [1, 0, 3, 4, 0, 0, 7, 8, 9, 10]}),
    ("stddevSeries(a.x,b.x)", {"stddevSeries(a.x,b.x)": [4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0]}),
    (
        "percentileOfSeries(group(a.*,b.x),50)",
        {"percentileOfSeries(a.*,50)": [2, 10, 6, 8, 10, 10, 10, 10, 10, 10]},
    ),
    (
        "percentileOfSeries(a.*,50,true)",
        {"percentileOfSeries(a.*,50)": [1.5, 2, 4.5, 6, 5, 6, 10.5, 12, 13.5, 15]},
    ),
    ("sum(a.x,b.x)", {"sumSeries(a.x,b.x)": [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}),
    ("avg(a.*)", {"averageSeries(a.*)": [1.5, 2, 4.5, 6, 5, 6, 10.5, 12, 13.5, 15]}),
    ("powSeries(a.x,c.x)", {"powSeries(a.x,c.x)": [1.5, 3.5**3, 5.5**5, 7.5**7, 9.5**9]}),
    (
        "sumSeriesLists(a.*,group(b.x,b.x))",
        {
            "sumSeries(a.x,b.x)": [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
            "sumSeries(a.y,b.x)": [12, 10, 16, 18, 10, 10, 24, 26, 28, 30],
        },
    ),
    ("diffSeriesLists(b.x,a.x)", {"diffSeries(b.x,a.x)": [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]}),
    ("aggregateSeriesLists(a.x,b.x,'maxSeries')", {"maxSeries(a.x,b.x)": [10] * 10}),
    ("divideSeries(a.x,b.x)", {"divideSeries(a.x,b.x)": [0.1 * i for i in range(1, 11)]}),
    (
        "divideSeries(a.*,c.x)",
        {
            "divideSeries(a.x,c.x)": [1.5, 3.5 / 3, 5.5 / 5, 7.5 / 7, 9.5 / 9],
            "divideSeries(a.y,c.x)": [2, 7 / 3, None, 15 / 7, 19 / 9],
        },
    ),
    ("divideSeries(a.x,nothing)", {"divideSeries(a.x,MISSING)": [None] * 10}),
    ("divideSeriesLists(b.x,a.x)", {"divideSeries(b.x,a.x)": [10 / i for i in range(1, 11)]}),
    ("multiplySeriesWithWildcards(group(a.x,b.x),0)", {"x": [10.0 * i for i in range(1, 11)]}),
    ("averageSeriesWithWildcards(a.*,1)", {"a": [1.5, 2, 4.5, 6, 5, 6, 10.5, 12, 13.5, 15]}),
    ("weightedAverage(a.x,b.x)", {"weightedAverage(a.x, b.x, )": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_combine(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("divideSeries(a.x,a.*)", r"exactly 1 series \(got 2\)"),
        ("divideSeriesLists(a.*,b.x)", "as many series"),
        ("sumSeriesLists(a.*,b.x)", "as many series"),
        ("aggregateSeriesLists(a.*,a.*,'nope')", "func must be one of"),
        ("percentileOfSeries(a.*,0)", "above 0 and at most 100"),
        ("percentileOfSeries(a.*,101)", "above 0 and at most 100"),
        ("weightedAverage(a.*,b.x)", "as many series"),
        ("groupByNode(a.*,0,'sumSeriesLists')", "unsupported aggregation function"),
    ],
)
def test_combine_errors(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        render(target)
