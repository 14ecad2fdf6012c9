"""Graphite render functions, with graphite-web 1.1's semantics and series names.

Each is registered under its Graphite name with its parameters (``/functions``
lists them).  The tests compare every one with graphite-web's own answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from graphmetrics.web.graphite.attime import parse_offset
from graphmetrics.web.graphite.evaluator import (
    FUNCTIONS,
    Context,
    Param,
    evaluate_target,
    function,
)
from graphmetrics.web.graphite.grammar import TargetError, first_path, parse_target
from graphmetrics.web.graphite.series import Series, Value, normalize, rows

INF = float("inf")
SERIES = "seriesList"


def _known(values: Sequence[Value]) -> list[float]:
    return [v for v in values if v is not None]


def safe_sum(values: Sequence[Value]) -> Value:
    known = _known(values)
    return sum(known) if known else None


def safe_avg(values: Sequence[Value]) -> Value:
    known = _known(values)
    return sum(known) / len(known) if known else None


def safe_max(values: Sequence[Value]) -> Value:
    known = _known(values)
    return max(known) if known else None


def safe_min(values: Sequence[Value]) -> Value:
    known = _known(values)
    return min(known) if known else None


def safe_last(values: Sequence[Value]) -> Value:
    known = _known(values)
    return known[-1] if known else None


def safe_median(values: Sequence[Value]) -> Value:
    known = sorted(_known(values))
    if not known:
        return None
    mid = len(known) // 2
    return known[mid] if len(known) % 2 else float(known[mid - 1] + known[mid]) / 2


def safe_stddev(values: Sequence[Value]) -> Value:
    known = _known(values)
    if not known:
        return None
    avg = sum(known) / len(known)
    return math.sqrt(sum((v - avg) ** 2 for v in known) / len(known))


def safe_diff(values: Sequence[Value]) -> Value:
    known = _known(values)
    return known[0] - sum(known[1:]) if known else None


def safe_mul(*factors: Value) -> Value:
    if any(f is None for f in factors):
        return None
    product = 1.0
    for f in factors:
        product *= float(f)  # type: ignore[arg-type]
    return product


def safe_div(a: Value, b: Value) -> Value:
    if a is None or b in (0, None):
        return None
    return a / b


def _range(values: Sequence[Value]) -> Value:
    high, low = safe_max(values), safe_min(values)
    return None if high is None or low is None else float(high) - float(low)


AGG_FUNCS: dict[str, Callable[[Sequence[Value]], Value]] = {
    "average": safe_avg,
    "avg_zero": lambda v: sum(0 if x is None else x for x in v) / len(v) if v else None,
    "median": safe_median,
    "sum": safe_sum,
    "min": safe_min,
    "max": safe_max,
    "diff": safe_diff,
    "stddev": safe_stddev,
    "count": lambda v: len(_known(v)),
    "range": _range,
    "multiply": lambda v: safe_mul(*v),
    "last": safe_last,
    "rangeOf": _range,
    "avg": safe_avg,
    "total": safe_sum,
    "current": safe_last,
}


def agg_func(name: str) -> Callable[[Sequence[Value]], Value]:
    try:
        return AGG_FUNCS[name]
    except KeyError:
        raise TargetError(f"unsupported aggregation function: {name}") from None


def xff(known: int, total: float, factor: float) -> bool:
    return bool(known and total) and known / total >= factor


def path_expressions(series: Sequence[Series]) -> str:
    seen: list[str] = []
    for s in series:
        if s.path_expression not in seen:
            seen.append(s.path_expression)
    return ",".join(seen)


# -- Combine -------------------------------------------------------------------
def _aggregate(ctx: Context, series_lists: Sequence[list[Series]], func: str) -> list[Series]:
    if not series_lists:
        return []
    series, start, end, step = normalize(series_lists)
    aggregate = agg_func(func)
    name = f"{func}Series({path_expressions(series)})"
    values = [
        aggregate(row) if xff(len(_known(row)), len(row), ctx.xff) else None for row in rows(series)
    ]
    return [Series(name, start, end, step, values, xff=ctx.xff)]


LISTS = Param("seriesLists", SERIES, required=True, multiple=True)
ONE_SERIES = Param("seriesList", SERIES, required=True)


@function("sumSeries", "Combine", LISTS, aggregator=True)
def sum_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """Adds the series together point by point (nulls ignored)."""
    return _aggregate(ctx, series_lists, "sum")


@function("averageSeries", "Combine", LISTS, aggregator=True)
def average_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The average of the series at each point (nulls ignored)."""
    return _aggregate(ctx, series_lists, "average")


@function("maxSeries", "Combine", LISTS, aggregator=True)
def max_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The maximum of the series at each point."""
    return _aggregate(ctx, series_lists, "max")


@function("minSeries", "Combine", LISTS, aggregator=True)
def min_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The minimum of the series at each point."""
    return _aggregate(ctx, series_lists, "min")


@function(
    "aggregate",
    "Combine",
    Param("seriesList", SERIES, required=True),
    Param("func", "aggFunc", required=True, options=tuple(AGG_FUNCS)),
    Param("xFilesFactor", "float"),
    aggregator=True,
)
def aggregate(
    ctx: Context, series: list[Series], func: str, factor: float | None = None
) -> list[Series]:
    """Aggregates the series point by point with ``func``."""
    if func.endswith("Series"):
        func = func[:-6]
    agg_func(func)
    if factor is not None:
        ctx.xff = factor
    return _aggregate(ctx, [series], func)


@function("group", "Combine", Param("seriesLists", SERIES, multiple=True))
def group(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """All the series of the arguments as one list."""
    return [s for series in series_lists for s in series]


@function(
    "asPercent",
    "Combine",
    Param("seriesList", SERIES, required=True),
    Param("total", "any"),
    Param("nodes", "nodeOrTag", multiple=True),
    aggregator=True,
)
def as_percent(
    ctx: Context, series: list[Series], total: Any = None, *nodes: int | str
) -> list[Series]:
    """Each series as a percentage of ``total`` (a number, a series, or their sum)."""
    if nodes:
        return _as_percent_by_nodes(ctx, series, total, nodes)
    if not series:
        return []
    normalize([series])
    if total is None:
        total_values: Sequence[Value] = [safe_sum(row) for row in rows(series)]
        total_text = f"sumSeries({path_expressions(series)})"
    elif isinstance(total, list):
        if len(total) not in (1, len(series)):
            raise TargetError(
                "asPercent: the total must be a number or one series, or as many series "
                "as the first argument"
            )
        if len(total) == 1:
            normalize([series, total])
            total_values, total_text = total[0], total[0].name
    elif isinstance(total, int | float) and not isinstance(total, bool):
        total_values, total_text = [total] * len(series[0]), str(total)
    else:
        raise TargetError(f"asPercent: total must be a number or a series list, got {total!r}")
    if isinstance(total, list) and len(total) == len(series):
        pairs = zip(
            sorted(series, key=lambda s: s.name), sorted(total, key=lambda s: s.name), strict=True
        )
        return [_percent(ctx, a, b) for a, b in pairs]
    result = []
    for s in series:
        values = [
            safe_mul(safe_div(v, t), 100.0)
            for v, t in rows([s, total_values])  # type: ignore[list-item]
        ]
        name = f"asPercent({s.name},{total_text or s.path_expression})"
        result.append(Series(name, s.start, s.end, s.step, values, xff=ctx.xff))
    return result


def _percent(ctx: Context, a: Series, b: Series) -> Series:
    _, start, end, step = normalize([[a, b]])
    values = [safe_mul(safe_div(x, y), 100.0) for x, y in rows([a, b])]
    return Series(f"asPercent({a.name},{b.name})", start, end, step, values, xff=ctx.xff)


def _sum_group(ctx: Context, group: list[Series]) -> Series:
    if len(group) == 1:
        return group[0]
    _, start, end, step = normalize([group])
    values = [safe_sum(row) for row in rows(group)]
    name = f"sumSeries({path_expressions(group)})"
    return Series(name, start, end, step, values, xff=ctx.xff)


def _as_percent_by_nodes(
    ctx: Context, series: list[Series], total: Any, nodes: Sequence[int | str]
) -> list[Series]:
    if total is not None and not isinstance(total, list):
        raise TargetError("asPercent: with nodes, total must be None or a series list")
    normalize([series])
    keys: list[str] = []
    groups: dict[str, list[Series]] = {}
    for s in series:
        key = agg_key(s, nodes)
        if key not in groups:
            keys.append(key)
        groups.setdefault(key, []).append(s)
    totals: dict[str, Series] = {}
    if total is None:
        totals = {key: _sum_group(ctx, groups[key]) for key in keys}
    else:
        total_groups: dict[str, list[Series]] = {}
        for s in total:
            key = agg_key(s, nodes)
            if key not in total_groups and key not in keys:
                keys.append(key)
            total_groups.setdefault(key, []).append(s)
        totals = {key: _sum_group(ctx, group) for key, group in total_groups.items()}
    result = []
    for key in keys:
        if key not in groups:
            t = totals[key]
            name = f"asPercent(MISSING,{t.name})"
            result.append(Series(name, t.start, t.end, t.step, [None] * len(t), xff=ctx.xff))
            continue
        for s in groups[key]:
            if key not in totals:
                name = f"asPercent({s.name},MISSING)"
                result.append(Series(name, s.start, s.end, s.step, [None] * len(s), xff=ctx.xff))
            else:
                result.append(_percent(ctx, s, totals[key]))
    return result


def _grouped(
    ctx: Context, series: list[Series], key: Callable[[Series], str], callback: str
) -> list[Series]:
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(key(s), []).append(s)
    result = []
    for name, group in groups.items():
        func = FUNCTIONS.get(callback)
        if func is not None and func.aggregator and callback != "asPercent":
            combined = func.impl(ctx, group)[0]
        else:
            combined = _aggregate(ctx, [group], callback)[0]
        combined.name = name
        result.append(combined)
    return result


CALLBACK = Param("callback", "aggOrSeriesFunc", required=True)


@function(
    "groupByNodes", "Combine", ONE_SERIES, CALLBACK, Param("nodes", "nodeOrTag", multiple=True)
)
def group_by_nodes(
    ctx: Context, series: list[Series], callback: str, *nodes: int | str
) -> list[Series]:
    """The series grouped by the given nodes, each group combined by ``callback``."""
    return _grouped(ctx, series, lambda s: agg_key(s, nodes), _callback(callback))


@function(
    "groupByNode",
    "Combine",
    ONE_SERIES,
    Param("nodeNum", "nodeOrTag", required=True),
    Param("callback", "aggOrSeriesFunc", default="average"),
)
def group_by_node(
    ctx: Context, series: list[Series], node: int | str, callback: str = "average"
) -> list[Series]:
    """The series grouped by one node, each group combined by ``callback`` (average)."""
    return _grouped(ctx, series, lambda s: agg_key(s, [node]), _callback(callback))


def _callback(name: str) -> str:
    if name in AGG_FUNCS or (name in FUNCTIONS and FUNCTIONS[name].aggregator):
        return name
    raise TargetError(f"unsupported aggregation function: {name}")


POSITIONS = Param("position", "node", multiple=True)


def _without(positions: Sequence[int]) -> Callable[[Series], str]:
    def key(s: Series) -> str:
        return ".".join(p for i, p in enumerate(s.name.split(".")) if i not in positions)

    return key


@function(
    "aggregateWithWildcards",
    "Combine",
    ONE_SERIES,
    Param("func", "aggFunc", required=True, options=tuple(AGG_FUNCS)),
    POSITIONS,
    aggregator=True,
)
def aggregate_with_wildcards(
    ctx: Context, series: list[Series], func: str, *positions: int
) -> list[Series]:
    """The series aggregated by ``func`` over the given node positions."""
    return _grouped(ctx, series, _without(positions), func)


@function("sumSeriesWithWildcards", "Combine", ONE_SERIES, POSITIONS, aggregator=True)
def sum_series_with_wildcards(ctx: Context, series: list[Series], *positions: int) -> list[Series]:
    """The series summed over the given node positions."""
    return _grouped(ctx, series, _without(positions), "sum")


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
    result = []
    for s in series:
        values: list[Value] = []
        prev: Value = None
        for v in s:
            delta, prev = _non_negative_delta(v, prev, max_value, min_value)
            values.append(delta)
        result.append(s.copy_with(name=f"nonNegativeDerivative({s.name})", values=values))
    return result


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
        values: list[Value] = []
        prev: Value = None
        for v in s:
            delta, prev = _non_negative_delta(v, prev, max_value, min_value)
            values.append(None if delta is None else round(delta / s.step, 6))
        result.append(s.copy_with(name=f"perSecond({s.name})", values=values))
    return result


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
    Param("timeShift", "interval", required=True),
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
    try:
        delta = parse_offset(shift)
    except ValueError as exc:
        raise TargetError(f"timeShift: {exc}") from None
    if not series:
        return []
    first = series[0]
    shifted = evaluate_target(ctx.shifted(ctx.start + delta, ctx.end + delta), ctx.args[0])
    for s in shifted:
        s.name = f'timeShift({s.name}, "{shift}")'
        s.end = first.end if reset_end else s.end - s.start + first.start
        s.start = first.start
    return shifted


@function(
    "summarize",
    "Transform",
    ONE_SERIES,
    Param("intervalString", "interval", required=True),
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


# -- Calculate -----------------------------------------------------------------
@function(
    "movingAverage",
    "Calculate",
    ONE_SERIES,
    Param("windowSize", "intOrInterval", required=True),
    Param("xFilesFactor", "float"),
)
def moving_average(
    ctx: Context, series: list[Series], window: int | float | str, factor: float | None = None
) -> list[Series]:
    """The average of the ``window`` points (or the interval ``5min``) before each point."""
    if not series:
        return []
    if isinstance(window, str):
        try:
            preview = abs(parse_offset(window))
        except ValueError as exc:
            raise TargetError(f"movingAverage: {exc}") from None
    else:
        preview = max(s.step for s in series) * int(window)
    wider = evaluate_target(ctx.shifted(ctx.start - preview, ctx.end), ctx.args[0])
    result = []
    for s in wider:
        if isinstance(window, str):
            name = f'movingAverage({s.name},"{window}")'
            points = preview // s.step
        else:
            name = f"movingAverage({s.name},{window})"
            points = int(window)
        raw = s.raw()
        effective = factor if factor is not None else s.xff
        values: list[Value] = []
        for i in range(points, len(raw)):
            known = _known(raw[i - points : i])
            values.append(safe_avg(known) if xff(len(known), points, effective) else None)
        result.append(s.copy_with(name=name, start=s.start + preview, values=values))
    return result


# -- Alias ---------------------------------------------------------------------
@function(
    "aliasSub",
    "Alias",
    ONE_SERIES,
    Param("search", "string", required=True),
    Param("replace", "string", required=True),
)
def alias_sub(ctx: Context, series: list[Series], search: str, replace: str) -> list[Series]:
    """Each name through a regular expression search and replace (``\\1`` references)."""
    try:
        pattern = re.compile(search)
        for s in series:
            s.name = pattern.sub(replace, s.name)
    except (re.error, IndexError) as exc:
        raise TargetError(f"aliasSub: {exc}") from None
    return series


@function("alias", "Alias", ONE_SERIES, Param("newName", "string", required=True))
def alias(ctx: Context, series: list[Series], name: str) -> list[Series]:
    """Every series renamed ``newName``."""
    for s in series:
        s.name = name
    return series


def _first_path_of(name: str) -> str | None:
    try:
        return first_path(parse_target(name))
    except TargetError:
        return None


def agg_key(s: Series, nodes: Sequence[int | str]) -> str:
    path = _first_path_of(s.name) if s.name.endswith(")") else None
    parts = (path or s.name).split(";", 2)[0].split(".")
    keys = []
    for n in nodes:
        if isinstance(n, int):
            try:
                keys.append(parts[n])
                continue
            except IndexError:
                pass
        keys.append(s.name if str(n) == "name" else "")
    return ".".join(keys)


@function("aliasByNode", "Alias", ONE_SERIES, Param("nodes", "nodeOrTag", True, True))
def alias_by_node(ctx: Context, series: list[Series], *nodes: int | str) -> list[Series]:
    """Each series named by the given nodes (0-based, negative from the end) of its path."""
    for s in series:
        s.name = agg_key(s, nodes)
    return series


@function("aliasByMetric", "Alias", ONE_SERIES)
def alias_by_metric(ctx: Context, series: list[Series]) -> list[Series]:
    """Each series named by the last node of its path."""
    for s in series:
        left = s.name.rfind("(") + 1
        right = s.name.find(")")
        if right < 0:
            right = len(s.name) + 1
        clean = s.name[left:right]
        s.name = re.sub(",.*$", "", clean.split(".")[-1])
    return series


# -- Filter and sort -----------------------------------------------------------
def _sort_key(func: Callable[[Sequence[Value]], Value]) -> Callable[[Series], float]:
    def key(s: Series) -> float:
        value = func(list(s))
        return -INF if value is None else float(value)

    return key


N = Param("n", "integer", required=True)


@function("highestCurrent", "Filter Series", ONE_SERIES, N)
def highest_current(ctx: Context, series: list[Series], n: int) -> list[Series]:
    """The ``n`` series with the highest last known value."""
    return sorted(series, key=_sort_key(safe_last), reverse=True)[:n]


@function("highestMax", "Filter Series", ONE_SERIES, N)
def highest_max(ctx: Context, series: list[Series], n: int) -> list[Series]:
    """The ``n`` series with the highest maximum."""
    return sorted(series, key=_sort_key(safe_max), reverse=True)[:n]


@function("limit", "Filter Series", ONE_SERIES, N)
def limit(ctx: Context, series: list[Series], n: int) -> list[Series]:
    """The first ``n`` series."""
    return series[:n]


@function("sortByMaxima", "Sorting", ONE_SERIES)
def sort_by_maxima(ctx: Context, series: list[Series]) -> list[Series]:
    """The series by their maximum, highest first."""
    return sorted(series, key=_sort_key(safe_max), reverse=True)
