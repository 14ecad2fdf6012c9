"""Calculate: the moving windows, with data from before the request."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import START, assert_points, points, render

CASES = [
    (
        "movingAverage(a.x,2)",
        {"movingAverage(a.x,2)": [None, 1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]},
    ),
    ("movingSum(a.x,'2min')", {'movingSum(a.x,"2min")': [None, 1, 3, 5, 7, 9, 11, 13, 15, 17]}),
    ("movingMedian(a.x,3)", {"movingMedian(a.x,3)": [None, 1, 1.5, 2, 3, 4, 5, 6, 7, 8]}),
    ("movingMax(a.y,2)", {"movingMax(a.y,2)": [None, 2, 2, 6, 8, 8, None, 14, 16, 18]}),
    ("movingMin(a.y,3,0.5)", {"movingMin(a.y,3)": [None, None, None, 2, 6, 6, None, None, 14, 14]}),
    ("movingWindow(a.x,2,'min',1)", {"movingMin(a.x,2)": [None, None, 1, 2, 3, 4, 5, 6, 7, 8]}),
    ("movingWindow(c.x,1,'sum')", {"movingSum(c.x,1)": [None, 1, 3, 5, 7]}),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_moving(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("movingAverage(a.x,'800d')", "reaches"),
        ("movingAverage(a.x,100000000)", "reaches"),
        ("movingAverage(a.x,0)", "at least 1 point"),
        ("movingWindow(a.x,2,'nope')", "func must be one of"),
    ],
)
def test_moving_errors(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        render(target)


def test_series_list_by_keyword_is_fetched_again_with_the_window() -> None:
    assert points("movingAverage(seriesList=a.x,windowSize=2)") == points("movingAverage(a.x,2)")


def test_time_shift_is_capped() -> None:
    with pytest.raises(TargetError, match="reaches"):
        render("timeShift(a.x,'3y')")


def test_window_work_is_capped() -> None:
    with pytest.raises(TargetError, match="steps of work"):
        render("movingMedian(flat.x,20000)", end=START + 30 * 86400)
