"""The only code that reads RRD files: a graph definition becomes rrdtool arguments.

The definition types (:class:`Graph`, :class:`RenderRequest` ...) live here with
the renderer; :mod:`graphmetrics.web.graphdef` builds them from requests and
documents the JSON form.

Images come from ``rrdtool.graphv('-', ...)`` and data from ``rrdtool.xport``, both
through the binding (never a shell, every argument a separate string), run by
:func:`draw` in a render worker process (:mod:`graphmetrics.render.renderpool`).
Text from the definition is escaped for rrdtool's ``:`` field separator; RPN and
names were validated by :mod:`graphmetrics.web.graphdef` before they get here, and
file paths are resolved strictly inside the RRD directory by :mod:`graphmetrics.rrd.files`.
With rrdcached, ``--daemon`` makes rrdtool flush a file before reading it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path
from typing import Any

import rrdtool

from graphmetrics.render import graphite_styles, linefile, rpn, style
from graphmetrics.render.overlays import internal_name, is_internal, with_past
from graphmetrics.rrd.files import RRDFiles
from graphmetrics.rrd.layout import PALETTE
from graphmetrics.rrd.schema import METRICS, TRACELOG

MAX_ROWS = 10000
# Cairo/pango font handling in librrd is not known to be thread-safe and the binding
# releases the GIL: what the web process draws itself (light graphs, error images)
# it draws one at a time; everything else is drawn by single-threaded workers.
GRAPH_LOCK = threading.Lock()
# The bound of estimated_work: at most about a second of one core's rrdtool time.
MAX_WORK = 200_000_000
# A light graph (a few milliseconds) may be drawn in the web process: see is_light.
LIGHT_WORK = 2_000_000
LIGHT_PIXELS = 1_000_000
# Data steps rrdtool can choose from: the finest and the coarsest archive of the schemas
FINEST_STEP = min(s.step for s in (TRACELOG, METRICS))
COARSEST_STEP = max(s.step * a.steps for s in (TRACELOG, METRICS) for a in s.archives)
ERROR_SIZE = (400, 150)

# series path (without .rrd) -> the file rrdtool reads, from graphmetrics.rrd.files
Files = Mapping[str, str]

# -- the graph definition; built and validated from requests by web.graphdef ---------

FORMATS = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
IMAGE_FORMATS = ("png", "svg")
DEFAULT_SIZE = (800, 300)
# Tracelog virtual data sources: the DEFs they need and the RPN over them.
TRACELOG_VIRTUAL: dict[str, tuple[tuple[str, ...], str]] = {
    "headroom": (("spr", "rpm"), "{spr},{rpm},-,{spr},/,100,*"),
}


@dataclass(frozen=True)
class Series:
    name: str
    path: str
    ds: str
    cf: str = "AVERAGE"
    # seconds earlier: the DEF reads [start - shift, end - shift], SHIFTed forward
    shift: int = 0


@dataclass(frozen=True)
class Cdef:
    name: str
    rpn: str


@dataclass(frozen=True)
class Line:
    value: str
    type: str = "LINE"
    width: float = 1.0
    color: str = PALETTE[0]
    legend: str = ""
    dash: tuple[int, ...] | None = None
    stack: bool = False
    # TICK only: the tick's length as a fraction of the plot's height
    fraction: float = 1.0


@dataclass(frozen=True)
class Gprint:
    value: str
    format: str


@dataclass(frozen=True)
class Graph:
    series: tuple[Series, ...]
    cdefs: tuple[Cdef, ...] = ()
    vdefs: tuple[Cdef, ...] = ()
    lines: tuple[Line, ...] = ()
    gprints: tuple[Gprint, ...] = ()
    title: str = ""
    vlabel: str = ""
    logarithmic: bool = False
    ymin: float | None = None
    ymax: float | None = None
    # seconds: also draw every LINE/AREA as it was this long before (0: off)
    compare: int = 0
    # min/avg/max/last of every LINE/AREA in the legend
    legend_values: bool = False
    # how numbers are written: the unit after legend values, fixed decimals, SI prefixes
    unit: str = ""
    decimals: int | None = None
    si: bool = True

    @property
    def exports(self) -> tuple[Line, ...]:
        """The lines that become CSV/JSON columns."""
        return tuple(line for line in self.lines if line.type != "HRULE")


@dataclass(frozen=True)
class RenderRequest:
    graph: Graph
    start: int
    end: int
    step: int | None = None
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    format: str = "png"
    # IANA zone of the x-axis and the CSV times ("": the server's zone, CSV in UTC)
    tz: str = ""
    # render.style.THEMES: "light" or "dark"; "" is rrdtool's own look
    theme: str = ""
    # False: no legend under the image (a page drawing its own)
    legend: bool = True


class RenderError(Exception):
    """A definition rrdtool cannot draw: the asker's to fix unless a subclass says otherwise."""


class ReadFailed(RenderError):
    """rrdtool could not read or draw what the server gave it: the server's problem."""


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


# graphv's layout keys, sent with images so a browser can map pixels to times.
GEOMETRY_HEADERS = (
    ("graph_left", "X-Graph-Left"),
    ("graph_top", "X-Graph-Top"),
    ("graph_width", "X-Graph-Width"),
    ("graph_height", "X-Graph-Height"),
    ("graph_start", "X-Graph-Start"),
    ("graph_end", "X-Graph-End"),
)


# librrd's words when the daemon connection it keeps (one per process) died under it
DAEMON_LOST = "while talking to rrdcached"


def with_daemon(call: Callable[..., Any], *args: str) -> Any:
    """``call(*args)``, once more when the rrdcached connection was lost (the daemon
    restarted): librrd closed the dead one, so the second call connects afresh."""
    try:
        return call(*args)
    except rrdtool.OperationalError as exc:
        if DAEMON_LOST not in str(exc) or "--daemon" not in args:
            raise
    return call(*args)


def escape(text: str) -> str:
    """Text for a ``:``-separated rrdtool argument (legend, label, file name).

    rrdtool reads a backslash and the last character as a control code (``\\l``
    aligns left); any other pair there (a name ending in ``\\\\``) is an error,
    so ``\\g`` (glue: no change to the text) goes after it."""
    text = text.replace(":", "\\:")
    if text[-2:-1] == "\\" and text[-1] not in "lrcjsg:":
        text += "\\g"
    return text


def resolve_files(graph: Graph, rrd_dir: Path) -> dict[str, str]:
    """Each series path (without ``.rrd``) mapped to its file inside ``rrd_dir``.

    A one-off :class:`~graphmetrics.rrd.files.RRDFiles`; the app keeps one per RRD
    directory.  Raises :class:`~graphmetrics.rrd.files.FileError`.
    """
    return RRDFiles(rrd_dir).resolve((s.path, s.name) for s in graph.series).paths


def def_args(graph: Graph, files: Files, span: tuple[int, int] | None = None) -> list[str]:
    """DEF, SHIFT, CDEF and VDEF arguments of ``graph``; shifted series read ``span``
    (the request's start and end) that many seconds earlier."""
    args = []
    shifts = []
    for s in graph.series:
        arg = f"DEF:{s.name}={escape(files[s.path])}:{s.ds}:{s.cf}"
        if s.shift and span is not None:
            arg += f":start={span[0] - s.shift}:end={span[1] - s.shift}"
            shifts.append(f"SHIFT:{s.name}:{s.shift}")
        args.append(arg)
    args += shifts
    args += [f"CDEF:{c.name}={c.rpn}" for c in graph.cdefs]
    args += [f"VDEF:{v.name}={v.rpn}" for v in graph.vdefs]
    return args


def _draw(line: Line) -> str:
    if line.type == "TICK":
        # rrdtool draws a TICK's legend box over the text's first letters: two spaces more
        legend = f"  {line.legend}" if line.legend else ""
        return f"TICK:{line.value}{line.color}:{line.fraction:g}:{escape(legend)}"
    head = {"LINE": f"LINE{line.width:g}", "AREA": "AREA", "HRULE": "HRULE"}[line.type]
    arg = f"{head}:{line.value}{line.color}:{escape(line.legend)}"
    if line.stack:
        arg += ":STACK"
    if line.dash:
        arg += ":dashes=" + ",".join(map(str, line.dash))
    return arg


LEGEND_VALUES = (("min", "MINIMUM"), ("avg", "AVERAGE"), ("max", "MAXIMUM"), ("last", "LAST"))


def _drawing(graph: Graph) -> list[str]:
    """The lines, each followed by its min/avg/max/last when the graph asks for them."""
    if not graph.legend_values:
        return [_draw(line) for line in graph.lines]
    vdefs: list[str] = []
    draws: list[str] = []
    value = escape(style.value_format(graph.si, graph.decimals, graph.unit))
    for i, line in enumerate(graph.lines):
        draws.append(_draw(line))
        if line.type not in ("LINE", "AREA") or is_internal(line.value):
            continue
        for label, function in LEGEND_VALUES:
            name = internal_name(f"{label}{i}")
            vdefs.append(f"VDEF:{name}={line.value},{function}")
            end = "\\l" if label == "last" else ""
            draws.append(f"GPRINT:{name}:{label} {value}{end}")
    return vdefs + draws


def graph_args(req: RenderRequest, files: Files, daemon: str | None = None) -> list[str]:
    """Arguments for ``rrdtool.graphv('-', *args)`` drawing ``req``."""
    graph = with_past(req.graph)
    args = ["--imgformat", req.format.upper(), "--start", str(req.start), "--end", str(req.end)]
    args += ["--width", str(req.width), "--height", str(req.height), "--full-size-mode"]
    if daemon:
        args += ["--daemon", daemon]
    if req.step:
        args += ["--step", str(req.step)]
    if graph.title:
        args.append(f"--title={graph.title}")
    if graph.vlabel:
        args.append(f"--vertical-label={graph.vlabel}")
    if graph.logarithmic:
        args.append("--logarithmic")
    args += style.theme_args(req.theme)
    if not req.legend:
        args.append("--no-legend")
    args += style.number_args(graph.logarithmic, graph.si, graph.decimals)
    if graph.ymin is not None:
        args.append(f"--lower-limit={graph.ymin!r}")
    if graph.ymax is not None:
        args.append(f"--upper-limit={graph.ymax!r}")
    if graph.ymin is not None or graph.ymax is not None:
        args.append("--rigid")
    args += def_args(graph, files, (req.start, req.end))
    args += _drawing(graph)
    args += [f"GPRINT:{g.value}:{escape(g.format)}" for g in graph.gprints]
    return args


def xport_args(req: RenderRequest, files: Files, daemon: str | None = None) -> list[str]:
    """Arguments for ``rrdtool.xport(*args)`` exporting the drawn series of ``req``."""
    args = ["--start", str(req.start), "--end", str(req.end), "--maxrows", str(MAX_ROWS)]
    if daemon:
        args += ["--daemon", daemon]
    if req.step:
        args += ["--step", str(req.step)]
    graph = with_past(req.graph)
    args += def_args(graph, files, (req.start, req.end))
    args += [f"XPORT:{line.value}:{escape(column_label(line))}" for line in graph.exports]
    return args


def column_label(line: Line) -> str:
    return line.legend or line.value


def _clean_error(exc: Exception, files: Files) -> str:
    """rrdtool's message without the server's directory names."""
    message = str(exc) or "rrdtool failed without a message"
    for rel, path in files.items():
        message = message.replace(path, rel)
    return message


def render_args(req: RenderRequest, files: Files, daemon: str | None = None) -> list[str]:
    """Everything rrdtool is given for ``req``: :func:`graph_args` or :func:`xport_args`.

    With the format and the files' stamp they determine the answer, so they key the
    ETag and the render cache.
    """
    if req.format in IMAGE_FORMATS:
        return graph_args(req, files, daemon)
    return xport_args(req, files, daemon)


@dataclass(frozen=True)
class Job:
    """What a render worker needs to answer one request (small, picklable)."""

    format: str
    args: tuple[str, ...]
    columns: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    tz: str = ""


def make_job(req: RenderRequest, files: Files, args: Sequence[str]) -> Job:
    columns = tuple(column_label(line) for line in with_past(req.graph).exports)
    return Job(req.format, tuple(args), columns, tuple(files.items()), req.tz)


def render(req: RenderRequest, files: Files, args: Sequence[str]) -> Rendered:
    """Draw or export ``req`` with its :func:`render_args` in this process."""
    return draw(make_job(req, files, args))


def draw(job: Job) -> Rendered:
    """Run rrdtool for ``job``; its complaints become :class:`RenderError`.

    Not thread-safe for images (librrd's fonts): one call at a time per process.
    """
    try:
        if job.format in IMAGE_FORMATS:
            style.use_zone(job.tz)
            result = with_daemon(rrdtool.graphv, "-", *job.args)
            geometry = tuple(
                (header, str(result[key])) for key, header in GEOMETRY_HEADERS if key in result
            )
            return Rendered(bytes(result["image"]), FORMATS[job.format], geometry)
        data = with_daemon(rrdtool.xport, *job.args)
    except rrdtool.OperationalError as exc:
        raise RenderError(f"rrdtool: {_clean_error(exc, dict(job.files))}") from None
    columns = list(job.columns)
    meta = data["meta"]
    rows = table(int(meta["start"]), int(meta["step"]), data["data"])
    if job.format == "csv":
        return Rendered(to_csv(columns, rows, job.tz), FORMATS["csv"])
    return Rendered(to_json(int(meta["step"]), columns, rows), FORMATS["json"])


def estimated_work(req: RenderRequest) -> int:
    """About how many values rrdtool computes or reads for ``req`` (see :data:`MAX_WORK`).

    rrdtool computes every DEF and CDEF at the step of the archive it reads, between
    the finest and the coarsest of the schemas' archives, for about ``width`` rows
    (images) or :data:`MAX_ROWS` (CSV/JSON) over the range; a sliding window
    (PREDICT's shifts × window, TREND's window) reads window / step values per row.
    """
    span = max(req.end - req.start, 1)
    rows = req.width if req.format in IMAGE_FORMATS else MAX_ROWS
    step = min(max(span / rows, req.step or 0, FINEST_STEP), COARSEST_STEP)
    graph = req.graph
    ops, window = _graph_cost(graph.series, graph.cdefs)
    per_row = ops + window / step + len(graph.lines)
    # a comparison with the past (render.overlays) reads and computes everything twice
    return int(span / step * per_row) * (2 if graph.compare else 1)


def is_light(req: RenderRequest) -> bool:
    """Small enough to draw in the web process (milliseconds: no deadline needed), and
    in the web process's own zone (an image in another is drawn by a worker)."""
    if req.tz and req.format in IMAGE_FORMATS and not style.is_own_zone(req.tz):
        return False
    return req.width * req.height <= LIGHT_PIXELS and estimated_work(req) <= LIGHT_WORK


@functools.lru_cache(maxsize=512)
def _graph_cost(series: tuple[Series, ...], cdefs: tuple[Cdef, ...]) -> tuple[int, float]:
    names = {s.name for s in series} | {c.name for c in cdefs}
    costs = [rpn.cdef_cost(c.rpn, names) for c in cdefs]
    return len(series) + sum(c.ops for c in costs), sum(c.window_seconds for c in costs)


Row = tuple[int, list[float | None]]


def table(start: int, step: int, data: Sequence[Sequence[float | None]]) -> list[Row]:
    """xport rows with their timestamps: row i ends at ``start + (i + 1) * step``."""
    return [
        (start + (i + 1) * step, [v if v is not None and math.isfinite(v) else None for v in row])
        for i, row in enumerate(data)
    ]


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def to_csv(columns: list[str], rows: list[Row], zone: str = "") -> bytes:
    """Times in ISO 8601: UTC (``Z``), or with the offset of ``zone`` when given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["timestamp", *columns])
    for ts, values in rows:
        writer.writerow([style.iso_time(ts, zone), *map(format_number, values)])
    return out.getvalue().encode()


def to_json(step: int, columns: list[str], rows: list[Row]) -> bytes:
    body = {
        "start": rows[0][0] if rows else None,
        "end": rows[-1][0] if rows else None,
        "step": step,
        "columns": columns,
        "rows": [[ts, *values] for ts, values in rows],
    }
    return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()


# -- error images ----------------------------------------------------------------


def _wrap(message: str, width: int) -> list[str]:
    per_line = max(10, (width - 20) // 7)
    text = "".join(ch if ch.isprintable() else " " for ch in message).replace("\\", "/")
    lines = [text[i : i + per_line] for i in range(0, len(text), per_line)]
    return lines[:20]


def error_image(message: str, fmt: str) -> Rendered:
    """A small image (:data:`ERROR_SIZE`) stating ``message``, whatever size was asked.

    Cheap whoever asks: a few milliseconds for a new message, nothing for one seen
    lately (a refusal's text is always the same), and never a render worker.
    """
    return _error_image(message[:500], fmt)


@functools.lru_cache(maxsize=64)
def _error_image(message: str, fmt: str) -> Rendered:
    width, height = ERROR_SIZE
    if fmt == "svg":
        return Rendered(_error_svg(message, width, height), FORMATS["svg"])
    args = ["--imgformat", "PNG", "--width", str(width), "--height", str(height)]
    args += ["--full-size-mode", "--title=Error", "--start", "end-1h", "--end", "now"]
    args += ["--disable-rrdtool-tag", "--x-grid", "none", "--y-grid", "none", "HRULE:0#00000000"]
    args += [f"COMMENT:{escape(line)}\\l" for line in _wrap(message, width)[:6]]
    try:
        with GRAPH_LOCK:
            image = rrdtool.graphv("-", *args)["image"]
    except rrdtool.OperationalError:
        image = _blank_png(width, height)
    return Rendered(bytes(image), FORMATS["png"])


def _error_svg(message: str, width: int, height: int) -> bytes:
    lines = _wrap(message, width)
    texts = "".join(
        f'<text x="10" y="{40 + 16 * i}">{html_escape(line)}</text>' for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">'
        f'<rect width="100%" height="100%" fill="#fff0f0"/>'
        f'<text x="10" y="20" font-weight="bold">Error</text>{texts}</svg>'
    ).encode()


def _blank_png(width: int, height: int) -> bytes:
    """A plain pale red PNG, for when even rrdtool cannot draw the error."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff\xe0\xe0" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# -- raw rows and drawn value lists, for the Graphite API (web.graphite) -------------


@dataclass(frozen=True)
class Fetched:
    """``rrdtool fetch`` rows: row i ends at ``start + (i + 1) * step``."""

    start: int
    step: int
    names: tuple[str, ...]
    rows: list[tuple[float | None, ...]]


def fetch(path: str, start: int, end: int, daemon: str | None = None) -> Fetched:
    """The AVERAGE rows of one file between ``start`` and ``end`` (rrdtool picks the RRA)."""
    args = [path, "AVERAGE", "--start", str(start), "--end", str(end)]
    if daemon:
        args += ["--daemon", daemon]
    try:
        (first, _last, step), names, rows = with_daemon(rrdtool.fetch, *args)
    except rrdtool.OperationalError as exc:
        raise ReadFailed(f"rrdtool fetch: {exc}") from None
    return Fetched(int(first), int(step), tuple(names), list(rows))


# value lists become RRD files only to be drawn: in memory when /dev/shm is there
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def draw_lines(
    lines: Sequence[tuple[str, int, int, Sequence[float | None]]],
    start: int,
    end: int,
    width: int,
    height: int,
    title: str = "",
    options: Sequence[Mapping[str, Any]] | None = None,
) -> bytes:
    """A PNG of value lists ``(label, first timestamp, step, values)``.

    rrdtool draws only from RRD files, so each list goes into a temporary file of
    its own step first (one AVERAGE row per value: :mod:`.linefile`).
    ``options`` are each list's Graphite drawing options (colour, width, dashes,
    stacking, second axis: :mod:`.graphite_styles`).
    """
    styles = list(options) if options is not None else [{} for _ in lines]
    with tempfile.TemporaryDirectory(prefix="graphmetrics-draw-", dir=_SCRATCH) as tmp:
        args = ["--imgformat", "PNG", "--start", str(start), "--end", str(end)]
        args += ["--width", str(width), "--height", str(height), "--full-size-mode"]
        if title:
            args += ["--title", title]
        drawn: list[graphite_styles.Line] = []
        for i, (label, first, step, values) in enumerate(lines):
            path = str(Path(tmp) / f"s{i}.rrd")
            linefile.write(path, first, step, values)
            args.append(f"DEF:s{i}={escape(path)}:v:AVERAGE")
            drawn.append(graphite_styles.Line(f"s{i}", label, PALETTE[i % len(PALETTE)], styles[i]))
        factor = graphite_styles.right_axis_factor([v for *_, v in lines], styles)
        args += graphite_styles.elements(drawn, factor, escape)
        try:
            with GRAPH_LOCK:
                return bytes(rrdtool.graphv("-", *args)["image"])
        except rrdtool.OperationalError as exc:
            raise ReadFailed(f"rrdtool graph: {exc}") from None


def last_update(path: str, daemon: str | None = None) -> int:
    """When one file was last updated (``rrdtool last``: its header, not its mtime)."""
    args = [path, "--daemon", daemon] if daemon else [path]
    try:
        return int(rrdtool.last(*args))
    except rrdtool.OperationalError as exc:
        raise ReadFailed(f"rrdtool last: {exc}") from None


def file_info(path: str, daemon: str | None = None) -> dict[str, Any]:
    """``rrdtool info`` of one file (flushed through ``daemon`` first if given)."""
    args = [path, "--daemon", daemon] if daemon else [path]
    try:
        info: dict[str, Any] = with_daemon(rrdtool.info, *args)
    except rrdtool.OperationalError as exc:
        raise ReadFailed(f"rrdtool info: {exc}") from None
    return info


def data_sources(path: str, daemon: str | None = None) -> tuple[str, ...]:
    """The data source names of one file, sorted (from ``rrdtool info``)."""
    info = file_info(path, daemon)
    return tuple(sorted({key[3:].split("]")[0] for key in info if key.startswith("ds[")}))
