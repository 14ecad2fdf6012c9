"""Alias: renaming series (fixed names, path nodes, regular expressions, values)."""

from __future__ import annotations

import re

from graphmetrics.graphite.evaluator import Context, Param, evaluate_target, function
from graphmetrics.graphite.functions.common import AGG_FUNCS, ONE_SERIES, agg_key, safe_last
from graphmetrics.graphite.functions.special import substr
from graphmetrics.graphite.functions.units import format_units
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.regex import compile_pattern, substitute
from graphmetrics.graphite.series import Series

MAX_QUERIES = 100
# a %-format for one number: flags, a width and precision of at most 2 digits
_FORMAT = re.compile(r"%(?:%|[-+ #0]*\d{0,2}(?:\.\d{0,2})?[diouxXeEfFgGs])")


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
    return substr(ctx, series, -1, 0)


@function(
    "aliasSub", "Alias", ONE_SERIES, Param("search", "string", required=True),
    Param("replace", "string", required=True),
)  # fmt: skip
def alias_sub(ctx: Context, series: list[Series], search: str, replace: str) -> list[Series]:
    """Each name through a regular expression search and replace (``\\1`` references)."""
    regex = compile_pattern(search, "aliasSub")
    for s in series:
        s.name = substitute(regex, replace, s.name, "aliasSub")
    return series


def format_one(func: str, template: str, value: float) -> str:
    """``template % value``, refusing formats other than one number's (no ``%(x)s``,
    no 10-digit widths)."""
    specs = _FORMAT.findall(template)
    if template.count("%") != sum(s.count("%") for s in specs) or (
        len([s for s in specs if s != "%%"]) != 1
    ):
        raise TargetError(f"{func}: newName must hold one %-format of a number, got {template!r}")
    try:
        return template % value
    except (TypeError, ValueError) as exc:
        raise TargetError(f"{func}: cannot format {value!r} with {template!r}: {exc}") from None


@function(
    "aliasQuery", "Alias", ONE_SERIES, Param("search", "string", required=True),
    Param("replace", "string", required=True), Param("newName", "string", required=True),
)  # fmt: skip
def alias_query(
    ctx: Context, series: list[Series], search: str, replace: str, new_name: str
) -> list[Series]:
    """Each series named by the last value of another query: its name through
    ``search``/``replace`` is that query, ``newName`` formats the value (``%d``)."""
    if len(series) > MAX_QUERIES:
        raise TargetError(f"aliasQuery: at most {MAX_QUERIES} series, got {len(series)}")
    regex = compile_pattern(search, "aliasQuery")
    for s in series:
        query = substitute(regex, replace, s.name, "aliasQuery")
        found = evaluate_target(ctx, parse_target(query))
        if not found:
            raise TargetError(f"aliasQuery: no series found with query: {query}")
        current = safe_last(list(found[0]))
        if current is None:
            raise TargetError(f"aliasQuery: cannot get last value of series: {found[0].name}")
        s.name = format_one("aliasQuery", new_name, current)
    return series


_AGG_NAMES = ("average", "avg", "avg_zero", "count", "current", "diff", "last", "max", "median",
              "min", "multiply", "range", "rangeOf", "stddev", "sum", "total")  # fmt: skip
LEGEND_TYPES = tuple(sorted([*_AGG_NAMES, *(f"{n}Series" for n in _AGG_NAMES), "si", "binary"]))


@function(
    "legendValue", "Alias", ONE_SERIES,
    Param("valuesTypes", "string", multiple=True, options=LEGEND_TYPES),
)  # fmt: skip
def legend_value(ctx: Context, series: list[Series], *value_types: str) -> list[Series]:
    """Each name followed by values of the series (``avg``, ``max``, ``last``, …);
    a last type ``si`` or ``binary`` formats them with unit prefixes, in columns."""
    system = None
    if value_types and value_types[-1] in ("si", "binary"):
        system = value_types[-1]
        value_types = value_types[:-1]
    for value_type in value_types:
        func = AGG_FUNCS.get(value_type)
        for s in series:
            value = func(list(s)) if func else "(?)"
            if system is None:
                s.name += f" ({value_type}: {value})"
                continue
            if isinstance(value, str) or value is None:
                formatted = value
            else:
                formatted = "%.2f%s" % format_units(value, system)  # noqa: UP031
            s.name = "%-20s%-5s%-10s" % (s.name, value_type, formatted)  # noqa: UP031
    return series
