"""Graph definitions for ``/render``: both request forms parsed into one typed value.

This module reads the query parameters and the simple ``series=`` form; the JSON of
the full ``graph=`` form is read by :mod:`graphmetrics.web.graphjson` (both are
documented here).  Pure: parsing needs the query parameters and the current time,
nothing else.  Every error is a :class:`GraphDefError` whose message starts with the
parameter at fault (``width: ...``, ``graph.lines[1].color: ...``).

Query parameters (both forms)
-----------------------------
``start``, ``end``   epoch, ISO 8601 or AT-style (``-1d``, ``now``, ``end-2h``); default
                     the last 24 hours (see :mod:`graphmetrics.render.timespec`)
``trail``            hours up to now (``trail=6``), instead of ``start``/``end``
``step``             seconds per data point wanted (rrdtool may use a coarser one)
``width``/``height`` image size in pixels, 10..4000, default 800×300
``format``           ``png`` (default), ``svg``, ``csv`` or ``json``
``tz``               IANA time zone (``UTC``, ``America/New_York``) of the image's time
                     axis and the CSV's timestamps (ISO 8601 with that zone's offset);
                     default the server's zone for images, UTC for CSV
``theme``            ``light`` or ``dark`` (flat colours, sans-serif, no watermark,
                     smooth slopes), or ``classic`` (default): rrdtool's own look
``legend``           ``false``: no legend under the image (a page showing its own)
The range, size and definition together may ask rrdtool for at most about
``render_max_work`` values (default :data:`~graphmetrics.render.graph.MAX_WORK`, see
``estimated_work``): a longer range
or a heavier CDEF (PREDICT shifts × window) is refused with a 400 naming the limit.
Parameters starting with ``_`` are ignored (cache busters); others are refused.

Simple form: ``series=PATH:DS[:CF]``, repeatable (at most 500), one line per series,
legend and CSV/JSON column = the parameter text.  ``PATH`` is the RRD file relative
to the RRD directory without ``.rrd``; ``CF`` is AVERAGE (default), MAX, MIN or
LAST.  ``title``, ``vlabel``, ``ymin``, ``ymax``, ``logarithmic`` may be added.

Full form: ``graph=<URL-encoded JSON>``, an object with these keys (only
``series`` is required)::

    {
      "title": "acme inst1",            // text above the graph
      "vlabel": "requests/min",         // y-axis label
      "logarithmic": false,             // log y-axis
      "ymin": null, "ymax": null,       // y limits (numbers); either makes the axis rigid
      "compare": 604800,                // also draw each LINE/AREA as it was this many
                                        // seconds before (rrdtool SHIFT), dashed
      "legend_values": true,            // min/avg/max/last of each LINE/AREA in the legend
      "unit": "req/min",                // after each legend value (at most 20 characters)
      "decimals": 0,                    // legend values' and y-axis decimals (0..6)
      "si": false,                      // SI prefixes (k, M, m, u): default true; false
                                        // for counts ("0.50", never "500.00m")
      "series": [                       // rrdtool DEFs (1..500)
        {"name": "rpm", "path": "tracelog/app1__acme__inst1", "ds": "rpm", "cf": "AVERAGE"},
        {"name": "spr", "path": "tracelog/app1__acme__inst1", "ds": "spr"},
        {"name": "restarts", "path": "tracelog/app1__acme__inst1", "ds": "start", "cf": "MAX"}
      ],
      "cdefs": [                        // computed series, RPN over earlier names
        {"name": "headroom", "rpn": "spr,rpm,-,spr,/,100,*"},
        {"name": "both", "aggregate": "TOTAL", "of": ["rpm", "spr"]}
      ],
      "vdefs": [                        // single values: name,FUNCTION or name,N,PERCENT
        {"name": "peak", "rpn": "rpm,MAXIMUM"}
      ],
      "lines": [                        // what is drawn, in order (at most 100)
        {"value": "rpm", "type": "AREA", "color": "#1f77b4", "legend": "requests/min",
         "stack": false},
        {"value": "headroom", "type": "LINE", "width": 2, "color": "#d62728cc",
         "legend": "headroom %", "dash": true},
        {"value": "peak", "type": "HRULE", "color": "#999999", "legend": "peak"},
        {"value": "restarts", "type": "TICK", "color": "#9467bd59", "fraction": 1}
      ],
      "gprints": [{"value": "peak", "format": "max %6.1lf%s"}]   // legend values
    }

Names are identifiers (letter or ``_`` first, at most 63 characters, not an RPN
operator) and unique across series, cdefs and vdefs.  ``cf`` defaults to AVERAGE.
Tracelog files also offer the virtual DS ``headroom`` ((spr-rpm)/spr*100), expanded
into DEFs plus a CDEF under the series' name.  A cdef is either ``rpn`` or an
``aggregate`` (TOTAL, AVERAGE, MIN or MAX) ``of`` earlier names, unknown values left
out (TOTAL folds with ``ADDNAN``, MIN/MAX with ``MINNAN``/``MAXNAN``, AVERAGE is
``AVG``): a fleet-wide total needs no RPN of hundreds of tokens.

Line keys: ``value`` (required; a series/cdef name, or for HRULE a vdef name or a
number), ``type`` LINE (default), AREA, HRULE or TICK (a mark where the value is
non-zero, e.g. restarts), ``width`` 0.1..20 (LINE, default 1), ``color`` ``#rrggbb``
or ``#rrggbbaa`` (default: a 10-colour palette by position), ``legend`` text
(default none), ``dash`` false / true / list of on,off pixel lengths (LINE and
HRULE), ``stack`` on the previous LINE/AREA, ``fraction`` of the plot's height a
TICK spans (0..1, default 1).  When ``lines`` is omitted or empty every series is
drawn as a LINE with its name as legend.  CSV and JSON columns are the LINE, AREA
and TICK lines in order, labelled by their legend (or value name), then with
``compare`` the LINE/AREA lines in the past ("rpm (1 week ago)").  ``gprints`` print
a vdef in the legend with one ``%lf``/``%le``/``%lg`` and an optional ``%s`` (SI
prefix).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from graphmetrics.render import style, timespec
from graphmetrics.render.graph import (
    DEFAULT_SIZE,
    FORMATS,
    MAX_WORK,
    Cdef,
    Gprint,
    Graph,
    Line,
    RenderRequest,
    Series,
    estimated_work,
)
from graphmetrics.rrd.layout import PALETTE
from graphmetrics.text import quoted
from graphmetrics.web.graphjson import (
    MAX_SERIES,
    GraphDefError,
    axis_options,
    parse_graph,
    parse_series_path,
    read_bool,
    read_int,
    read_number,
    series_defs,
)

# What callers import from here: the parsing entry points and the definition types.
__all__ = [
    "DEFAULT_SIZE",
    "FORMATS",
    "MAX_GRAPH_JSON",
    "QUERY_KEYS",
    "SIZE_RANGE",
    "Cdef",
    "Gprint",
    "Graph",
    "GraphDefError",
    "Line",
    "RenderRequest",
    "Series",
    "parse_graph",
    "parse_request",
    "parse_series_path",
]

SIZE_RANGE = (10, 4000)
MAX_GRAPH_JSON = 65536
# parsed definitions remembered (at most MAX_GRAPH_JSON characters of text each)
REMEMBERED_DEFINITIONS = 256
SIMPLE_ONLY = ("title", "vlabel", "ymin", "ymax", "logarithmic")
QUERY_KEYS = frozenset(
    (
        "start",
        "end",
        "trail",
        "step",
        "width",
        "height",
        "format",
        "series",
        "graph",
        "tz",
        "theme",
        "legend",
    )
    + SIMPLE_ONLY
)


def _simple_graph(series_params: list[str], single: dict[str, str]) -> Graph:
    series: list[Series] = []
    cdefs: list[Cdef] = []
    lines: list[Line] = []
    for i, text in enumerate(series_params):
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise GraphDefError("series", f"expected PATH:DS or PATH:DS:CF, got {quoted(text)}")
        cf = parts[2].upper() if len(parts) == 3 else "AVERAGE"
        try:
            defs, extra = series_defs("series", f"s{i}", parts[0], parts[1], cf)
        except GraphDefError as exc:
            reason = str(exc).split(": ", 1)[1]
            raise GraphDefError("series", f"{quoted(text)}: {reason}") from None
        series += defs
        cdefs += extra
        lines.append(Line(f"s{i}", color=PALETTE[i % len(PALETTE)], legend=text))
    return Graph(tuple(series), tuple(cdefs), lines=tuple(lines), **axis_options("", single))


@functools.lru_cache(maxsize=REMEMBERED_DEFINITIONS)
def _definition(
    graph_json: str | None, series: tuple[str, ...], axis: tuple[str | None, ...]
) -> Graph:
    """The graph of one definition's text: the ``graph=`` JSON, or the simple form's
    ``series=`` values and axis parameters.

    Remembered, because a dashboard sends the same definitions again on every
    refresh, range change and zoom: parsing is a pure function of this text and a
    :class:`Graph` is immutable, so a remembered one is exactly what parsing again
    would give.  Refusals raise, so they are never remembered.
    """
    if graph_json is not None:
        return parse_graph(_decode_json(graph_json))
    given = {key: value for key, value in zip(SIMPLE_ONLY, axis, strict=True) if value is not None}
    return _simple_graph(list(series), given)


def parse_request(
    params: Iterable[tuple[str, str]], now: int, max_work: int = MAX_WORK
) -> RenderRequest:
    """The ``/render`` query parameters as a :class:`RenderRequest`; ``now`` in epoch s.

    Refuses a request whose :func:`estimated_work` is over ``max_work``."""
    single: dict[str, str] = {}
    series_params: list[str] = []
    for key, value in params:
        if key.startswith("_"):
            continue
        if key not in QUERY_KEYS:
            raise GraphDefError(key, f"unknown parameter; known: {', '.join(sorted(QUERY_KEYS))}")
        if key == "series":
            series_params.append(value)
        elif key in single:
            raise GraphDefError(key, "given more than once")
        else:
            single[key] = value
    fmt = single.get("format", "png").lower()
    if fmt not in FORMATS:
        raise GraphDefError("format", f"must be one of {', '.join(FORMATS)}, got {quoted(fmt)}")
    if "graph" in single:
        if series_params:
            raise GraphDefError("series", "use either series= or graph=, not both")
        for key in SIMPLE_ONLY:
            if key in single:
                raise GraphDefError(key, "with graph=, put it inside the graph JSON")
        graph = _definition(single["graph"], (), ())
    elif series_params:
        if len(series_params) > MAX_SERIES:
            raise GraphDefError("series", f"at most {MAX_SERIES} series, got {len(series_params)}")
        graph = _definition(None, tuple(series_params), tuple(map(single.get, SIMPLE_ONLY)))
    else:
        raise GraphDefError("series", "give at least one series= or a graph= definition")
    trail = single.get("trail")
    try:
        start, end = timespec.resolve_range(
            single.get("start"),
            single.get("end"),
            now,
            read_number("trail", trail) if trail is not None else None,
        )
    except timespec.TimeSpecError as exc:
        message = str(exc)
        first = re.split(r"[ :]", message, maxsplit=1)[0]
        param = first if first in ("start", "end", "trail") else "start"
        raise GraphDefError(param, message.removeprefix(f"{param}: ")) from None
    step = None
    if "step" in single:
        step = read_int("step", single["step"], 1, end - start)
    theme = single.get("theme", "classic")
    if theme not in style.THEME_NAMES:
        raise GraphDefError("theme", f"must be one of {', '.join(style.THEME_NAMES)}")
    tz = single.get("tz", "")
    if tz and (problem := style.zone_error(tz)):
        raise GraphDefError("tz", problem)
    low, high = SIZE_RANGE
    req = RenderRequest(
        graph=graph,
        start=start,
        end=end,
        step=step,
        width=read_int("width", single.get("width", str(DEFAULT_SIZE[0])), low, high),
        height=read_int("height", single.get("height", str(DEFAULT_SIZE[1])), low, high),
        format=fmt,
        tz=tz,
        theme="" if theme == "classic" else theme,
        legend=read_bool("legend", single.get("legend", "true")),
    )
    work = estimated_work(req)
    if work > max_work:
        raise GraphDefError(
            "graph" if "graph" in single else "series",
            f"too much work for one graph: about {work:.3g} values for rrdtool "
            f"(at most {max_work:.3g}); shorten the range, lower the width, or use "
            "fewer PREDICT shifts or a smaller window",
        )
    return req


def _decode_json(text: str) -> Any:
    if len(text) > MAX_GRAPH_JSON:
        raise GraphDefError("graph", f"JSON longer than {MAX_GRAPH_JSON} characters")

    def no_constants(name: str) -> Any:
        raise GraphDefError("graph", f"{name} is not allowed in JSON")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise GraphDefError("graph", f"invalid JSON: {exc}") from None
    except RecursionError:
        raise GraphDefError("graph", "JSON nested too deeply") from None
