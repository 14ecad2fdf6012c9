"""Filter Data: nulling the points above or below a value or a percentile."""

from __future__ import annotations

from collections.abc import Callable

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import ONE_SERIES
from graphmetrics.graphite.functions.percentile import get_percentile
from graphmetrics.graphite.series import Series, Value

N = Param("n", "float", required=True)


def _remove(
    name: str, series: list[Series], n: float, drop: Callable[[Value], bool]
) -> list[Series]:
    for s in series:
        s.name = "%s(%s, %g)" % (name, s.name, n)  # noqa: UP031 - graphite's format
        s.path_expression = s.name
        s[:] = [None if drop(v) else v for v in s.raw()]
    return series


@function("removeAboveValue", "Filter Data", ONE_SERIES, N)
def remove_above_value(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """Every point above ``n`` becomes null."""
    return _remove("removeAboveValue", series, n, lambda v: v is not None and v > n)


@function("removeBelowValue", "Filter Data", ONE_SERIES, N)
def remove_below_value(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """Every point below ``n`` becomes null."""
    return _remove("removeBelowValue", series, n, lambda v: v is None or v < n)


def _percentile_filter(
    name: str, series: list[Series], n: float, drop: Callable[[Value, float], bool]
) -> list[Series]:
    for s in series:
        percentile = get_percentile(s.raw(), n)
        if percentile is None or s.end - s.start < s.step:  # graphite-web skips such a series
            s.name = "%s(%s, %g)" % (name, s.name, n)  # noqa: UP031
            s.path_expression = s.name
            continue
        _remove(name, [s], n, lambda v, p=percentile: drop(v, p))  # type: ignore[misc]
    return series


@function("removeAbovePercentile", "Filter Data", ONE_SERIES, N)
def remove_above_percentile(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """Every point above the series' ``n``-th percentile becomes null."""
    return _percentile_filter(
        "removeAbovePercentile", series, n, lambda v, p: v is not None and v > p
    )


@function("removeBelowPercentile", "Filter Data", ONE_SERIES, N)
def remove_below_percentile(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """Every point below the series' ``n``-th percentile becomes null."""
    return _percentile_filter("removeBelowPercentile", series, n, lambda v, p: v is None or v < p)
