"""Combine: the other point-by-point aggregations, their aliases and ``*Lists`` forms.

``sumSeries`` & co. live in :mod:`.combine`; here are the rest of graphite-web's
Combine group that reduce rows of values: ``diffSeries``, ``multiplySeries``,
``countSeries``, ``stddevSeries``, ``rangeOfSeries``, ``percentileOfSeries``,
``powSeries``, the pairwise ``*SeriesLists``, the ``*WithWildcards`` forms,
``divideSeries`` and ``weightedAverage``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from graphmetrics.graphite.evaluator import FUNCTIONS, Context, Param, function
from graphmetrics.graphite.functions.combine import (
    _aggregate,
    _grouped,
    _without,
    sum_series,
)
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    LISTS,
    ONE_SERIES,
    SERIES,
    agg_key,
    non_null,
    path_expressions,
    safe_div,
    safe_mul,
)
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import EmptyResult, Series, Value, normalize, rows

FIRST = Param("seriesListFirstPos", SERIES, required=True)
SECOND = Param("seriesListSecondPos", SERIES, required=True)
POSITIONS = Param("position", "node", multiple=True)


def alias(name: str, of: str) -> None:
    """Register ``name`` as graphite-web's other name for the function ``of``."""
    original = FUNCTIONS[of]
    function(name, original.group, *original.params, aggregator=original.aggregator)(original.impl)


alias("sum", "sumSeries")
alias("avg", "averageSeries")


@function("diffSeries", "Combine", LISTS, aggregator=True)
def diff_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The first series minus all the others, point by point (nulls ignored)."""
    return _aggregate(ctx, series_lists, "diff")


@function("multiplySeries", "Combine", LISTS, aggregator=True)
def multiply_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The product of the series at each point (null where any is null)."""
    if len(series_lists) == 1 and len(series_lists[0]) == 1:
        return series_lists[0]
    return _aggregate(ctx, series_lists, "multiply")


@function("stddevSeries", "Combine", LISTS, aggregator=True)
def stddev_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The population standard deviation of the series at each point."""
    return _aggregate(ctx, series_lists, "stddev")


@function("rangeOfSeries", "Combine", LISTS, aggregator=True)
def range_of_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The maximum minus the minimum of the series at each point."""
    return _aggregate(ctx, series_lists, "rangeOf")


def constant_series(ctx: Context, value: float, name: str) -> Series:
    """graphite-web's constantLine: three points spanning the request."""
    step = int((ctx.end - ctx.start) / 2.0)
    series = Series(str(value), ctx.start, ctx.end, step, [value] * 3, xff=ctx.xff)
    series.path_expression = name
    return series


@function("countSeries", "Combine", Param("seriesLists", SERIES, multiple=True), aggregator=True)
def count_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """How many series there are, at every point (0 over the request for none)."""
    if not series_lists:
        return [constant_series(ctx, 0, "countSeries()")]
    series, start, end, step = normalize(series_lists)
    name = f"countSeries({path_expressions(series)})"
    values = [len(row) for row in rows(series)]
    return [Series(name, start, end, step, values, xff=ctx.xff, path_expression=name)]


def percentile(points: Sequence[Value], n: float, interpolate: bool = False) -> Value:
    """The NIST percentile graphite-web uses (nearest rank unless ``interpolate``)."""
    if not 0 < n <= 100:
        raise TargetError(f"the percentile must be above 0 and at most 100, got {n:g}")
    ordered = sorted(non_null(points))
    if not ordered:
        return None
    fractional = (n / 100.0) * (len(ordered) + 1)
    rank = int(fractional)
    fraction = fractional - rank
    if not interpolate:
        rank += int(math.ceil(fraction))
    if rank == 0:
        value: float = ordered[0]
    elif rank - 1 == len(ordered):
        value = ordered[-1]
    else:
        value = ordered[rank - 1]
    if interpolate and rank != len(ordered):
        value = value + fraction * (ordered[rank] - value)
    return value


@function(
    "percentileOfSeries",
    "Combine",
    ONE_SERIES,
    Param("n", "float", required=True),
    Param("interpolate", "boolean", default=False),
)
def percentile_of_series(
    ctx: Context, series: list[Series], n: float, interpolate: bool = False
) -> list[Series]:
    """The ``n``-th percentile of the series at each point."""
    percentile([], n)  # checks n
    if not series:
        return []
    name = f"percentileOfSeries({series[0].path_expression},{n:g})"
    _, start, end, step = normalize([series])
    values = [percentile(row, n, interpolate) for row in rows(series)]
    return [Series(name, start, end, step, values, xff=ctx.xff)]


def _safe_pow(a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        return None


@function(
    "powSeries",
    "Combine",
    Param("seriesList", SERIES, required=True, multiple=True),
    aggregator=True,
)
def pow_series(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The first series raised to the power of the next, then the next…, point by point."""
    try:
        series, start, end, step = normalize(series_lists)
    except EmptyResult:
        return []
    name = f"powSeries({','.join(s.name for s in series)})"
    values: list[Value] = []
    for row in rows(series):
        result = row[0]
        for element in row[1:]:
            result = _safe_pow(result, element)
        values.append(result)
    return [Series(name, start, end, step, values, xff=ctx.xff)]


def _pairwise(
    ctx: Context, first: list[Series], second: list[Series], func: str, factor: float | None
) -> list[Series]:
    if len(first) != len(second):
        raise TargetError(
            "seriesListFirstPos and seriesListSecondPos must have as many series "
            f"(got {len(first)} and {len(second)})"
        )
    if func.endswith("Series"):
        func = func[:-6]
    if func not in AGG_FUNCS:
        raise TargetError(f"unsupported aggregation function: {func}")
    saved = ctx.xff
    if factor is not None:
        ctx.xff = factor
    try:
        result = []
        for a, b in zip(first, second, strict=True):
            combined = _aggregate(ctx, [[a, b]], func)[0]
            combined.name = f"{func}Series({a.name},{b.name})"
            result.append(combined)
    finally:
        ctx.xff = saved
    return result


@function(
    "aggregateSeriesLists",
    "Combine",
    FIRST,
    SECOND,
    Param("func", "aggFunc", required=True, options=tuple(AGG_FUNCS)),
    Param("xFilesFactor", "float"),
)
def aggregate_series_lists(
    ctx: Context,
    first: list[Series],
    second: list[Series],
    func: str,
    factor: float | None = None,
) -> list[Series]:
    """The i-th series of each list aggregated with ``func``, pair by pair."""
    return _pairwise(ctx, first, second, func, factor)


@function("sumSeriesLists", "Combine", FIRST, SECOND)
def sum_series_lists(ctx: Context, first: list[Series], second: list[Series]) -> list[Series]:
    """The i-th series of each list added together."""
    return _pairwise(ctx, first, second, "sum", None)


@function("diffSeriesLists", "Combine", FIRST, SECOND)
def diff_series_lists(ctx: Context, first: list[Series], second: list[Series]) -> list[Series]:
    """The i-th series of the second list subtracted from the i-th of the first."""
    return _pairwise(ctx, first, second, "diff", None)


@function("multiplySeriesLists", "Combine", FIRST, SECOND)
def multiply_series_lists(ctx: Context, first: list[Series], second: list[Series]) -> list[Series]:
    """The i-th series of each list multiplied together."""
    return _pairwise(ctx, first, second, "multiply", None)


def _divide(ctx: Context, dividend: Series, divisor: Series) -> Series:
    _, start, end, step = normalize([[dividend, divisor]])
    values = [safe_div(a, b) for a, b in rows([dividend, divisor])]
    name = f"divideSeries({dividend.name},{divisor.name})"
    return Series(name, start, end, step, values, xff=ctx.xff)


@function(
    "divideSeries",
    "Combine",
    Param("dividendSeriesList", SERIES, required=True),
    Param("divisorSeries", SERIES, required=True),
)
def divide_series(ctx: Context, dividends: list[Series], divisor: list[Series]) -> list[Series]:
    """Each series divided by the one divisor series (null where it is 0 or null)."""
    if not divisor:
        for s in dividends:
            s.name = s.path_expression = f"divideSeries({s.name},MISSING)"
            s[:] = [None] * len(s.raw())
        return dividends
    if len(divisor) > 1:
        raise TargetError(
            f"divideSeries: the divisor must be exactly 1 series (got {len(divisor)})"
        )
    return [_divide(ctx, s, divisor[0]) for s in dividends]


@function(
    "divideSeriesLists",
    "Combine",
    Param("dividendSeriesList", SERIES, required=True),
    Param("divisorSeriesList", SERIES, required=True),
)
def divide_series_lists(
    ctx: Context, dividends: list[Series], divisors: list[Series]
) -> list[Series]:
    """The i-th dividend divided by the i-th divisor."""
    if len(dividends) != len(divisors):
        raise TargetError(
            "divideSeriesLists: the dividend and divisor lists must have as many series "
            f"(got {len(dividends)} and {len(divisors)})"
        )
    return [_divide(ctx, a, b) for a, b in zip(dividends, divisors, strict=True)]


@function("averageSeriesWithWildcards", "Combine", ONE_SERIES, POSITIONS, aggregator=True)
def average_series_with_wildcards(
    ctx: Context, series: list[Series], *positions: int
) -> list[Series]:
    """The series averaged over the given node positions."""
    return _grouped(ctx, series, _without(positions), "average")


@function("multiplySeriesWithWildcards", "Combine", ONE_SERIES, POSITIONS, aggregator=True)
def multiply_series_with_wildcards(
    ctx: Context, series: list[Series], *positions: int
) -> list[Series]:
    """The series multiplied together over the given node positions."""
    return _grouped(ctx, series, _without(positions), "multiply")


@function(
    "weightedAverage",
    "Combine",
    Param("seriesListAvg", SERIES, required=True),
    Param("seriesListWeight", SERIES, required=True),
    Param("nodes", "nodeOrTag", multiple=True),
)
def weighted_average(
    ctx: Context, averages: list[Series], weights: list[Series], *nodes: int | str
) -> list[Series]:
    """Σ(average × weight) / Σ weight, pairing the series by the given nodes."""
    if len(averages) != len(weights):
        raise TargetError(
            "weightedAverage: seriesListAvg and seriesListWeight must have as many series "
            f"(got {len(averages)} and {len(weights)})"
        )
    pairs: dict[str, dict[str, Series]] = {}
    for avg, weight in zip(averages, weights, strict=True):
        pairs.setdefault(agg_key(avg, nodes), {})["avg"] = avg
        pairs.setdefault(agg_key(weight, nodes), {})["weight"] = weight
    products = []
    for pair in pairs.values():
        if "avg" in pair and "weight" in pair:
            avg, weight = pair["avg"], pair["weight"]
            values = [safe_mul(a, w) for a, w in rows([avg, weight])]
            name = f"product({weight.name},{avg.name})"
            products.append(Series(name, avg.start, avg.end, avg.step, values, xff=ctx.xff))
    if not products:
        return []
    total_products = sum_series(ctx, products)[0]
    total_weights = sum_series(ctx, weights)[0]
    values = [safe_div(p, w) for p, w in rows([total_products, total_weights])]
    name = "weightedAverage({}, {}, {})".format(
        ",".join(sorted({s.path_expression for s in averages})),
        ",".join(sorted({s.path_expression for s in weights})),
        ",".join(map(str, nodes)),
    )
    t = total_products
    return [Series(name, t.start, t.end, t.step, values, xff=ctx.xff)]
