"""Series made from the clock alone: ``sin``, ``time`` (Transform) and ``identity``
(Calculate), one value per ``step`` from the request's start."""

from __future__ import annotations

import math

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.aggregates import alias
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series

NAME = Param("name", "string", required=True)
MAX_POINTS = 1_000_000


def _moments(ctx: Context, step: int) -> range:
    if step <= 0:
        raise TargetError(f"the step must be a positive number of seconds, got {step}")
    if (ctx.end - ctx.start) // step > MAX_POINTS:
        raise TargetError(f"more than {MAX_POINTS} points of {step} s in the time range")
    return range(ctx.start, ctx.end, step)


@function(
    "sinFunction",
    "Transform",
    NAME,
    Param("amplitude", "integer", default=1),
    Param("step", "integer", default=60),
)
def sin_function(ctx: Context, name: str, amplitude: int = 1, step: int = 60) -> list[Series]:
    """A sine wave of the epoch seconds times ``amplitude``."""
    values = [math.sin(t) * amplitude for t in _moments(ctx, step)]
    return [Series(name, ctx.start, ctx.end, step, values, xff=ctx.xff)]


alias("sin", "sinFunction")


@function("timeFunction", "Transform", NAME, Param("step", "integer", default=60))
def time_function(ctx: Context, name: str, step: int = 60) -> list[Series]:
    """Each point's own timestamp as its value."""
    values = [float(t) for t in _moments(ctx, step)]
    return [Series(name, ctx.start, ctx.end, step, values, xff=ctx.xff)]


alias("time", "timeFunction")


@function("identity", "Calculate", NAME)
def identity(ctx: Context, name: str) -> list[Series]:
    """Each minute's timestamp as its value (``time`` with a fixed 60 s step)."""
    values = list(_moments(ctx, 60))
    return [
        Series(
            name, ctx.start, ctx.end, 60, values, xff=ctx.xff, path_expression=f'identity("{name}")'
        )
    ]
