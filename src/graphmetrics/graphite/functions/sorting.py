"""Sorting: ordering series by a value or by name (stable, like graphite-web's)."""

from __future__ import annotations

import re

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import ONE_SERIES, agg_func, safe_max, safe_min
from graphmetrics.graphite.functions.filter_series import AGG_NAMES
from graphmetrics.graphite.functions.rank import sort_key
from graphmetrics.graphite.series import Series

_DIGITS = re.compile(r"\d+")


@function(
    "sortBy", "Sorting", ONE_SERIES,
    Param("func", "aggFunc", default="average", options=AGG_NAMES),
    Param("reverse", "boolean", default=False),
)  # fmt: skip
def sort_by(
    ctx: Context, series: list[Series], func: str = "average", reverse: bool = False
) -> list[Series]:
    """The series by ``func`` (average, max, …), lowest first unless ``reverse``."""
    return sorted(series, key=sort_key(agg_func(func)), reverse=reverse)


@function(
    "sortByName", "Sorting", ONE_SERIES, Param("natural", "boolean", default=False),
    Param("reverse", "boolean", default=False),
)  # fmt: skip
def sort_by_name(
    ctx: Context, series: list[Series], natural: bool = False, reverse: bool = False
) -> list[Series]:
    """The series by name; ``natural`` orders numbers in names by value (``a2`` < ``a10``)."""
    if natural:
        return sorted(
            series,
            key=lambda s: _DIGITS.sub(lambda m: f"{int(m.group(0)):010}", s.name),
            reverse=reverse,
        )
    return sorted(series, key=lambda s: s.name, reverse=reverse)


@function("sortByTotal", "Sorting", ONE_SERIES)
def sort_by_total(ctx: Context, series: list[Series]) -> list[Series]:
    """The series by the sum of their values, highest first."""
    return sort_by(ctx, series, "sum", True)


@function("sortByMaxima", "Sorting", ONE_SERIES)
def sort_by_maxima(ctx: Context, series: list[Series]) -> list[Series]:
    """The series by their maximum, highest first."""
    return sorted(series, key=sort_key(safe_max), reverse=True)


@function("sortByMinima", "Sorting", ONE_SERIES)
def sort_by_minima(ctx: Context, series: list[Series]) -> list[Series]:
    """The series whose maximum is above 0, by their minimum, lowest first."""
    kept = [s for s in series if (safe_max(list(s)) or 0) > 0]
    return sorted(kept, key=sort_key(safe_min))
