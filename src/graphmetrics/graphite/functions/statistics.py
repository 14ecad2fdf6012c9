"""Calculate: whole-series statistics — percentiles, running deviations, regression,
exponential averages and a series' aggregate drawn as a line."""

from __future__ import annotations

import math
from collections.abc import Sequence

from graphmetrics.graphite.attime import parse_attime
from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.aggregates import constant_series, percentile
from graphmetrics.graphite.functions.bounds import refetch
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    ONE_SERIES,
    WINDOWS,
    agg_func,
    safe_avg,
)
from graphmetrics.graphite.functions.moving import window_seconds
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value


@function("nPercentile", "Calculate", ONE_SERIES, Param("n", "float", required=True))
def n_percentile(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """A line at each series' ``n``-th percentile (series without values are dropped)."""
    percentile([], n)  # checks n
    result = []
    for s in series:
        value = percentile(list(s), n)
        if value is None:
            continue
        count = int((s.end - s.start) / s.step)
        result.append(s.copy_with(name=f"nPercentile({s.name}, {n:g})", values=[value] * count))
    return result


@function(
    "stdev",
    "Calculate",
    ONE_SERIES,
    Param("points", "integer", required=True),
    Param("windowTolerance", "float", default=0.1),
)
def stdev(ctx: Context, series: list[Series], points: int, tolerance: float = 0.1) -> list[Series]:
    """The standard deviation of the last ``points`` values at each point, null where
    fewer than ``windowTolerance`` of them are known."""
    if points <= 0:
        raise TargetError(f"stdev: points must be at least 1, got {points}")
    result = []
    for s in series:
        values = _stdev(list(s), points, tolerance)
        result.append(s.copy_with(name=f"stdev({s.name},{int(points)})", values=values))
    return result


def _stdev(values: Sequence[Value], points: int, tolerance: float) -> list[Value]:
    result: list[Value] = []
    valid, total, squares = 0, 0.0, 0.0
    for i, new in enumerate(values):
        dropped = values[i - points] if i >= points else None
        if dropped is not None:
            valid -= 1
            total -= dropped
            squares -= dropped**2
        if new is not None:
            valid += 1
            total += new
            squares += new**2
        if valid > 0 and valid / points >= tolerance:
            try:
                result.append(math.sqrt(valid * squares - total**2) / valid)
            except ValueError:
                result.append(None)
        else:
            result.append(None)
    return result


def _regression(s: Series) -> tuple[float, float] | None:
    known = [(i, v) for i, v in enumerate(s) if v is not None]
    n = len(known)
    sum_i = sum(i for i, _ in known)
    sum_v = sum(v for _, v in known)
    sum_ii = sum(i * i for i, _ in known)
    sum_iv = sum(i * v for i, v in known)
    denominator = float(n * sum_ii - sum_i * sum_i)
    if denominator == 0:
        return None
    factor = (n * sum_iv - sum_i * sum_v) / denominator / s.step
    offset = (sum_ii * sum_v - sum_iv * sum_i) / denominator - factor * s.start
    return factor, offset


@function(
    "linearRegression",
    "Calculate",
    ONE_SERIES,
    Param("startSourceAt", "date"),
    Param("endSourceAt", "date"),
)
def linear_regression(
    ctx: Context,
    series: list[Series],
    start_at: str | int | None = None,
    end_at: str | int | None = None,
) -> list[Series]:
    """The least-squares line through each series' values between ``startSourceAt`` and
    ``endSourceAt`` (the request's range by default), drawn over the request."""
    start = ctx.start if start_at is None else _when(ctx, start_at)
    end = ctx.end if end_at is None else _when(ctx, end_at)
    sources = refetch(ctx, "linearRegression", start, end)
    result = []
    for source, s in zip(sources, series, strict=False):
        fit = _regression(source)
        if fit is None:
            continue
        factor, offset = fit
        values = [offset + (s.start + i * s.step) * factor for i in range(len(s.raw()))]
        name = f"linearRegression({s.name}, {start}, {end})"
        result.append(s.copy_with(name=name, values=values))
    return result


def _when(ctx: Context, text: str | int) -> int:
    if isinstance(text, int | float):
        return int(text)
    try:
        return parse_attime(text, ctx.now)
    except ValueError as exc:
        raise TargetError(f"linearRegression: cannot read the time {text!r}: {exc}") from None


@function(
    "exponentialMovingAverage",
    "Calculate",
    ONE_SERIES,
    Param("windowSize", "intOrInterval", required=True, suggestions=WINDOWS),
)
def exponential_moving_average(
    ctx: Context, series: list[Series], window: int | str
) -> list[Series]:
    """EMA with constant 2 / (windowSize + 1), seeded with the first window's average."""
    if not series:
        return []
    preview = window_seconds("exponentialMovingAverage", series, window)
    constant = 2.0 / (preview + 1) if isinstance(window, str) else 2.0 / (int(window) + 1)
    result = []
    for s in refetch(ctx, "exponentialMovingAverage", ctx.start - preview, ctx.end):
        if isinstance(window, str):
            name = f'exponentialMovingAverage({s.name},"{window}")'
            points = preview // s.step
        else:
            name = f"exponentialMovingAverage({s.name},{window})"
            points = int(window)
        raw = s.raw()
        ema = safe_avg(raw[:points]) or 0
        values: list[Value] = [round(ema, 6)]
        for v in raw[points:]:
            if v is None:
                values.append(None)
            else:
                ema = constant * v + (1 - constant) * ema
                values.append(round(ema, 6))
        result.append(s.copy_with(name=name, start=s.start + preview, values=values))
    return result


@function(
    "aggregateLine",
    "Calculate",
    ONE_SERIES,
    Param("func", "aggFunc", default="average", options=tuple(AGG_FUNCS)),
    Param("keepStep", "boolean", default=False),
)
def aggregate_line(
    ctx: Context, series: list[Series], func: str = "average", keep_step: bool = False
) -> list[Series]:
    """A horizontal line at each series' ``func`` (average) over the request."""
    aggregate = agg_func(func)
    result = []
    for s in series:
        value = aggregate(list(s))
        name = f"aggregateLine({s.name}, {'None' if value is None else format(value, 'g')})"
        if keep_step:
            line = s.copy_with(name=name, values=[value] * len(s.raw()))
        else:
            line = constant_series(ctx, value, name)  # type: ignore[arg-type]
            line.name = name
        line.path_expression = name
        result.append(line)
    return result
