"""Combine: mapSeries/reduceSeries and applyByNode."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import assert_points, points, render

CASES = [
    (
        "reduceSeries(mapSeries(a.*,0),'divideSeries',1,'x','y')",
        {"a.reduce.divideSeries": [0.5, None, 0.5, 0.5, None, None, 0.5, 0.5, 0.5, 0.5]},
    ),
    (
        "reduce(map(group(a.*,b.x),0),'sumSeries',1,'x')",
        {"a.reduce.sumSeries": list(range(1, 11)), "b.reduce.sumSeries": [10] * 10},
    ),
    (
        "applyByNode(a.x,0,'sumSeries(%.*)','%.total')",
        {"a.total": [3, 2, 9, 12, 5, 6, 21, 24, 27, 30]},
    ),
    (
        "applyByNode(group(a.x,b.x),0,'maxSeries(%.x)')",
        {"maxSeries(a.x)": list(range(1, 11)), "maxSeries(b.x)": [10] * 10},
    ),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_map_reduce(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("reduceSeries(mapSeries(group(a.x,b.x),0),'divideSeries',1,'x','y')", "no series for y"),
        ("reduceSeries(mapSeries(a.*,0),'nope',1,'x')", "unknown function"),
        ("applyByNode(a.x,0,'sumSeries(%.*')", "expected"),
    ],
)
def test_map_reduce_errors(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        render(target)
