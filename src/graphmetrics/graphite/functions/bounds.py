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
MAX_WINDOW_WORK = 50_000_000
"""Window length times points for the windows computed point by point (moving*)."""
MAX_CALL_POINTS = 5_000_000
"""Points one call may gather from repeated evaluations (timeStack, applyByNode)."""


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


def check_window_work(func: str, window: int, points: int) -> None:
    if window * max(points - window, 0) > MAX_WINDOW_WORK:
        raise TargetError(
            f"{func}: a window of {window} points over {points} points is more than "
            f"{MAX_WINDOW_WORK} steps of work; use a shorter window or time range"
        )


def check_gathered(func: str, series: list[Series]) -> None:
    if sum(len(s.raw()) for s in series) > MAX_CALL_POINTS:
        raise TargetError(
            f"{func}: more than {MAX_CALL_POINTS} points gathered; narrow the series, "
            "the time range or the number of shifts"
        )
