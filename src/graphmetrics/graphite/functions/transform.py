"""Transform, Calculate and Special: per-series value changes, windows, time shifts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphmetrics.graphite.attime import parse_offset
from graphmetrics.graphite.evaluator import Context, Param, evaluate_target, function
from graphmetrics.graphite.functions.bounds import seconds
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    INF,
    INTERVALS,
    ONE_SERIES,
    SERIES,
    SHIFTS,
    agg_func,
    safe_mul,
    xff,
)
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value, rows


# -- Special -------------------------------------------------------------------
@function(
    "consolidateBy",
    "Special",
    ONE_SERIES,
    Param(
        "consolidationFunc",
        "string",
        required=True,
        options=("sum", "average", "avg", "avg_zero", "min", "max", "first", "last"),
    ),
)
def consolidate_by(ctx: Context, series: list[Series], func: str) -> list[Series]:
    """How points are merged when fewer are drawn (maxDataPoints) or steps differ."""
    for s in series:
        s.consolidation = func
        s.name = f'consolidateBy({s.name},"{func}")'
        s.path_expression = s.name
    return series


# -- Transform -----------------------------------------------------------------
def _number_text(value: float) -> str:
    return "%g" % float(value)  # noqa: UP031 - graphite's own formatting of the factor


@function("scale", "Transform", ONE_SERIES, Param("factor", "float", required=True))
def scale(ctx: Context, series: list[Series], factor: float) -> list[Series]:
    """Multiplies every value by ``factor``."""
    for s in series:
        s.name = f"scale({s.name},{_number_text(factor)})"
        s.path_expression = s.name
        s[:] = [safe_mul(v, factor) for v in s.raw()]
    return series


@function("offset", "Transform", ONE_SERIES, Param("factor", "float", required=True))
def offset(ctx: Context, series: list[Series], factor: float) -> list[Series]:
    """Adds ``factor`` to every value."""
    for s in series:
        s.name = f"offset({s.name},{_number_text(factor)})"
        s.path_expression = s.name
        s[:] = [None if v is None else v + factor for v in s.raw()]
    return series


@function("absolute", "Transform", ONE_SERIES)
def absolute(ctx: Context, series: list[Series]) -> list[Series]:
    """The absolute value of every point."""
    for s in series:
        s.name = f"absolute({s.name})"
        s.path_expression = s.name
        s[:] = [None if v is None else abs(v) for v in s.raw()]
    return series


@function("derivative", "Transform", ONE_SERIES)
def derivative(ctx: Context, series: list[Series]) -> list[Series]:
    """The difference between each point and the one before."""
    result = []
    for s in series:
        values: list[Value] = []
        prev: Value = None
        for v in s:
            values.append(None if prev is None or v is None else v - prev)
            prev = v
        result.append(s.copy_with(name=f"derivative({s.name})", values=values))
    return result


def _non_negative_delta(
    v: Value, prev: Value, max_value: float | None, min_value: float | None
) -> tuple[Value, Value]:
    if max_value is not None and v is not None and v > max_value:
        return None, None
    if min_value is not None and v is not None and v < min_value:
        return None, None
    if prev is None or v is None:
        return None, v
    if v >= prev:
        return v - prev, v
    if max_value is not None:
        return max_value + 1 + v - prev - (min_value or 0), v
    if min_value is not None:
        return v - min_value, v
    return None, v


LIMITS = (Param("maxValue", "float"), Param("minValue", "float"))


@function("nonNegativeDerivative", "Transform", ONE_SERIES, *LIMITS)
def non_negative_derivative(
    ctx: Context,
    series: list[Series],
    max_value: float | None = None,
    min_value: float | None = None,
) -> list[Series]:
    """Like derivative, with counter wraps (a decrease) as null or wrapped at maxValue."""
    return [
        s.copy_with(
            name=f"nonNegativeDerivative({s.name})",
            values=_non_negative_deltas(s, max_value, min_value),
        )
        for s in series
    ]


@function("perSecond", "Transform", ONE_SERIES, *LIMITS)
def per_second(
    ctx: Context,
    series: list[Series],
    max_value: float | None = None,
    min_value: float | None = None,
) -> list[Series]:
    """nonNegativeDerivative divided by the step in seconds."""
    result = []
    for s in series:
        deltas = _non_negative_deltas(s, max_value, min_value)
        values = [None if d is None else round(d / s.step, 6) for d in deltas]
        result.append(s.copy_with(name=f"perSecond({s.name})", values=values))
    return result


def _non_negative_deltas(
    s: Series, max_value: float | None, min_value: float | None
) -> list[Value]:
    """Each value's :func:`_non_negative_delta` from the one before it."""
    deltas: list[Value] = []
    prev: Value = None
    for v in s:
        delta, prev = _non_negative_delta(v, prev, max_value, min_value)
        deltas.append(delta)
    return deltas


@function("integral", "Transform", ONE_SERIES)
def integral(ctx: Context, series: list[Series]) -> list[Series]:
    """The running sum of the values (nulls stay null)."""
    result = []
    for s in series:
        current = 0.0
        values: list[Value] = []
        for v in s:
            if v is None:
                values.append(None)
            else:
                current += v
                values.append(current)
        result.append(s.copy_with(name=f"integral({s.name})", values=values))
    return result


@function("keepLastValue", "Transform", ONE_SERIES, Param("limit", "intOrInf", default=INF))
def keep_last_value(ctx: Context, series: list[Series], limit: float = INF) -> list[Series]:
    """Fills gaps of at most ``limit`` nulls with the last known value."""
    for s in series:
        s.name = f"keepLastValue({s.name})"
        s.path_expression = s.name
        values = s.raw()
        nones = 0
        last: Value = None
        for i, v in enumerate(values):
            if v is None:
                nones += 1
                continue
            if 0 < nones <= limit and last is not None:
                values[i - nones : i] = [last] * nones
            nones, last = 0, v
        if 0 < nones <= limit and last is not None:
            values[len(values) - nones :] = [last] * nones
        s[:] = values
    return series


@function(
    "transformNull",
    "Transform",
    ONE_SERIES,
    Param("default", "float", default=0),
    Param("referenceSeries", SERIES),
)
def transform_null(
    ctx: Context,
    series: list[Series],
    default: float = 0,
    reference: list[Series] | None = None,
) -> list[Series]:
    """Nulls replaced by ``default`` (only where a reference series has a value)."""
    defaults = None
    if reference:
        defaults = [default if any(v is not None for v in row) else None for row in rows(reference)]
    for s in series:
        suffix = ",referenceSeries" if reference else ""
        s.name = f"transformNull({s.name},{_number_text(default)}{suffix})"
        s.path_expression = s.name
        if defaults:
            s[:] = [d if v is None else v for v, d in rows([s.raw(), defaults])]  # type: ignore[list-item]
        else:
            s[:] = [default if v is None else v for v in s.raw()]
    return series


@function(
    "timeShift",
    "Transform",
    ONE_SERIES,
    Param("timeShift", "interval", required=True, suggestions=SHIFTS),
    Param("resetEnd", "boolean", default=True),
    Param("alignDst", "boolean", default=False),
)
def time_shift(
    ctx: Context, series: list[Series], shift: str, reset_end: bool = True, align_dst: bool = False
) -> list[Series]:
    """The series' data from ``shift`` earlier (``1d``, ``-1w``, ``+1h``), drawn now.

    ``alignDst`` has no effect: times are UTC, which has no daylight saving.
    """
    if shift[:1].isdigit():
        shift = "-" + shift
    delta = seconds("timeShift", shift)
    if not series:
        return []
    first = series[0]
    shifted = evaluate_target(ctx.shifted(ctx.start + delta, ctx.end + delta), ctx.args[0])
    for s in shifted:
        s.name = f'timeShift({s.name}, "{shift}")'
        s.end = first.end if reset_end else s.end - s.start + first.start
        s.start = first.start
    return shifted


MAX_BUCKETS = 500_000


@function(
    "summarize",
    "Transform",
    ONE_SERIES,
    Param("intervalString", "interval", required=True, suggestions=INTERVALS),
    Param("func", "aggFunc", default="sum", options=tuple(AGG_FUNCS)),
    Param("alignToFrom", "boolean", default=False),
)
def summarize(
    ctx: Context, series: list[Series], interval_text: str, func: str = "sum", align: bool = False
) -> list[Series]:
    """One value per ``interval`` (``1h``, ``1d``), aggregated with ``func``."""
    try:
        interval = abs(parse_offset(interval_text))
    except ValueError as exc:
        raise TargetError(f"summarize: {exc}") from None
    if interval <= 0:
        raise TargetError("summarize: the interval must be longer than 0 seconds")
    aggregate = agg_func(func)
    result = []
    for s in series:
        if (s.end - s.start) // interval > MAX_BUCKETS:
            raise TargetError(f"summarize: more than {MAX_BUCKETS} intervals of {interval_text}")
        if align:
            start, end = s.start, s.end
        else:
            start = s.start - s.start % interval
            end = s.end - s.end % interval + interval
        values, aligned_end = _summarize_values(s, aggregate, interval, start, end)
        if align:
            end = aligned_end
        suffix = ", true" if align else ""
        name = f'summarize({s.name}, "{interval_text}", "{func}"{suffix})'
        result.append(s.copy_with(name=name, start=start, end=end, step=interval, values=values))
    return result


def _summarize_values(
    s: Series,
    aggregate: Callable[[Sequence[Value]], Value],
    interval: int,
    start: int,
    end: int,
) -> tuple[list[Value], int]:
    timestamps = list(range(int(s.start), int(s.end), int(s.step)))
    points = list(s)
    per_interval = interval / s.step
    count = min(len(timestamps), len(points))
    values: list[Value] = []
    i = 0
    moment = start
    while moment < end:
        first = i
        known = 0
        while i < count and timestamps[i] < moment + interval:
            if timestamps[i] <= moment:
                first = i
            if timestamps[i] >= moment and points[i] is not None:
                known += 1
            i += 1
        values.append(aggregate(points[first:i]) if xff(known, per_interval, s.xff) else None)
        moment += interval
    return values, moment
