"""Calculate: moving windows — each point the aggregate of the ``windowSize`` points
(or the interval, ``"5min"``) before it, data before the request's start included."""

from __future__ import annotations

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.bounds import (
    check_reach,
    check_window_work,
    refetch,
    seconds,
)
from graphmetrics.graphite.functions.common import (
    AGG_FUNCS,
    ONE_SERIES,
    WINDOWS,
    agg_func,
    non_null,
    xff,
)
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value

WINDOW = Param("windowSize", "intOrInterval", required=True, suggestions=WINDOWS)
FACTOR = Param("xFilesFactor", "float")


def window_seconds(func: str, series: list[Series], window: int | float | str) -> int:
    """How far before the request a window of ``window`` reaches, checked."""
    if isinstance(window, str):
        reach = abs(seconds(func, window))
    else:
        if window <= 0:
            raise TargetError(f"{func}: the window must be at least 1 point, got {window}")
        reach = max(s.step for s in series) * int(window)
        check_reach(func, reach)
    if reach <= 0:
        raise TargetError(f"{func}: the window must be longer than 0 seconds")
    return reach


def moving(
    ctx: Context,
    series: list[Series],
    window: int | float | str,
    func: str,
    factor: float | None,
) -> list[Series]:
    """graphite-web's movingWindow: names ``moving<Func>(name,window)``."""
    if not series:
        return []
    tag = "moving" + func.capitalize()
    aggregate = agg_func(func)
    preview = window_seconds(tag, series, window)
    result = []
    for s in refetch(ctx, tag, ctx.start - preview, ctx.end):
        if isinstance(window, str):
            name = f'{tag}({s.name},"{window}")'
            points = preview // s.step
        else:
            name = f"{tag}({s.name},{window})"
            points = int(window)
        raw = list(s)
        check_window_work(tag, points, len(raw))
        effective = factor if factor is not None else s.xff
        values: list[Value] = []
        for i in range(points, len(raw)):
            known = non_null(raw[i - points : i])
            ok = known and xff(len(known), points, effective)
            values.append(aggregate(known) if ok else None)
        result.append(s.copy_with(name=name, start=s.start + preview, values=values))
    return result


@function(
    "movingWindow",
    "Calculate",
    ONE_SERIES,
    WINDOW,
    Param("func", "aggFunc", default="average", options=tuple(AGG_FUNCS)),
    FACTOR,
)
def moving_window(
    ctx: Context,
    series: list[Series],
    window: int | str,
    func: str = "average",
    factor: float | None = None,
) -> list[Series]:
    """Each point the ``func`` of the window before it (null below ``xFilesFactor``)."""
    return moving(ctx, series, window, func, factor)


def _register(name: str, func: str, doc: str) -> None:
    def impl(
        ctx: Context, series: list[Series], window: int | str, factor: float | None = None
    ) -> list[Series]:
        return moving(ctx, series, window, func, factor)

    impl.__doc__ = doc
    function(name, "Calculate", ONE_SERIES, WINDOW, FACTOR)(impl)


_register("movingAverage", "average", "The average of the window before each point.")
_register("movingMedian", "median", "The median of the window before each point.")
_register("movingSum", "sum", "The sum of the window before each point.")
_register("movingMin", "min", "The minimum of the window before each point.")
_register("movingMax", "max", "The maximum of the window before each point.")
