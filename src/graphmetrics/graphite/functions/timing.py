"""Transform: functions about time — delays, slices, stacks of shifted copies, hit
counts, interval integrals, interpolation and calendar-aligned summaries."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo

from graphmetrics.graphite.attime import parse_attime
from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.bounds import (
    MAX_STEPS,
    check_gathered,
    check_reach,
    refetch,
    seconds,
)
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    INF,
    INTERVALS,
    ONE_SERIES,
    SHIFTS,
    agg_func,
)
from graphmetrics.graphite.functions.transform import MAX_BUCKETS, _summarize_values
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value


@function("delay", "Transform", ONE_SERIES, Param("steps", "integer", required=True))
def delay(ctx: Context, series: list[Series], steps: int) -> list[Series]:
    """Every value moved ``steps`` points later (earlier if negative), nulls filling in."""
    result = []
    for s in series:
        raw: list[Value] = s.raw()
        n = min(abs(steps), len(raw))
        nulls: list[Value] = [None] * n
        values = raw[n:] + nulls if steps < 0 else nulls + raw[: len(raw) - n]
        result.append(s.copy_with(name=f"delay({s.name},{steps})", values=values))
    return result


def _when(ctx: Context, func: str, text: str | int | float) -> int:
    if isinstance(text, int | float):
        return int(text)
    try:
        return parse_attime(text, ctx.now)
    except ValueError as exc:
        raise TargetError(f"{func}: cannot read the time {text!r}: {exc}") from None


@function(
    "timeSlice",
    "Transform",
    ONE_SERIES,
    Param("startSliceAt", "date", required=True),
    Param("endSliceAt", "date", default="now"),
)
def time_slice(
    ctx: Context, series: list[Series], start_at: str | int, end_at: str | int = "now"
) -> list[Series]:
    """Values outside ``startSliceAt``..``endSliceAt`` (inclusive) made null."""
    start = _when(ctx, "timeSlice", start_at)
    end = _when(ctx, "timeSlice", end_at)
    for s in series:
        s.name = s.path_expression = f"timeSlice({s.name}, {start}, {end})"
        values = s.raw()
        moment = ctx.start
        for i, v in enumerate(list(s)):
            if v is None or moment < start or moment > end:
                values[i] = None
            moment += s.step
        s[:] = values
    return series


@function(
    "timeStack",
    "Transform",
    ONE_SERIES,
    Param("timeShiftUnit", "interval", default="1d", suggestions=SHIFTS),
    Param("timeShiftStart", "integer", default=0),
    Param("timeShiftEnd", "integer", default=7),
)
def time_stack(
    ctx: Context, series: list[Series], unit: str = "1d", first: int = 0, last: int = 7
) -> list[Series]:
    """Copies of the series shifted by ``timeShiftStart``…``timeShiftEnd``-1 units, drawn now."""
    if unit[:1].isdigit():
        unit = "-" + unit
    delta = seconds("timeStack", unit)
    if last - first > MAX_STEPS:
        raise TargetError(f"timeStack: at most {MAX_STEPS} shifts, got {last - first}")
    if not series:
        return []
    check_reach("timeStack", abs(delta) * max(abs(first), abs(last - 1), 0))
    base = series[0]
    result = []
    for shift in range(first, last):
        moved = delta * shift
        for s in refetch(ctx, "timeStack", ctx.start + moved, ctx.end + moved):
            s.name = s.path_expression = f"timeShift({s.name}, {unit}, {shift})"
            s.start, s.end = base.start, base.end
            result.append(s)
        check_gathered("timeStack", result)
    return result


@function(
    "integralByInterval", "Transform", ONE_SERIES, Param("intervalUnit", "string", required=True)
)
def integral_by_interval(ctx: Context, series: list[Series], unit: str) -> list[Series]:
    """The running sum, restarting at 0 at every ``intervalUnit`` from the request's start."""
    interval = abs(seconds("integralByInterval", unit))
    if interval <= 0:
        raise TargetError("integralByInterval: the interval must be longer than 0 seconds")
    result = []
    for s in series:
        values: list[Value] = []
        moment, current = s.start, 0.0
        for v in s:
            if (moment - ctx.start) // interval != (moment - ctx.start - s.step) // interval:
                current = 0.0
            if v is not None:
                current += v
            values.append(current)
            moment += s.step
        name = f"integralByInterval({s.name},'{unit}')"
        result.append(s.copy_with(name=name, values=values))
    return result


@function("interpolate", "Transform", ONE_SERIES, Param("limit", "intOrInf", default=INF))
def interpolate(ctx: Context, series: list[Series], limit: float = INF) -> list[Series]:
    """Gaps of at most ``limit`` nulls between two values filled by a straight line."""
    for s in series:
        s.name = s.path_expression = f"interpolate({s.name})"
        values = list(s)
        nones = 0
        for i, v in enumerate(values):
            if i == 0:
                continue
            if v is None:
                nones += 1
                continue
            if nones == 0:
                continue
            before = values[i - nones - 1]
            if before is not None and nones <= limit:
                for j in range(i - nones, i):
                    values[j] = before + (j - (i - nones - 1)) * (v - before) / (nones + 1)
            nones = 0
        s[:] = values
        s.values_per_point = 1
    return series


def _floor_time(moment: int, unit: str, tz: tzinfo | None = None) -> int:
    """``moment`` truncated to its second, minute, hour, day, ISO week, month or year
    in the request's time zone (``tz``, graphite-web's ``tz`` parameter; UTC if none)."""
    zone = tz or UTC
    day = datetime.fromtimestamp(moment, zone)
    if unit.startswith("y"):
        day = datetime(day.year, 1, 1, tzinfo=zone)
    elif unit.startswith("mon"):
        day = datetime(day.year, day.month, 1, tzinfo=zone)
    elif unit.startswith("w"):
        weekday = 1 if unit[-1].isalpha() else int(unit[-1])
        back = (day.isoweekday() - weekday) % 7
        day = datetime(day.year, day.month, day.day, tzinfo=zone) - timedelta(days=back)
    elif unit.startswith("d"):
        day = datetime(day.year, day.month, day.day, tzinfo=zone)
    elif unit.startswith("h"):
        day = datetime(day.year, day.month, day.day, day.hour, tzinfo=zone)
    elif unit.startswith("min"):
        day = datetime(day.year, day.month, day.day, day.hour, day.minute, tzinfo=zone)
    elif not unit.startswith("s"):
        raise TargetError(f"invalid time unit {unit!r}")
    return int(day.timestamp())


@function(
    "hitcount",
    "Transform",
    ONE_SERIES,
    Param("intervalString", "interval", required=True, suggestions=INTERVALS),
    Param("alignToInterval", "boolean", default=False),
)
def hitcount(
    ctx: Context, series: list[Series], interval_text: str, align: bool = False
) -> list[Series]:
    """Rates per second turned into hits per ``intervalString``, spread over buckets."""
    interval = abs(seconds("hitcount", interval_text))
    if interval <= 0:
        raise TargetError("hitcount: the interval must be longer than 0 seconds")
    if align:
        unit = "d" if interval >= 86400 else "h" if interval >= 3600 else "min"
        start = _floor_time(ctx.start, unit, ctx.tz) if interval >= 60 else ctx.start
        series = refetch(ctx, "hitcount", start, ctx.end)
        for s in series:
            s.end = s.start + (s.end - s.start) // interval * interval + interval
    result = []
    for s in series:
        buckets_count = math.ceil((s.end - s.start) / interval)
        if buckets_count > MAX_BUCKETS:
            raise TargetError(f"hitcount: more than {MAX_BUCKETS} intervals of {interval_text}")
        new_start = int(s.end - buckets_count * interval)
        values = _hits(s, interval, buckets_count, new_start)
        suffix = ", true" if align else ""
        name = f'hitcount({s.name}, "{interval_text}"{suffix})'
        result.append(s.copy_with(name=name, start=new_start, step=interval, values=values))
    return result


def _hits(s: Series, interval: int, count: int, new_start: int) -> list[Value]:
    buckets: list[list[float]] = [[] for _ in range(count)]
    step = int(s.step)
    for i, value in enumerate(s):
        if value is None:
            continue
        begin = int(s.start + i * step)
        first, first_mod = divmod(begin - new_start, interval)
        last, last_mod = divmod(begin + step - new_start, interval)
        if last >= count:
            last, last_mod = count - 1, interval
        if first == last:
            if first >= 0:
                buckets[first].append(value * (last_mod - first_mod))
            continue
        if first >= 0:
            buckets[first].append(value * (interval - first_mod))
        for j in range(first + 1, last):
            buckets[j].append(value * interval)
        if last_mod > 0:
            buckets[last].append(value * last_mod)
    return [sum(b) if b else None for b in buckets]


ALIGN_UNITS = (False, None, True, "days", "hours", "minutes", "months", "seconds", "weeks", "years")


@function(
    "smartSummarize",
    "Transform",
    ONE_SERIES,
    Param("intervalString", "interval", required=True, suggestions=INTERVALS),
    Param("func", "aggFunc", default="sum", options=tuple(AGG_FUNCS)),
    Param("alignTo", "string", options=ALIGN_UNITS),  # type: ignore[arg-type]
)
def smart_summarize(
    ctx: Context,
    series: list[Series],
    interval_text: str,
    func: str = "sum",
    align_to: str | None = None,
) -> list[Series]:
    """summarize from the request's start, aligned first to ``alignTo``'s unit
    (``hours``, ``days``, ``weeks``/``weeks4`` for Thursday, ``months``, ``years``)."""
    if isinstance(align_to, str):
        start = _floor_time(ctx.start, align_to, ctx.tz)
        series = refetch(ctx, "smartSummarize", start, ctx.end)
    interval = abs(seconds("smartSummarize", interval_text))
    if interval <= 0:
        raise TargetError("smartSummarize: the interval must be longer than 0 seconds")
    aggregate = agg_func(func)
    result = []
    for s in series:
        if (s.end - s.start) // interval > MAX_BUCKETS:
            raise TargetError(
                f"smartSummarize: more than {MAX_BUCKETS} intervals of {interval_text}"
            )
        values, end = _summarize_values(s, aggregate, interval, s.start, s.end)
        name = f'smartSummarize({s.name}, "{interval_text}", "{func}")'
        result.append(s.copy_with(name=name, end=end, step=interval, values=values))
    return result
