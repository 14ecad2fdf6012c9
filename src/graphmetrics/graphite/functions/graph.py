"""Graph: how series are drawn (colour, width, dashes, stacking, second axis), and
drawn lines that are not data (threshold, verticalLine).

In JSON they keep graphite-web's names and values (``stacked`` sums the series,
``dashed(…)``, ``secondYAxis(…)`` rename); the drawing hints go into
``Series.options`` for the PNG renderer, which uses what rrdtool can draw.
"""

from __future__ import annotations

from graphmetrics.graphite.attime import TimeError, parse_attime
from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.common import ONE_SERIES
from graphmetrics.graphite.functions.special import constant_line
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value


@function("color", "Graph", ONE_SERIES, Param("theColor", "string", required=True))
def color(ctx: Context, series: list[Series], the_color: str) -> list[Series]:
    """Draws the series in this colour (a name or hex ``rrggbb``)."""
    for s in series:
        s.options["color"] = the_color
    return series


@function("alpha", "Graph", ONE_SERIES, Param("alpha", "float", required=True))
def alpha(ctx: Context, series: list[Series], value: float) -> list[Series]:
    """Draws the series with this opacity (0-1)."""
    for s in series:
        s.options["alpha"] = value
    return series


@function("lineWidth", "Graph", ONE_SERIES, Param("width", "float", required=True))
def line_width(ctx: Context, series: list[Series], width: float) -> list[Series]:
    """Draws the series with lines this many pixels wide."""
    for s in series:
        s.options["lineWidth"] = width
    return series


@function("dashed", "Graph", ONE_SERIES, Param("dashLength", "integer", default=5))
def dashed(ctx: Context, series: list[Series], length: int = 5) -> list[Series]:
    """Draws the series dashed, dashes ``dashLength`` pixels long."""
    for s in series:
        s.name = "dashed(%s, %g)" % (s.name, length)  # noqa: UP031 - graphite's format
        s.options["dashed"] = length
    return series


@function("secondYAxis", "Graph", ONE_SERIES)
def second_y_axis(ctx: Context, series: list[Series]) -> list[Series]:
    """Draws the series against a second Y axis on the right."""
    for s in series:
        s.name = f"secondYAxis({s.name})"
        s.options["secondYAxis"] = True
    return series


@function("drawAsInfinite", "Graph", ONE_SERIES)
def draw_as_infinite(ctx: Context, series: list[Series]) -> list[Series]:
    """Draws a vertical line wherever the value is non-zero."""
    for s in series:
        s.name = f"drawAsInfinite({s.name})"
        s.options["drawAsInfinite"] = True
    return series


@function("stacked", "Graph", ONE_SERIES, Param("stack", "string"), stateful=True)
def stacked(ctx: Context, series: list[Series], stack: str | None = None) -> list[Series]:
    """Each series added to the ones before it, point by point (nulls stay null).

    Series of one stack name are stacked across all targets of the request, as
    graphite-web does; without a name they are renamed ``stacked(…)``.
    """
    name = stack or "__DEFAULT__"
    totals: list[float] = ctx.state.setdefault("totalStack", {}).setdefault(name, [])
    result = []
    for s in series:
        values: list[Value] = []
        for i, v in enumerate(s.raw()):
            if len(totals) <= i:
                totals.append(0)
            if v is None:
                values.append(None)
            else:
                totals[i] += v
                values.append(totals[i])
        new_name = f"stacked({s.name})" if name == "__DEFAULT__" else s.name
        copy = s.copy_with(name=new_name, values=values)
        copy.options["stacked"] = True
        result.append(copy)
    return result


@function("areaBetween", "Graph", ONE_SERIES)
def area_between(ctx: Context, series: list[Series]) -> list[Series]:
    """Fills the area between exactly two series (lower first, then upper)."""
    if len(series) != 2:
        raise TargetError(
            f"areaBetween: the series list must hold exactly 2 series, it holds {len(series)}"
        )
    lower, upper = series
    lower.options.update(stacked=True, invisible=True)
    upper.options["stacked"] = True
    lower.name = upper.name = f"areaBetween({upper.path_expression})"
    return series


@function(
    "threshold", "Graph", Param("value", "float", required=True), Param("label", "string"),
    Param("color", "string"),
)  # fmt: skip
def threshold(
    ctx: Context, value: float, label: str | None = None, the_color: str | None = None
) -> list[Series]:
    """A horizontal line at ``value``, named ``label``, in ``color``."""
    [series] = constant_line(ctx, value)
    if label:
        series.name = label
    if the_color:
        series.options["color"] = the_color
    return [series]


@function(
    "verticalLine", "Graph", Param("ts", "date", required=True), Param("label", "string"),
    Param("color", "string"),
)  # fmt: skip
def vertical_line(
    ctx: Context, ts: str | int, label: str | None = None, the_color: str | None = None
) -> list[Series]:
    """A vertical line at time ``ts`` (``-5min``, ``16:00_20110501``, …) in the range."""
    try:
        when = parse_attime(str(ts), ctx.now, ctx.tz) if ctx.tz else parse_attime(str(ts), ctx.now)
    except (TimeError, ValueError) as exc:
        raise TargetError(f"verticalLine: cannot read the time {ts!r}: {exc}") from None
    if when < ctx.start:
        raise TargetError(f"verticalLine(): timestamp {when} exists before start of range")
    if when > ctx.end:
        raise TargetError(f"verticalLine(): timestamp {when} exists after end of range")
    series = Series(label or "", when, when, 1, [1.0, 1.0], xff=ctx.xff)
    series.options["drawAsInfinite"] = True
    if the_color:
        series.options["color"] = the_color
    return [series]
