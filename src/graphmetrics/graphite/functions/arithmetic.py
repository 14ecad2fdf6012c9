"""Transform: one value at a time — add, pow, log, exp, invert, round, squares and
scalings — with graphite-web's series names and its null/domain rules (a value
outside a function's domain becomes null)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import ONE_SERIES, safe_max, safe_min
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value


def _apply(series: list[Series], name: str, func: Callable[[Value], Value]) -> list[Series]:
    """Rename each series ``name % s.name`` and map ``func`` over its raw values."""
    for s in series:
        s.name = s.path_expression = name % s.name
        s[:] = [func(v) for v in s.raw()]
    return series


def safe_pow(a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None


def _exp(v: Value) -> Value:
    if v is None:
        return None
    try:
        return math.exp(v)
    except OverflowError:
        return None


def _integer_text(value: float) -> str:
    """graphite-web's ``%d`` of a number (which fails on infinity; that stays ``inf``)."""
    return str(int(value)) if math.isfinite(value) else str(value)


@function("add", "Transform", ONE_SERIES, Param("constant", "float", required=True))
def add(ctx: Context, series: list[Series], constant: float) -> list[Series]:
    """Adds ``constant`` to every value (graphite names it with the integer part)."""
    name = f"add(%s,{_integer_text(constant)})"
    return _apply(series, name, lambda v: None if v is None else v + constant)


@function("exp", "Transform", ONE_SERIES)
def exp(ctx: Context, series: list[Series]) -> list[Series]:
    """e raised to the power of every value."""
    return _apply(series, "exp(%s)", _exp)


@function("invert", "Transform", ONE_SERIES)
def invert(ctx: Context, series: list[Series]) -> list[Series]:
    """1/x for every value (null for 0)."""
    return _apply(series, "invert(%s)", lambda v: safe_pow(v, -1))


@function("pow", "Transform", ONE_SERIES, Param("factor", "float", required=True))
def pow_(ctx: Context, series: list[Series], factor: float) -> list[Series]:
    """Every value raised to the power ``factor``."""
    return _apply(series, f"pow(%s,{float(factor):g})", lambda v: safe_pow(v, factor))


@function("squareRoot", "Transform", ONE_SERIES)
def square_root(ctx: Context, series: list[Series]) -> list[Series]:
    """The square root of every value (null for negatives)."""
    return _apply(series, "squareRoot(%s)", lambda v: safe_pow(v, 0.5))


@function("log", "Transform", ONE_SERIES, Param("base", "integer", default=10))
def logarithm(ctx: Context, series: list[Series], base: int = 10) -> list[Series]:
    """The logarithm of every value in ``base`` (null for values ≤ 0)."""
    if base <= 0 or base == 1:
        raise TargetError(f"log: the base must be positive and not 1, got {base}")
    result = []
    for s in series:
        values = [None if v is None or v <= 0 else math.log(v, base) for v in s]
        result.append(s.copy_with(name=f"log({s.name}, {base})", values=values))
    return result


def _logit(v: Value) -> Value:
    try:
        return math.log(v / (1 - v))  # type: ignore[operator]
    except (TypeError, ValueError, ZeroDivisionError):
        return None


@function("logit", "Transform", ONE_SERIES)
def logit(ctx: Context, series: list[Series]) -> list[Series]:
    """log(x / (1 - x)) of every value (null outside 0 < x < 1)."""
    return _apply(series, "logit(%s)", _logit)


def _sigmoid(v: Value) -> Value:
    if v is None:
        return None
    e = _exp(-v)
    return 0.0 if e is None else 1 / (1 + e)


@function("sigmoid", "Transform", ONE_SERIES)
def sigmoid(ctx: Context, series: list[Series]) -> list[Series]:
    """1 / (1 + e^-x) of every value."""
    return _apply(series, "sigmoid(%s)", _sigmoid)


@function("round", "Transform", ONE_SERIES, Param("precision", "integer", default=0))
def round_(ctx: Context, series: list[Series], precision: int = 0) -> list[Series]:
    """Every value rounded to ``precision`` decimals (negative: tens, hundreds…)."""
    name = "round(%s)" if len(ctx.args) < 2 else f"round(%s,{int(precision)})"
    return _apply(series, name, lambda v: None if v is None else round(v, precision))


@function("scaleToSeconds", "Transform", ONE_SERIES, Param("seconds", "float", required=True))
def scale_to_seconds(ctx: Context, series: list[Series], seconds: float) -> list[Series]:
    """Values per step turned into values per ``seconds`` (rounded to 6 decimals)."""
    for s in series:
        factor = seconds / s.step
        _apply([s], f"scaleToSeconds(%s,{_integer_text(seconds)})", partial(_scaled, factor=factor))
    return series


def _scaled(v: Value, factor: float) -> Value:
    return None if v is None else round(v * factor, 6)


@function("isNonNull", "Transform", ONE_SERIES)
def is_non_null(ctx: Context, series: list[Series]) -> list[Series]:
    """1 where a series has a value, 0 where it is null."""
    for s in series:
        s.name = s.path_expression = f"isNonNull({s.name})"
        s[:] = [0 if v is None else 1 for v in s]
    return series


@function("minMax", "Transform", ONE_SERIES)
def min_max(ctx: Context, series: list[Series]) -> list[Series]:
    """Each series scaled to 0..1 between its own minimum and maximum."""
    for s in series:
        values = list(s)
        low = safe_min(values)
        high = safe_max(values)
        low = 0.0 if low is None else low
        high = 0.0 if high is None else high
        span = high - low
        _apply([s], "minMax(%s)", partial(_normal, low=low, span=span))
    return series


def _normal(v: Value, low: float, span: float) -> Value:
    if v is None:
        return None
    return float(v - low) / span if span else 0.0


def _minus(v: Value, low: Value) -> Value:
    return None if v is None or low is None else v - low


@function("offsetToZero", "Transform", ONE_SERIES)
def offset_to_zero(ctx: Context, series: list[Series]) -> list[Series]:
    """Each series moved so that its minimum is 0."""
    for s in series:
        low = safe_min(list(s))
        _apply([s], "offsetToZero(%s)", partial(_minus, low=low))
    return series
