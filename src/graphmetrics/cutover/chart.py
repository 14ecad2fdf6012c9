"""One saved chart of the original as a graph definition and view; pure.

The original kept each chart as the query parameters of its ``show.png``: per line
``data<N>`` (a series name or an aggregate), ``legend<N>``, ``color<N>`` (hex, no
``#``), ``thick<N>``, ``tick<N>``, ``dash<N>``; for the chart ``start``/``end`` (dates
in US/Eastern, ``start_time``/``end_time`` appended), ``trail`` (hours up to now),
``step`` (minutes), ``log`` (``y``), ``upper_limit``, ``lower_limit``, ``height``
(of the plot area), ``title`` and ``generation`` (its save counter, not needed here).

Series names: ``host/customer-z4m/instance/tracelog/<ds>`` is the tracelog file
``tracelog/host__customer__instance`` and DS ``ds``; anything else is the metrics
file ``metrics/<name>`` and DS ``data``.  An aggregate is ``s1|s2|...||average``,
``...||total`` or ``...||custom|a|b||<rpn over a,b>``; the original drew the series
of line N as ``v<N>`` (``v<N>_<k>`` for an aggregate's parts), names kept here so a
custom expression naming another line still means the same.

:func:`convert` answers a :class:`Converted` (definition, view and notes about what
was adjusted) or raises :class:`Unmappable` saying why the chart cannot be drawn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from graphmetrics.render import rpn
from graphmetrics.rrd.layout import PALETTE
from graphmetrics.web.graphjson import GraphDefError, parse_graph, parse_series_path

EASTERN = ZoneInfo("America/New_York")
TRACELOG_SERIES = re.compile(r"([^/]+)/([^/]+)-z4m/([^/]+)/tracelog/(bl|epm|rpm|start|spr)")
PLOT_PARAM = re.compile(r"(legend|color|data|thick|tick|dash)(\d+)")
COLOR = re.compile(r"[0-9A-Fa-f]{6}")
# The original's plot area; the new view's height is the whole image's.
ORIGINAL_HEIGHT = 200
IMAGE_EXTRA_HEIGHT = 100
HEIGHT_BOUNDS = (80, 2000)
MAX_STEP = 366 * 86400
MAX_TRAIL = 24 * 400
TICK_ALPHA = "55"
MAX_LEGEND = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Unmappable(ValueError):
    """The chart cannot become a graph; the message says why."""


@dataclass
class Converted:
    definition: dict[str, Any]
    view: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def series_file(name: str) -> tuple[str, str]:
    """The original's series name as (path under the RRD directory, DS)."""
    match = TRACELOG_SERIES.fullmatch(name)
    if match:
        host, customer, instance, ds = match.groups()
        path, ds = f"tracelog/{host}__{customer}__{instance}", ds
    else:
        path, ds = f"metrics/{name}", "data"
    try:
        parse_series_path("series", path)
    except GraphDefError as exc:
        raise Unmappable(f"series {name!r}: {str(exc).split(': ', 1)[1]}") from None
    return path, ds


def plots(params: Mapping[str, str]) -> dict[int, dict[str, str]]:
    """The per-line parameters by line number (``data3`` -> ``{3: {"data": ...}}``)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = PLOT_PARAM.fullmatch(key)
        if match:
            found.setdefault(int(match.group(2)), {})[match.group(1)] = value
    return found


def aggregate(n: int, data: str) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """The DEFs and the CDEF of aggregate line ``n`` (no CDEF: nothing to draw)."""
    parts = data.split("||")
    names = [s for s in parts.pop(0).split("|")]
    series = []
    for k, name in enumerate(names):
        path, ds = series_file(name)
        series.append({"name": f"v{n}_{k}", "path": path, "ds": ds})
    if not series:
        return [], None
    of = [s["name"] for s in series]
    kind = parts[0].split("|")[0] if parts else "average"
    if kind == "average":
        return series, {"name": f"v{n}", "aggregate": "AVERAGE", "of": of}
    if kind == "total":
        return series, {"name": f"v{n}", "aggregate": "TOTAL", "of": of}
    if kind != "custom" or len(parts) < 2:
        raise Unmappable(f"data{n}: unknown aggregate {kind!r} (average, total or custom)")
    aliases = dict(zip(parts[0].split("|")[1:], of, strict=False))
    expression = ",".join(
        ",".join(aliases.get(token, token) for token in piece.split(",")) for piece in parts[1:]
    )
    return series, {"name": f"v{n}", "rpn": expression}


def clean_text(text: str, limit: int = MAX_LEGEND) -> str:
    """Legend or title text the render API takes: no control characters or backslashes."""
    return _CONTROL.sub(" ", text.replace("\\", "/"))[:limit]


def line(n: int, plot: Mapping[str, str], notes: list[str]) -> dict[str, Any]:
    color = plot.get("color", "")
    if not COLOR.fullmatch(color):
        notes.append(f"color{n} {color!r} is not rrggbb hex: palette colour used")
        color = PALETTE[n % len(PALETTE)].lstrip("#")
    legend = clean_text(plot.get("legend") or plot["data"])
    if plot.get("tick"):
        return {"value": f"v{n}", "type": "TICK", "color": f"#{color.lower()}{TICK_ALPHA}",
                "legend": legend, "fraction": 1}  # fmt: skip
    return {
        "value": f"v{n}",
        "type": "LINE",
        "width": 2 if plot.get("thick") else 1,
        "color": f"#{color.lower()}",
        "legend": legend,
        "dash": bool(plot.get("dash")),
    }


def definition(params: Mapping[str, str], notes: list[str]) -> dict[str, Any]:
    series: list[dict[str, str]] = []
    cdefs: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n, plot in sorted(plots(params).items()):
        data = plot.get("data")
        if not data:
            notes.append(f"line {n} has no data{n}: left out")
            continue
        if "|" in data:
            defs, cdef = aggregate(n, data)
            if cdef is None:
                notes.append(f"data{n} aggregates no series: left out")
                continue
            series += defs
            cdefs.append(cdef)
        else:
            path, ds = series_file(data)
            series.append({"name": f"v{n}", "path": path, "ds": ds})
        lines.append(line(n, plot, notes))
    if not lines:
        raise Unmappable("no line to draw (no data<N> parameter)")
    graph: dict[str, Any] = {"series": series, "cdefs": cdefs, "lines": lines}
    if params.get("title"):
        graph["title"] = clean_text(params["title"])
    if params.get("log") == "y":
        graph["logarithmic"] = True
    for key, name in (("lower_limit", "ymin"), ("upper_limit", "ymax")):
        if params.get(key):
            try:
                graph[name] = float(params[key])
            except ValueError:
                notes.append(f"{key} {params[key]!r} is not a number: left out")
    if graph.get("logarithmic") and graph.get("ymin", 1) <= 0:
        notes.append("lower_limit <= 0 on a logarithmic axis: left out")
        del graph["ymin"]
    if "ymin" in graph and "ymax" in graph and graph["ymin"] >= graph["ymax"]:
        notes.append("lower_limit >= upper_limit: limits left out")
        del graph["ymin"], graph["ymax"]
    return graph


def eastern_time(day: str, clock: str | None) -> str:
    """The original's ``2014-12-13`` (+ ``T10:30``) in US/Eastern as ISO 8601 UTC."""
    text = day + (("" if clock.startswith("T") else "T") + clock if clock else "")
    fields = [int(x) for x in re.split(r"[-T:]", text) if x != ""]
    if len(fields) < 3:
        raise ValueError(text)
    y, mo, d, h, mi, sec = (fields + [0, 0, 0])[:6]
    local = datetime(y, mo, d, h, mi, sec, tzinfo=EASTERN)
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def view(params: Mapping[str, str], notes: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    trail = params.get("trail")
    if trail:
        try:
            hours = float(trail)
            if not 0 < hours <= MAX_TRAIL:
                raise ValueError(trail)
            result["trail"] = int(hours) if hours.is_integer() else hours
        except ValueError:
            notes.append(f"trail {trail!r} is not 0-{MAX_TRAIL} hours: left out")
    else:
        for key in ("start", "end"):
            day, clock = params.get(key), params.get(f"{key}_time")
            if not day and not clock:
                continue
            try:
                result[key] = eastern_time(day or "", clock)
            except (ValueError, TypeError):
                notes.append(f"{key} {day!r} {clock or ''!r} is not a date: left out")
    if params.get("step"):
        try:
            result["step"] = max(60, min(MAX_STEP, int(float(params["step"]) * 60)))
        except ValueError:
            notes.append(f"step {params['step']!r} is not a number of minutes: left out")
    if params.get("height"):
        try:
            height = int(float(params["height"])) + IMAGE_EXTRA_HEIGHT
            result["height"] = max(HEIGHT_BOUNDS[0], min(HEIGHT_BOUNDS[1], height))
        except ValueError:
            notes.append(f"height {params['height']!r} is not a number: left out")
    return result


def convert(params: Mapping[str, str]) -> Converted:
    """The chart's definition (checked as ``/render`` would) and view."""
    notes: list[str] = []
    graph = definition(params, notes)
    try:
        parse_graph(graph)
    except GraphDefError as exc:
        raise Unmappable(str(exc)) from None
    except rpn.RPNError as exc:  # pragma: no cover - parse_graph wraps these
        raise Unmappable(str(exc)) from None
    return Converted(graph, view(params, notes), notes)
