"""Samples as ``rrdtool update`` arguments (a mypyc-compiled module)."""

from __future__ import annotations

import math

import pytest

from graphmetrics.rrd.updates import (
    Formatted,
    arrange,
    at_times,
    format_update,
    format_updates,
    format_value,
    ordered_updates,
)


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


def test_arrange_orders_pads_and_keeps_the_last_of_a_repeated_time() -> None:
    times, by_time = arrange([(180, (3.0,)), (60.0, [1.0]), (180, (4.0, 5))], 2)
    assert times == [60, 180]
    assert by_time == {60: (1.0, None), 180: (4.0, 5)}
    assert at_times(times, by_time) == [(60, (1.0, None)), (180, (4.0, 5))]
    # in order already (the usual case): the same answer
    assert arrange([(60, (1.0, 2.0)), (120, (3.0, 4.0))], 2) == (
        [60, 120],
        {60: (1.0, 2.0), 120: (3.0, 4.0)},
    )
    assert arrange([], 1) == ([], {})


def test_ordered_updates_formats_the_plain_case_in_one_pass() -> None:
    samples = [(60, (1.5,)), (120, (2,)), (180, (None,))]
    assert ordered_updates(samples, 1, 0) == ["60:1.5", "120:2", "180:U"]
    assert ordered_updates([(60, (1.0, 2.0))], 2, 59) == ["60:1.0:2.0"]
    assert ordered_updates([], 1, 0) == []


@pytest.mark.parametrize(
    ("samples", "width", "last"),
    [
        ([(120, (1.0,)), (60, (2.0,))], 1, 0),  # out of order
        ([(60, (1.0,)), (60, (2.0,))], 1, 0),  # a repeated time (the last one wins)
        ([(60, (1.0,))], 1, 60),  # at the file's last update
        ([(60.0, (1.0,))], 1, 0),  # a float time
        ([(60, (1.0,))], 2, 0),  # fewer values than data sources (padded)
        ([[60, (1.0,)]], 1, 0),  # not a (time, values) tuple
        (((60, (1.0,)),), 1, 0),  # not a list
    ],
)
def test_ordered_updates_leaves_the_rest_to_arrange(samples: object, width: int, last: int) -> None:
    assert ordered_updates(samples, width, last) is None


def test_formatted_samples_are_sent_as_they_were_read_when_in_order() -> None:
    samples = Formatted()
    samples.add(60, "60:1.50")
    samples.add(120, "120:007")
    assert ordered_updates(samples, 1, 0) == ["60:1.50", "120:007"]
    assert ordered_updates(samples, 1, 60) is None  # not all after the file's last update
    assert ordered_updates(samples, 2, 0) is None
    assert (len(samples), samples[-1], list(samples)) == (
        2,
        (120, (7.0,)),
        [(60, (1.5,)), (120, (7.0,))],
    )
    samples.add(120, "120:8")
    assert ordered_updates(samples, 1, 0) is None  # arranged: the last of a time wins
    assert arrange(samples, 1) == ([60, 120], {60: (1.5,), 120: (8.0,)})
