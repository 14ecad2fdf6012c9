"""Caps on what one function call may ask of the reader: windows, shifts, bootstraps.

A window, shift or bootstrap makes a function fetch data outside the request's own
range; each is refused beyond :data:`MAX_REACH` so that one target cannot read
years of points.  Until the evaluator carries its own limit, this is the one place
to change it.
"""

from __future__ import annotations

from graphmetrics.graphite.attime import parse_offset
from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series

MAX_REACH = 2 * 366 * 86400
"""The furthest (in seconds) a window, shift or bootstrap may reach back or ahead."""
MAX_STEPS = 1_000
"""At most this many shifted copies (timeStack) per call."""


def seconds(func: str, text: str) -> int:
    """The signed seconds of an interval argument (``"1h"``, ``"-2d"``), checked."""
    try:
        value = parse_offset(text)
    except ValueError as exc:
        raise TargetError(f"{func}: {exc}") from None
    check_reach(func, abs(value))
    return value


def check_reach(func: str, reach: float) -> None:
    if reach > MAX_REACH:
        raise TargetError(
            f"{func}: reaches {int(reach)} s beyond the request; at most {MAX_REACH} s "
            f"({MAX_REACH // 86400} days) are allowed"
        )


def refetch(ctx: Context, func: str, start: int, end: int) -> list[Series]:
    """The first argument evaluated again over ``start``..``end`` (graphite's prefetch-less
    re-evaluation), after checking how far that reaches beyond the request."""
    check_reach(func, max(ctx.start - start, end - ctx.end, 0))
    if not ctx.args:
        raise TargetError(f"{func}: the series list must be the first positional argument")
    return evaluate_target(ctx.shifted(start, end), ctx.args[0])
