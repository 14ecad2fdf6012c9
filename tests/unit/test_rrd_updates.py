"""Samples as ``rrdtool update`` arguments (a mypyc-compiled module)."""

from __future__ import annotations

import math

import pytest

from graphmetrics.rrd.updates import format_update, format_updates, format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "U"),
        (math.nan, "U"),
        (math.inf, "U"),
        (-math.inf, "U"),
        (0, "0"),
        (-12, "-12"),
        (10**20, "100000000000000000000"),
        (0.1, "0.1"),
        (1e-300, "1e-300"),
        (-2.5, "-2.5"),
        (3.0, "3.0"),
    ],
)
def test_values(value: object, text: str) -> None:
    assert format_value(value) == text


def test_floats_keep_every_digit() -> None:
    value = 1 / 3
    assert float(format_value(value)) == value


def test_one_update_per_timestamp_in_the_order_given() -> None:
    assert format_update(1700000100, (1.5,)) == "1700000100:1.5"
    assert format_update(1700000100, (1, None, 2.5)) == "1700000100:1:U:2.5"
    by_time = {300: (2,), 100: (math.nan,), 200: (7.25,)}
    assert format_updates([100, 200, 300], by_time) == ["100:U", "200:7.25", "300:2"]
