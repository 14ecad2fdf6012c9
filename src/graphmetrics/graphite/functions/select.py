"""Alias, Filter Series and Sorting: naming, picking and ordering series."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import (
    INF,
    ONE_SERIES,
    agg_key,
    safe_last,
    safe_max,
)
from graphmetrics.graphite.regex import compile_pattern, substitute
from graphmetrics.graphite.series import Series, Value


# -- Alias ---------------------------------------------------------------------
@function(
    "aliasSub",
    "Alias",
    ONE_SERIES,
    Param("search", "string", required=True),
    Param("replace", "string", required=True),
)
def alias_sub(ctx: Context, series: list[Series], search: str, replace: str) -> list[Series]:
    """Each name through a regular expression search and replace (``\\1`` references), by RE2."""
    pattern = compile_pattern(search, "aliasSub")
    for s in series:
        s.name = substitute(pattern, replace, s.name, "aliasSub")
    return series


@function("alias", "Alias", ONE_SERIES, Param("newName", "string", required=True))
def alias(ctx: Context, series: list[Series], name: str) -> list[Series]:
    """Every series renamed ``newName``."""
    for s in series:
        s.name = name
    return series


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
