"""Calculate: percentiles, running deviations, regression, EMA, Holt-Winters."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import END, START, assert_points, points, render

X = list(range(1, 11))

CASES = [
    ("nPercentile(a.x,50)", {"nPercentile(a.x, 50)": [6] * 10}),
    ("nPercentile(a.y,10)", {"nPercentile(a.y, 10)": [2] * 10}),
    ("nPercentile(empty.x,50)", {}),
    ("stdev(b.x,3)", {"stdev(b.x,3)": [0.0] * 10}),
    ("stdev(a.x,2)", {"stdev(a.x,2)": [0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}),
    ("stdev(a.y,2,0.6)", {"stdev(a.y,2)": [None, None, None, 1, None, None, None, 1, 1, 1]}),
    ("linearRegression(a.x)", {f"linearRegression(a.x, {START}, {END})": X}),
    (
        f"linearRegression(a.x,'{START}','{START + 240}')",
        {f"linearRegression(a.x, {START}, {START + 240})": X},
    ),
    (
        "exponentialMovingAverage(b.x,3)",
        {
            "exponentialMovingAverage(b.x,3)": [
                0,
                5,
                7.5,
                8.75,
                9.375,
                9.6875,
                9.84375,
                9.921875,
                9.960938,
                9.980469,
                9.990234,
            ]
        },
    ),
    ("aggregateLine(a.x)", {"aggregateLine(a.x, 5.5)": [5.5, 5.5, 5.5]}),
    ("aggregateLine(a.x,'max',true)", {"aggregateLine(a.x, 10)": [10] * 10}),
    ("aggregateLine(empty.x)", {"aggregateLine(empty.x, None)": [None] * 3}),
    ("holtWintersForecast(flat.x,'5min','2min')", {"holtWintersForecast(flat.x)": [10] * 10}),
    (
        "holtWintersConfidenceBands(flat.x,3,'5min','2min')",
        {
            "holtWintersConfidenceLower(flat.x)": [10] * 10,
            "holtWintersConfidenceUpper(flat.x)": [10] * 10,
        },
    ),
    ("holtWintersAberration(flat.x,3,'5min','2min')", {"holtWintersAberration(flat.x)": [0] * 10}),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_statistics(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


def test_confidence_area_is_both_bands_under_one_name() -> None:
    lower, upper = render("holtWintersConfidenceBands(wave.x,2,'10min','5min')")
    area = render("holtWintersConfidenceArea(wave.x,2,'10min','5min')")
    assert [s.name for s in area] == ["holtWintersConfidenceArea(wave.x)"] * 2
    assert [list(s) for s in area] == [list(lower), list(upper)]
    assert any(low < high for low, high in zip(lower, upper, strict=True))


def test_aberration_is_the_distance_outside_the_bands() -> None:
    (aberration,) = render("holtWintersAberration(wave.x,1,'10min','5min')")
    lower, upper = render("holtWintersConfidenceBands(wave.x,1,'10min','5min')")
    (actual,) = render("wave.x")
    for a, low, high, v in zip(aberration, lower, upper, actual, strict=True):
        expected = v - high if v > high else v - low if v < low else 0
        assert a == pytest.approx(expected)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nPercentile(a.x,0)", "above 0 and at most 100"),
        ("stdev(a.x,0)", "at least 1"),
        ("holtWintersForecast(a.x,'800d')", "reaches"),
        ("holtWintersForecast(a.x,'1d','30s')", "at least one step"),
        ("exponentialMovingAverage(a.x,'3y')", "reaches"),
        ("linearRegression(a.x,'-900d')", "reaches"),
    ],
)
def test_statistics_errors(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        render(target)
