"""Combine: aggregating series point by point, grouping them, percentages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphmetrics.graphite.evaluator import FUNCTIONS, Context, Param, function
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    LISTS,
    ONE_SERIES,
    SERIES,
    agg_func,
    agg_key,
    non_null,
    path_expressions,
    safe_div,
    safe_mul,
    safe_sum,
    xff,
)
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value, normalize, rows


# -- Combine -------------------------------------------------------------------
def _aggregate(ctx: Context, series_lists: Sequence[list[Series]], func: str) -> list[Series]:
    if not series_lists:
        return []
    series, start, end, step = normalize(series_lists)
    aggregate = agg_func(func)
    name = f"{func}Series({path_expressions(series)})"
    values = [
        aggregate(row) if xff(len(non_null(row)), len(row), ctx.xff) else None
        for row in rows(series)
    ]
    return [Series(name, start, end, step, values, xff=ctx.xff)]


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
        if func is not None and func.aggregator:
            combined = func.impl(ctx, group)[0]
        else:
            combined = _aggregate(ctx, [group], callback)[0]
        combined.name = name
        result.append(combined)
    return result


CALLBACKS = (
    *sorted(AGG_FUNCS),
    *("asPercent", "pct", "countSeries", "powSeries"),
    *(f"{kind}Series" for kind in ("average", "diff", "max", "min", "multiply", "rangeOf")),
    *("stddevSeries", "sumSeries"),
    *(f"{kind}SeriesLists" for kind in ("diff", "multiply", "sum")),
    *(f"{kind}SeriesWithWildcards" for kind in ("average", "multiply", "sum")),
)
"""graphite-web's list of callbacks (its aggregation names and aggregating functions)."""
CALLBACK = Param("callback", "aggOrSeriesFunc", required=True, options=CALLBACKS)


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
    Param("callback", "aggOrSeriesFunc", default="average", options=CALLBACKS),
)
def group_by_node(
    ctx: Context, series: list[Series], node: int | str, callback: str = "average"
) -> list[Series]:
    """The series grouped by one node, each group combined by ``callback`` (average)."""
    return _grouped(ctx, series, lambda s: agg_key(s, [node]), _callback(callback))


def _callback(name: str) -> str:
    func = FUNCTIONS.get(name)
    # an aggregator taking more than the series (aggregate's func) cannot be a callback
    if name in AGG_FUNCS or (
        func is not None
        and func.aggregator
        and all(p.type in ("seriesList", "seriesLists") for p in func.params if p.required)
    ):
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
