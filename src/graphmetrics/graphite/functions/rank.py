"""Filter Series by rank: the ``n`` highest or lowest series by some value, the most
deviant.  Ties keep their order (a stable sort), series without a value rank lowest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import INF, ONE_SERIES, agg_func, safe_avg
from graphmetrics.graphite.functions.filter_series import AGG_NAMES
from graphmetrics.graphite.series import Series, Value

N = Param("n", "integer", required=True)


def sort_key(func: Callable[[Sequence[Value]], Value]) -> Callable[[Series], float]:
    """graphite-web's ``keyFunc``: the value, or -inf for a series without one."""

    def key(s: Series) -> float:
        value = func(list(s))
        return -INF if value is None else float(value)

    return key


def _ranked(series: list[Series], n: int, func: str, highest: bool) -> list[Series]:
    return sorted(series, key=sort_key(agg_func(func)), reverse=highest)[: max(int(n), 0)]


FUNC = Param("func", "aggFunc", default="average", options=AGG_NAMES)


@function("highest", "Filter Series", ONE_SERIES, N, FUNC)
def highest(ctx: Context, series: list[Series], n: int = 1, func: str = "average") -> list[Series]:
    """The ``n`` series with the highest ``func`` (average, max, current, …)."""
    return _ranked(series, n, func, True)


@function("lowest", "Filter Series", ONE_SERIES, N, FUNC)
def lowest(ctx: Context, series: list[Series], n: int = 1, func: str = "average") -> list[Series]:
    """The ``n`` series with the lowest ``func`` (average, min, current, …)."""
    return _ranked(series, n, func, False)


def _ranking(name: str, func: str, high: bool) -> None:
    def impl(ctx: Context, series: list[Series], n: int) -> list[Series]:
        return _ranked(series, n, func, high)

    what = {"last": "last known value", "max": "maximum", "average": "average"}[func]
    impl.__doc__ = f"The ``n`` series with the {'highest' if high else 'lowest'} {what}."
    function(name, "Filter Series", ONE_SERIES, N)(impl)


for _name, _func, _high in (
    ("highestCurrent", "last", True),
    ("highestMax", "max", True),
    ("highestAverage", "average", True),
    ("lowestCurrent", "last", False),
    ("lowestAverage", "average", False),
):
    _ranking(_name, _func, _high)


@function("mostDeviant", "Filter Series", ONE_SERIES, N)
def most_deviant(ctx: Context, series: list[Series], n: int) -> list[Series]:
    """The ``n`` series whose values vary most around their mean (by variance)."""
    deviants: list[tuple[float, Series]] = []
    for s in series:
        values = list(s)
        mean = safe_avg(values)
        if mean is None:
            continue
        known = [v for v in values if v is not None]
        deviants.append((sum((v - mean) ** 2 for v in known) / len(known), s))
    deviants.sort(key=lambda item: item[0], reverse=True)
    return [s for _, s in deviants][: max(n, 0)]
