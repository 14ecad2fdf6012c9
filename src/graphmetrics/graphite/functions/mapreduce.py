"""Combine: map/reduce over node values, and templates applied per node prefix."""

from __future__ import annotations

from graphmetrics.graphite.evaluator import (
    FUNCTIONS,
    Context,
    Param,
    bind,
    evaluate_target,
    function,
)
from graphmetrics.graphite.functions.aggregates import alias
from graphmetrics.graphite.functions.bounds import check_gathered
from graphmetrics.graphite.functions.common import ONE_SERIES, agg_key
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.series import Series

MAX_PREFIXES = 1_000
"""applyByNode evaluates its template once per prefix: at most this many."""

alias("pct", "asPercent")


@function("mapSeries", "Combine", ONE_SERIES, Param("mapNodes", "nodeOrTag", True, True))
def map_series(ctx: Context, series: list[Series], *nodes: int | str) -> list[list[Series]]:
    """The series split into lists sharing the given nodes (for reduceSeries)."""
    groups: dict[str, list[Series]] = {}
    for s in series:
        groups.setdefault(agg_key(s, nodes), []).append(s)
    return list(groups.values())


alias("map", "mapSeries")


@function(
    "reduceSeries",
    "Combine",
    Param("seriesLists", "seriesLists", required=True),
    Param("reduceFunction", "string", required=True),
    Param("reduceNode", "node", required=True),
    Param("reduceMatchers", "string", required=True, multiple=True),
)
def reduce_series(
    ctx: Context, series_lists: list[list[Series]], func_name: str, node: int, *matchers: str
) -> list[Series]:
    """Each list's series matched by node ``reduceNode`` fed, in matcher order, to
    ``reduceFunction``; the result named ``<prefix>.reduce.<function>``."""
    func = FUNCTIONS.get(func_name)
    if func is None:
        raise TargetError(f"reduceSeries: unknown function {func_name!r}")
    found: dict[str, list[Series | None]] = {}
    for group in series_lists:
        for s in group if isinstance(group, list) else [group]:
            parts = s.name.split(".")
            try:
                value = parts[node]
            except IndexError:
                continue
            key = ".".join(parts[:node]) + ".reduce." + func_name
            if value in matchers:
                found.setdefault(key, [None] * len(matchers))[matchers.index(value)] = s
    result = []
    for key, members in found.items():
        if any(m is None for m in members):
            missing = [m for m, s in zip(matchers, members, strict=True) if s is None]
            raise TargetError(f"reduceSeries: {key} has no series for {', '.join(missing)}")
        args = bind(func, [[m] for m in members], {})
        reduced = func.impl(ctx, *args)[0]
        reduced.name = key
        result.append(reduced)
    return result


alias("reduce", "reduceSeries")


@function(
    "applyByNode",
    "Combine",
    ONE_SERIES,
    Param("nodeNum", "node", required=True),
    Param("templateFunction", "string", required=True),
    Param("newName", "string"),
)
def apply_by_node(
    ctx: Context, series: list[Series], node: int, template: str, new_name: str | None = None
) -> list[Series]:
    """``templateFunction`` evaluated for each distinct prefix (nodes 0..``nodeNum``),
    with ``%`` replaced by the prefix; the results named ``newName`` (``%`` too)."""
    prefixes = sorted({".".join(s.name.split(".")[: node + 1]) for s in series})
    if len(prefixes) > MAX_PREFIXES:
        raise TargetError(f"applyByNode: more than {MAX_PREFIXES} prefixes")
    result = []
    for prefix in prefixes:
        for s in evaluate_target(ctx, parse_target(template.replace("%", prefix))):
            if new_name:
                s.name = new_name.replace("%", prefix)
            s.path_expression = prefix
            s.start, s.end = series[-1].start, series[-1].end
            result.append(s)
        check_gathered("applyByNode", result)
    return result
