"""Transform, over time: delays, slices, stacks, hit counts, interval integrals."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import START, assert_points, points, render

X = list(range(1, 11))

CASES = [
    ("delay(a.x,2)", {"delay(a.x,2)": [None, None, *X[:-2]]}),
    ("delay(a.x,-3)", {"delay(a.x,-3)": [*X[3:], None, None, None]}),
    ("delay(a.x,0)", {"delay(a.x,0)": X}),
    ("delay(a.x,20)", {"delay(a.x,20)": [None] * 10}),
    (
        f"timeSlice(a.x,'{START + 120}','{START + 300}')",
        {
            f"timeSlice(a.x, {START + 120}, {START + 300})": [
                None,
                None,
                3,
                4,
                5,
                6,
                None,
                None,
                None,
                None,
            ]
        },
    ),
    (
        "timeStack(a.x,'2min',0,2)",
        {"timeShift(a.x, -2min, 0)": X, "timeShift(a.x, -2min, 1)": [None, None, *X[:-2]]},
    ),
    (
        "integralByInterval(a.x,'3min')",
        {"integralByInterval(a.x,'3min')": [1, 3, 6, 4, 9, 15, 7, 15, 24, 10]},
    ),
    ("interpolate(a.y)", {"interpolate(a.y)": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]}),
    ("interpolate(a.y,1)", {"interpolate(a.y)": [2, 4, 6, 8, None, None, 14, 16, 18, 20]}),
    ("hitcount(a.x,'2min')", {'hitcount(a.x, "2min")': [180, 420, 660, 900, 1140]}),
    ("hitcount(a.x,'4min')", {'hitcount(a.x, "4min")': [180, 1080, 2040]}),
    ("smartSummarize(a.x,'5min')", {'smartSummarize(a.x, "5min", "sum")': [15, 40]}),
    ("smartSummarize(a.y,'5min','max','minutes')", {'smartSummarize(a.y, "5min", "max")': [8, 20]}),
    ("time('t',120)", {"t": [START + 120 * i for i in range(5)]}),
    ("identity('i')", {"i": [START + 60 * i for i in range(10)]}),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_timing(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


def test_sin_is_the_sine_of_the_timestamps() -> None:
    (wave,) = render("sin('w',2)")
    assert wave.name == "w" and len(wave) == 10
    assert wave[3] == pytest.approx(2 * __import__("math").sin(START + 180))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("timeStack(a.x,'1d',0,2000)", "at most 1000 shifts"),
        ("timeStack(a.x,'1y',0,5)", "reaches"),
        ("hitcount(a.x,'0s')", "longer than 0"),
        ("integralByInterval(a.x,'1x')", "invalid offset unit"),
        ("timeSlice(a.x,'tomorrowish')", "cannot read the time"),
        ("time('t',0)", "positive"),
    ],
)
def test_timing_errors(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        render(target)


def test_smart_summarize_ignores_a_boolean_align_to_as_graphite_web_does() -> None:
    assert points("smartSummarize(a.x,'5min','sum',true)") == points("smartSummarize(a.x,'5min')")
