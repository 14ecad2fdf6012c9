"""Filter Series: keeping or dropping whole series by name, by a value, by position."""

from __future__ import annotations

import operator
from collections.abc import Callable

from graphmetrics.graphite.evaluator import Context, Param, evaluate_target, function
from graphmetrics.graphite.functions.common import ONE_SERIES, SERIES, agg_func, safe_avg, xff
from graphmetrics.graphite.functions.percentile import get_percentile
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.regex import compile_pattern, substitute
from graphmetrics.graphite.series import Series, Value

AGG_NAMES = ("average", "avg", "avg_zero", "count", "current", "diff", "last", "max", "median",
             "min", "multiply", "range", "rangeOf", "stddev", "sum", "total")  # fmt: skip
MAX_QUERIES = 100


def _known(test: Callable[[float, float], bool]) -> Callable[[Value, float], bool]:
    return lambda v, t: v is not None and test(v, t)


def _or_null(test: Callable[[float, float], bool]) -> Callable[[Value, float], bool]:
    return lambda v, t: v is None or test(v, t)


# graphite-web's operatorFuncs: a series without a value passes "<", "<=" and "!="
OPERATORS: dict[str, Callable[[Value, float], bool]] = {
    "=": _known(operator.eq),
    "!=": _or_null(operator.ne),
    ">": _known(operator.gt),
    ">=": _known(operator.ge),
    "<": _or_null(operator.lt),
    "<=": _or_null(operator.le),
}


@function(
    "filterSeries", "Filter Series", ONE_SERIES,
    Param("func", "aggFunc", required=True, options=AGG_NAMES),
    Param("operator", "string", required=True, options=tuple(sorted(OPERATORS))),
    Param("threshold", "float", required=True),
)  # fmt: skip
def filter_series(
    ctx: Context, series: list[Series], func: str, op: str, threshold: float
) -> list[Series]:
    """The series whose ``func`` (max, average, last, …) compares to ``threshold``."""
    aggregate, test = agg_func(func), OPERATORS[op]
    return [s for s in series if test(aggregate(list(s)), threshold)]


def _threshold_filter(name: str, func: str, op: str, what: str) -> None:
    def impl(ctx: Context, series: list[Series], n: float) -> list[Series]:
        return filter_series(ctx, series, func, op, n)

    impl.__doc__ = f"The series whose {what} is {'above' if op == '>' else 'at most'} ``n``."
    function(name, "Filter Series", ONE_SERIES, Param("n", "float", required=True))(impl)


for _name, _func, _op, _what in (
    ("maximumAbove", "max", ">", "maximum"),
    ("maximumBelow", "max", "<=", "maximum"),
    ("minimumAbove", "min", ">", "minimum"),
    ("minimumBelow", "min", "<=", "minimum"),
    ("currentAbove", "last", ">", "last value"),
    ("currentBelow", "last", "<=", "last value"),
    ("averageAbove", "average", ">", "average"),
    ("averageBelow", "average", "<=", "average"),
):
    _threshold_filter(_name, _func, _op, _what)


PATTERN = Param("pattern", "string", required=True)


@function("grep", "Filter Series", ONE_SERIES, PATTERN)
def grep(ctx: Context, series: list[Series], pattern: str) -> list[Series]:
    """The series whose name matches the regular expression (searched anywhere)."""
    regex = compile_pattern(pattern, "grep")
    return [s for s in series if regex.search(s.name)]


@function("exclude", "Filter Series", ONE_SERIES, PATTERN)
def exclude(ctx: Context, series: list[Series], pattern: str) -> list[Series]:
    """The series whose name does not match the regular expression."""
    regex = compile_pattern(pattern, "exclude")
    return [s for s in series if not regex.search(s.name)]


@function("limit", "Filter Series", ONE_SERIES, Param("n", "integer", required=True))
def limit(ctx: Context, series: list[Series], n: int) -> list[Series]:
    """The first ``n`` series."""
    return series[:n]


@function("removeEmptySeries", "Filter Series", ONE_SERIES, Param("xFilesFactor", "float"))
def remove_empty_series(
    ctx: Context, series: list[Series], factor: float | None = None
) -> list[Series]:
    """The series with at least ``xFilesFactor`` (default: any) of their values known."""
    factor = factor or 0.0
    return [s for s in series if xff(sum(v is not None for v in s), len(s), factor)]


@function("unique", "Filter Series", Param("seriesLists", SERIES, required=True, multiple=True))
def unique(ctx: Context, *series_lists: list[Series]) -> list[Series]:
    """The series with names not seen before, in order."""
    seen: set[str] = set()
    result = []
    for series in series_lists:
        for s in series:
            if s.name not in seen:
                seen.add(s.name)
                result.append(s)
    return result


@function(
    "useSeriesAbove", "Filter Series", ONE_SERIES, Param("value", "float", required=True),
    Param("search", "string", required=True), Param("replace", "string", required=True),
)  # fmt: skip
def use_series_above(
    ctx: Context, series: list[Series], value: float, search: str, replace: str
) -> list[Series]:
    """Other series, named by search/replace on the names of those whose maximum is
    above ``value`` (nulls ignored; graphite-web fails on a series holding one)."""
    regex = compile_pattern(search, "useSeriesAbove")
    names = []
    for s in series:
        new_name = substitute(regex, replace, s.name, "useSeriesAbove")
        known = [v for v in s if v is not None]
        if known and max(known) > value:
            names.append(new_name)
    if not names:
        return []
    if len(names) > MAX_QUERIES:
        raise TargetError(f"useSeriesAbove: at most {MAX_QUERIES} series, got {len(names)}")
    found = evaluate_target(ctx, parse_target(f"group({','.join(names)})"))
    return [s for s in found if len(s) > 0]


@function(
    "averageOutsidePercentile", "Filter Series", ONE_SERIES, Param("n", "float", required=True)
)
def average_outside_percentile(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """The series whose average lies outside the ``n``-th percentile band of averages."""
    averages = [safe_avg(list(s)) for s in series]
    if n < 50:
        n = 100 - n
    low, high = get_percentile(averages, 100 - n), get_percentile(averages, n)
    return [s for s, avg in zip(series, averages, strict=True) if not _between(low, avg, high)]


def _between(low: Value, value: Value, high: Value) -> bool:
    """Python 2's ``low < value < high`` with None below every number, as graphite-web
    compared; None then only ever lies "between" when ``low`` is None too."""

    def less(a: Value, b: Value) -> bool:
        if a is None:
            return b is not None
        return b is not None and a < b

    return less(low, value) and less(value, high)


@function(
    "removeBetweenPercentile", "Filter Series", ONE_SERIES, Param("n", "float", required=True)
)
def remove_between_percentile(ctx: Context, series: list[Series], n: float) -> list[Series]:
    """The series with a point outside the ``n``-th percentile band of all series there."""
    if n < 50:
        n = 100 - n
    columns = list(zip(*(list(s) for s in series), strict=False))
    lows = [get_percentile(c, 100 - n) for c in columns]
    highs = [get_percentile(c, n) for c in columns]
    return [
        s
        for s in series
        if any(not _between(lows[i], v, highs[i]) for i, v in enumerate(list(s)[: len(columns)]))
    ]
