"""Transform, value by value: names and values, nulls and values outside the domain."""

from __future__ import annotations

import math

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import assert_points, points, render

X = list(range(1, 11))

CASES = [
    ("add(a.x,1.5)", {"add(a.x,1)": [i + 1.5 for i in X]}),
    ("add(a.y,-2)", {"add(a.y,-2)": [0, None, 4, 6, None, None, 12, 14, 16, 18]}),
    ("exp(a.x)", {"exp(a.x)": [math.exp(i) for i in X]}),
    (
        "invert(counter.x)",
        {
            "invert(counter.x)": [
                None,
                0.02,
                0.01,
                0.1,
                1 / 60,
                None,
                1 / 110,
                0.05,
                1 / 70,
                1 / 120,
            ]
        },
    ),
    ("log(a.x,2)", {"log(a.x, 2)": [math.log2(i) for i in X]}),
    (
        "log(counter.x)",
        {
            "log(counter.x, 10)": [
                None,
                math.log10(50),
                2,
                1,
                math.log10(60),
                None,
                math.log10(110),
                math.log10(20),
                math.log10(70),
                math.log10(120),
            ]
        },
    ),
    (
        "logit(scale(a.x,0.1))",
        {"logit(scale(a.x,0.1))": [math.log(i / (10 - i)) for i in X[:-1]] + [None]},
    ),
    ("pow(a.x,2)", {"pow(a.x,2)": [i * i for i in X]}),
    (
        "squareRoot(offset(a.x,-5))",
        {"squareRoot(offset(a.x,-5))": [None] * 4 + [math.sqrt(i) for i in range(0, 6)]},
    ),
    ("sigmoid(b.x)", {"sigmoid(b.x)": [1 / (1 + math.exp(-10))] * 10}),
    ("round(scale(a.x,0.15))", {"round(scale(a.x,0.15))": [0, 0, 0, 1, 1, 1, 1, 1, 1, 2]}),
    ("round(scale(a.x,0.123),1)", {"round(scale(a.x,0.123),1)": [round(0.123 * i, 1) for i in X]}),
    ("scaleToSeconds(a.x,30)", {"scaleToSeconds(a.x,30)": [i / 2 for i in X]}),
    (
        "scaleToSeconds(c.x,1)",
        {"scaleToSeconds(c.x,1)": [round(i / 120, 6) for i in (1, 3, 5, 7, 9)]},
    ),
    ("isNonNull(a.y)", {"isNonNull(a.y)": [1, 0, 1, 1, 0, 0, 1, 1, 1, 1]}),
    ("minMax(a.x)", {"minMax(a.x)": [(i - 1) / 9 for i in X]}),
    ("minMax(b.x)", {"minMax(b.x)": [0.0] * 10}),
    ("offsetToZero(a.y)", {"offsetToZero(a.y)": [0, None, 4, 6, None, None, 12, 14, 16, 18]}),
    ("offsetToZero(empty.x)", {"offsetToZero(empty.x)": [None] * 10}),
]


@pytest.mark.parametrize(("target", "expected"), CASES)
def test_arithmetic(target: str, expected: dict[str, list[float | None]]) -> None:
    assert_points(points(target), expected)


def test_log_refuses_a_base_of_one() -> None:
    with pytest.raises(TargetError, match="base"):
        render("log(a.x,1)")
