"""Special: generated lines (constantLine, randomWalk, events), name and
consolidation helpers (substr, cactiStyle, cumulative, setXFilesFactor), fallbacks.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from graphmetrics.graphite.evaluator import FUNCTIONS, Context, Param, function
from graphmetrics.graphite.functions.common import ONE_SERIES, SERIES, safe_last, safe_max, safe_min
from graphmetrics.graphite.functions.units import format_units
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value

MAX_GENERATED = 1_000_000


@function("constantLine", "Special", Param("value", "float", required=True))
def constant_line(ctx: Context, value: float) -> list[Series]:
    """A horizontal line at ``value`` across the graph (three points: start, middle, end).

    Grafana's "Save & test" renders ``constantLine(100)`` to check the data source.
    """
    value = float(value)  # graphite-web's float parameter: constantLine(100) is "100.0"
    step = int((ctx.end - ctx.start) / 2.0)
    series = Series(str(value), ctx.start, ctx.end, step, [value] * 3, xff=ctx.xff)
    series.path_expression = f"constantLine({value})"
    return [series]


def _generated(ctx: Context, step: int) -> int:
    if step <= 0:
        raise TargetError(f"step must be a positive number of seconds, got {step}")
    count = -(-(ctx.end - ctx.start) // step)
    if count > MAX_GENERATED:
        raise TargetError(f"more than {MAX_GENERATED} points asked for; use a larger step")
    return count


def random_walk(ctx: Context, name: str, step: int = 60) -> list[Series]:
    """A random walk from 0, one step of [-0.5, 0.5) per ``step`` seconds.

    graphite-web draws from an unseeded generator; here the generator is seeded by
    the name, start and step, so the same request draws the same walk (and tests
    can be exact).
    """
    count = _generated(ctx, step)
    rng = random.Random(f"{name}|{ctx.start}|{step}")
    values: list[Value] = []
    current = 0.0
    for _ in range(count):
        values.append(current)
        current += rng.random() - 0.5
    return [Series(name, ctx.start, ctx.end, step, values, xff=ctx.xff)]


for _name in ("randomWalk", "randomWalkFunction"):
    function(
        _name, "Special", Param("name", "string", required=True),
        Param("step", "integer", default=60),
    )(random_walk)  # fmt: skip


@function("events", "Special", Param("tags", "string", required=True, multiple=True))
def events(ctx: Context, *tags: str) -> list[Series]:
    """Graphite events with these tags, counted per second: graphmetrics records no
    events, so the series is all null (graphite-web's shape: step 1, summed)."""
    name = 'events("' + '", "'.join(tags) + '")'
    count = ctx.end - ctx.start
    if count > MAX_GENERATED:
        raise TargetError(f"events: more than {MAX_GENERATED} seconds asked for")
    return [Series(name, ctx.start, ctx.end, 1, [None] * count, "sum", xff=ctx.xff)]


@function("changed", "Special", ONE_SERIES)
def changed(ctx: Context, series: list[Series]) -> list[Series]:
    """1 where the value differs from the last known one, else 0."""
    for s in series:
        s.name = f"changed({s.name})"
        s.path_expression = s.name
        previous: Value = None
        values: list[Value] = []
        for v in s.raw():
            if previous is None:
                previous = v
                values.append(0)
            elif v is not None and previous != v:
                values.append(1)
                previous = v
            else:
                values.append(0)
        s[:] = values
    return series


@function("cumulative", "Special", ONE_SERIES)
def cumulative(ctx: Context, series: list[Series]) -> list[Series]:
    """``consolidateBy(seriesList, "sum")``."""
    result: list[Series] = FUNCTIONS["consolidateBy"].impl(ctx, series, "sum")
    return result


def _set_xff(ctx: Context, series: list[Series], factor: float) -> list[Series]:
    """The xFilesFactor for these series and, as graphite-web's does, for every
    function evaluated after this one in the request."""
    ctx.state["xFilesFactor"] = factor
    for s in series:
        s.xff = factor
    return series


for _name in ("setXFilesFactor", "xFilesFactor"):
    function(_name, "Special", ONE_SERIES, Param("xFilesFactor", "float", required=True))(_set_xff)


@function("fallbackSeries", "Special", ONE_SERIES, Param("fallback", SERIES, required=True))
def fallback_series(ctx: Context, series: list[Series], fallback: list[Series]) -> list[Series]:
    """``fallback`` when ``seriesList`` is empty."""
    return series if series else fallback


def clean_name(name: str) -> str:
    """The innermost call's first argument: ``sum(scale(a.b,2))`` → ``a.b``."""
    left = name.rfind("(") + 1
    right = name.find(")")
    if right < 0:
        right = len(name) + 1
    return name[left:right]


@function(
    "substr", "Special", ONE_SERIES, Param("start", "node", default=0),
    Param("stop", "node", default=0),
)  # fmt: skip
def substr(ctx: Context, series: list[Series], start: int = 0, stop: int = 0) -> list[Series]:
    """Each series named by the path nodes ``start`` to ``stop`` of its innermost path."""
    for s in series:
        nodes = clean_name(s.name).split(".")
        name = ".".join(nodes[start:] if stop == 0 else nodes[start:stop])
        comma = name.find(",")
        s.name = name if comma < 0 else name[:comma]
    return series


def _formatter(system: str | None, units: str | None) -> Callable[[float], str]:
    if system:
        if units:
            return lambda x: "%.2f %s" % format_units(x, system, units)  # noqa: UP031
        return lambda x: "%.2f%s" % format_units(x, system)  # noqa: UP031
    if units:
        return lambda x: f"{x:.2f} {units}"
    return lambda x: f"{x:.2f}"


@function(
    "cactiStyle", "Special", ONE_SERIES,
    Param("system", "string", options=("binary", "si")), Param("units", "string"),
)  # fmt: skip
def cacti_style(
    ctx: Context, series: list[Series], system: str | None = None, units: str | None = None
) -> list[Series]:
    """Names padded into columns with the current, maximum and minimum values."""
    if not series:
        return series
    fmt = _formatter(system, units)

    def width(func: Callable[[list[Value]], Value]) -> int:
        return max(len(fmt(int(func(list(s)) or 3))) for s in series) + 3

    name_len = max(len(s.name) for s in series)
    widths = [width(safe_last), width(safe_max), width(safe_min)]
    for s in series:
        values = list(s)
        texts = []
        for func in (safe_last, safe_max, safe_min):
            v = func(values)
            texts.append("nan" if v is None else fmt(float(v)))
        s.name = "%*s Current:%*s Max:%*s Min:%*s " % (  # noqa: UP031
            -name_len, s.name, -widths[0], texts[0], -widths[1], texts[1], -widths[2], texts[2],
        )  # fmt: skip
    return series
