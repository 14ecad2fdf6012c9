"""The full form's JSON graph definition, and the typed readers both request forms share.

:func:`parse_graph` turns the decoded ``graph=`` JSON object into a
:class:`~graphmetrics.render.graph.Graph`; the format is documented with the query
parameters in :mod:`graphmetrics.web.graphdef`, which also parses the simple
``series=`` form with :func:`series_defs` and :func:`axis_options`.  Pure, like the
rest of the parsing; every error is a :class:`GraphDefError` whose message starts
with the parameter at fault (``graph.lines[1].color: ...``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from graphmetrics.render import rpn
from graphmetrics.render.graph import TRACELOG_VIRTUAL, Cdef, Gprint, Graph, Line, Series
from graphmetrics.rrd.layout import PALETTE, TRACELOG_DIR
from graphmetrics.text import quoted

CONSOLIDATIONS = ("AVERAGE", "MAX", "MIN", "LAST")
LINE_TYPES = ("LINE", "AREA", "HRULE", "TICK")
# A fleet-wide total reads a few hundred files; past this a graph is refused with a
# message saying so (every DEF is a file rrdtool opens for each drawing).
MAX_SERIES = 500
# aggregate -> RPN operator folding two values, unknowns ignored (as ADDNAN does)
AGGREGATES = {"TOTAL": "ADDNAN", "MIN": "MINNAN", "MAX": "MAXNAN", "AVERAGE": "AVG"}
MAX_COMPARE = 366 * 86400
MAX_CDEFS = 50
MAX_VDEFS = 20
MAX_LINES = 100
MAX_TEXT = 200
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_DS_RE = re.compile(r"[A-Za-z0-9_]{1,19}")
_COLOR_RE = re.compile(r"#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")
_PATH_BAD = re.compile(r"[\x00-\x1f\x7f:\\]")
# an empty, "." or ".." segment (a leading or doubled "/" makes an empty one)
_SEGMENT_BAD = re.compile(r"(?:^|/)\.{0,2}(?:/|$)")
_TEXT_BAD = re.compile(r"[\x00-\x1f\x7f\\]")
_GPRINT_PERCENT = re.compile(r"%(?:%|[sS]|[-+ 0#]{0,3}\d{0,3}(?:\.\d{1,3})?l[fFeEgG]|)")


class GraphDefError(ValueError):
    """A request parameter that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


# -- small typed readers -----------------------------------------------------------


def _text(param: str, value: Any, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise GraphDefError(param, f"must be a string, got {quoted(value)}")
    if len(value) > limit:
        raise GraphDefError(param, f"longer than {limit} characters")
    if _TEXT_BAD.search(value):
        raise GraphDefError(param, "must not contain control characters or backslashes")
    _no_surrogates(param, value)
    return value


def _no_surrogates(param: str, value: str) -> None:
    """Refuse a lone surrogate (JSON's ``"\\ud800"``): it has no UTF-8 form."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise GraphDefError(param, "contains a lone surrogate (not a character)") from None


def read_number(param: str, value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise GraphDefError(param, f"must be a number, got {quoted(value)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GraphDefError(param, f"must be a finite number, got {quoted(value)}")
    return float(value)


def read_int(param: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise GraphDefError(param, f"must be an integer, got {quoted(text)}") from None
    if not low <= value <= high:
        raise GraphDefError(param, f"must be between {low} and {high}, got {value}")
    return value


def read_bool(param: str, value: Any) -> bool:
    """A query parameter or JSON value that is true or false (``1``/``0``, yes/no...)."""
    return _bool(param, value)


def _bool(param: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.lower() if isinstance(value, str) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise GraphDefError(param, f"must be true or false, got {quoted(value)}")


# rrdtool 1.7 reads ``DEF:start=...`` as the DEF's start= option, not as a name
DEF_KEYS = frozenset(("rrd", "vname", "ds", "cf", "step", "start", "end", "reduce", "daemon",
                      "dashes"))  # fmt: skip


def _name(param: str, value: Any) -> str:
    try:
        name = rpn.check_name(value)
    except rpn.RPNError as exc:
        raise GraphDefError(param, str(exc)) from None
    if name in DEF_KEYS:
        raise GraphDefError(
            param, f"bad variable name {quoted(name)}: rrdtool takes it for an option"
        )
    return name


def _object(param: str, value: Any, allowed: Iterable[str], required: Iterable[str]) -> dict:
    if not isinstance(value, dict):
        raise GraphDefError(param, f"must be a JSON object, got {type(value).__name__}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise GraphDefError(f"{param}.{unknown[0]}", f"unknown key; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise GraphDefError(f"{param}.{key}", "is required")
    return value


def _list(param: str, value: Any, limit: int) -> list:
    if not isinstance(value, list):
        raise GraphDefError(param, "must be a JSON list")
    if len(value) > limit:
        raise GraphDefError(param, f"at most {limit} entries, got {len(value)}")
    return value


# -- graph pieces ------------------------------------------------------------------


def parse_series_path(param: str, path: Any) -> str:
    """An RRD path relative to the RRD directory, without ``.rrd``; no tricks."""
    if not isinstance(path, str) or not path or len(path) > 1000:
        raise GraphDefError(param, "must be a non-empty RRD path of at most 1000 characters")
    if _PATH_BAD.search(path):
        raise GraphDefError(param, f"bad character in RRD path {quoted(path)}")
    if _SEGMENT_BAD.search(path):
        raise GraphDefError(param, f"RRD path {quoted(path)} has an empty, '.' or '..' segment")
    _no_surrogates(param, path)
    return path


def series_defs(
    param: str, name: str, path: Any, ds: Any, cf: Any
) -> tuple[list[Series], list[Cdef]]:
    path = parse_series_path(f"{param}.path", path)
    if not isinstance(ds, str) or not _DS_RE.fullmatch(ds):
        raise GraphDefError(f"{param}.ds", f"bad DS name {quoted(ds)}")
    if cf not in CONSOLIDATIONS:
        raise GraphDefError(
            f"{param}.cf", f"must be one of {', '.join(CONSOLIDATIONS)}, got {quoted(cf)}"
        )
    if ds in TRACELOG_VIRTUAL and path.startswith(f"{TRACELOG_DIR}/"):
        needs, template = TRACELOG_VIRTUAL[ds]
        parts = {need: f"{name}__{need}" for need in needs}
        defs = [Series(parts[need], path, need, cf) for need in needs]
        return defs, [Cdef(name, template.format(**parts))]
    return [Series(name, path, ds, cf)], []


def _line(param: str, raw: Any, index: int, drawable: set[str], vdefs: set[str]) -> Line:
    keys = ("value", "type", "width", "color", "legend", "dash", "stack", "fraction")
    raw = _object(param, raw, keys, ("value",))
    kind = raw.get("type", "LINE")
    if kind not in LINE_TYPES:
        raise GraphDefError(f"{param}.type", f"must be one of {', '.join(LINE_TYPES)}")
    value = raw["value"]
    if kind == "HRULE":
        if value not in vdefs:
            if isinstance(value, str) and not rpn.NUMBER_RE.fullmatch(value):
                raise GraphDefError(
                    f"{param}.value", f"{quoted(value)} is neither a vdef name nor a number"
                )
            value = repr(read_number(f"{param}.value", value))
    elif value not in drawable:
        raise GraphDefError(f"{param}.value", f"{quoted(value)} is not a series or cdef name")
    color = raw.get("color", PALETTE[index % len(PALETTE)])
    if not isinstance(color, str) or not _COLOR_RE.fullmatch(color):
        raise GraphDefError(
            f"{param}.color", f"must be '#rrggbb' or '#rrggbbaa', got {quoted(color)}"
        )
    width = read_number(f"{param}.width", raw.get("width", 1))
    if not 0.1 <= width <= 20:
        raise GraphDefError(f"{param}.width", "must be between 0.1 and 20")
    dash = raw.get("dash", False)
    dashes: tuple[int, ...] | None = None
    if dash is True:
        dashes = (5, 5)
    elif isinstance(dash, list) and 1 <= len(dash) <= 8:
        dashes = tuple(read_int(f"{param}.dash", d, 1, 100) for d in dash)
    elif dash is not False and dash is not None:
        raise GraphDefError(f"{param}.dash", "must be true, false or a list of 1..8 lengths")
    if dashes and kind in ("AREA", "TICK"):
        raise GraphDefError(f"{param}.dash", "only LINE and HRULE can be dashed")
    stack = _bool(f"{param}.stack", raw.get("stack", False))
    if stack and kind in ("HRULE", "TICK"):
        raise GraphDefError(f"{param}.stack", f"a {kind} cannot be stacked")
    fraction = raw.get("fraction")
    fraction = 1.0 if fraction is None else read_number(f"{param}.fraction", fraction)
    if not 0 < fraction <= 1:
        raise GraphDefError(f"{param}.fraction", "must be above 0 and at most 1")
    legend = _text(f"{param}.legend", raw.get("legend", ""))
    return Line(str(value), kind, width, color.lower(), legend, dashes, stack, fraction)


def _gprint(param: str, raw: Any, vdefs: set[str]) -> Gprint:
    raw = _object(param, raw, ("value", "format"), ("value", "format"))
    if raw["value"] not in vdefs:
        raise GraphDefError(f"{param}.value", f"{quoted(raw['value'])} is not a vdef name")
    fmt = _text(f"{param}.format", raw["format"])
    conversions = _GPRINT_PERCENT.findall(fmt)
    values = [c for c in conversions if c.endswith(("f", "F", "e", "E", "g", "G"))]
    if (
        len(values) != 1
        or "%" in conversions
        or len([c for c in conversions if c in ("%s", "%S")]) > 1
    ):
        raise GraphDefError(
            f"{param}.format", "needs exactly one %lf/%le/%lg, optionally one %s, and %% for '%'"
        )
    return Gprint(raw["value"], fmt)


def parse_graph(raw: Any, param: str = "graph") -> Graph:
    """The full form's JSON object (already decoded) as a :class:`Graph`."""
    keys = ("title", "vlabel", "logarithmic", "ymin", "ymax", "series", "cdefs", "vdefs",
            "lines", "gprints", "compare", "legend_values", "unit", "decimals", "si")  # fmt: skip
    raw = _object(param, raw, keys, ("series",))
    names: set[str] = set()

    def new_name(where: str, value: Any) -> str:
        name = _name(where, value)
        if name in names:
            raise GraphDefError(where, f"duplicate name {quoted(name)}")
        names.add(name)
        return name

    series: list[Series] = []
    cdefs: list[Cdef] = []
    raw_series = raw["series"]
    if isinstance(raw_series, list) and len(raw_series) > MAX_SERIES:
        raise GraphDefError(
            f"{param}.series",
            f"{len(raw_series)} series, a graph reads at most {MAX_SERIES}: "
            "narrow the search or split the series over several graphs",
        )
    raw_series = _list(f"{param}.series", raw_series, MAX_SERIES)
    if not raw_series:
        raise GraphDefError(f"{param}.series", "needs at least one series")
    for i, item in enumerate(raw_series):
        where = f"{param}.series[{i}]"
        item = _object(where, item, ("name", "path", "ds", "cf"), ("name", "path", "ds"))
        name = new_name(f"{where}.name", item["name"])
        defs, extra = series_defs(where, name, item["path"], item["ds"], item.get("cf", "AVERAGE"))
        for d in defs:
            if d.name != name:
                new_name(f"{where}.name", d.name)
        series += defs
        cdefs += extra
    drawable = set(names)
    for i, item in enumerate(_list(f"{param}.cdefs", raw.get("cdefs", []), MAX_CDEFS)):
        where = f"{param}.cdefs[{i}]"
        item = _object(where, item, ("name", "rpn", "aggregate", "of"), ("name",))
        known = set(names)
        name = new_name(f"{where}.name", item["name"])
        if "aggregate" in item or "of" in item:
            cdefs.append(Cdef(name, _aggregate(where, item, drawable)))
        else:
            if "rpn" not in item:
                raise GraphDefError(f"{where}.rpn", "is required (or aggregate and of)")
            try:
                rpn.validate_cdef(item["rpn"], known)
            except rpn.RPNError as exc:
                raise GraphDefError(f"{where}.rpn", str(exc)) from None
            cdefs.append(Cdef(name, item["rpn"]))
        drawable.add(name)
    vdefs: list[Cdef] = []
    for i, item in enumerate(_list(f"{param}.vdefs", raw.get("vdefs", []), MAX_VDEFS)):
        where = f"{param}.vdefs[{i}]"
        item = _object(where, item, ("name", "rpn"), ("name", "rpn"))
        name = new_name(f"{where}.name", item["name"])
        try:
            rpn.validate_vdef(item["rpn"], drawable)
        except rpn.RPNError as exc:
            raise GraphDefError(f"{where}.rpn", str(exc)) from None
        vdefs.append(Cdef(name, item["rpn"]))
    vdef_names = {v.name for v in vdefs}
    raw_lines = _list(f"{param}.lines", raw.get("lines", []), MAX_LINES)
    lines = [
        _line(f"{param}.lines[{i}]", item, i, drawable, vdef_names)
        for i, item in enumerate(raw_lines)
    ]
    if not lines:
        top = [item["name"] for item in raw_series]
        lines = [
            Line(name, color=PALETTE[i % len(PALETTE)], legend=name) for i, name in enumerate(top)
        ]
    gprints = [
        _gprint(f"{param}.gprints[{i}]", item, vdef_names)
        for i, item in enumerate(_list(f"{param}.gprints", raw.get("gprints", []), MAX_LINES))
    ]
    compare = raw.get("compare") or 0
    if compare:
        compare = read_int(f"{param}.compare", str(compare), 60, MAX_COMPARE)
    return Graph(
        tuple(series), tuple(cdefs), tuple(vdefs), tuple(lines), tuple(gprints),
        **axis_options(f"{param}.", raw),
        compare=compare,
        legend_values=_bool(f"{param}.legend_values", raw.get("legend_values", False)),
        **number_options(f"{param}.", raw),
    )  # fmt: skip


def number_options(prefix: str, raw: dict[str, Any]) -> dict[str, Any]:
    """How numbers are written: ``unit`` text, ``decimals`` (0..6), ``si`` prefixes."""
    decimals = raw.get("decimals")
    if decimals is not None and decimals != "":
        decimals = read_int(f"{prefix}decimals", str(decimals), 0, 6)
    else:
        decimals = None
    return {
        "unit": _text(f"{prefix}unit", raw.get("unit", ""), 20),
        "decimals": decimals,
        "si": _bool(f"{prefix}si", raw.get("si", True)),
    }


def _aggregate(param: str, item: dict[str, Any], drawable: set[str]) -> str:
    """The RPN of ``{"aggregate": "TOTAL", "of": [names]}``: unknown values are left
    out (a total of known values, as the original's ``ADDNAN``), unknown only when
    every value is."""
    kind = item.get("aggregate")
    if kind not in AGGREGATES:
        raise GraphDefError(f"{param}.aggregate", f"must be one of {', '.join(AGGREGATES)}")
    of = item.get("of")
    if not isinstance(of, list) or not of:
        raise GraphDefError(f"{param}.of", "must be a non-empty list of series or cdef names")
    if len(of) > MAX_SERIES:
        raise GraphDefError(f"{param}.of", f"at most {MAX_SERIES} names, got {len(of)}")
    for i, name in enumerate(of):
        if not isinstance(name, str) or name not in drawable:
            raise GraphDefError(f"{param}.of[{i}]", f"{name!r} is not an earlier series or cdef")
    if kind == "AVERAGE":
        return ",".join([*of, str(len(of)), "AVG"])
    operator = AGGREGATES[kind]
    return ",".join([of[0], *(f"{name},{operator}" for name in of[1:])])


def axis_options(prefix: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Title, axis label and y-axis options, checked together."""
    ymin = _optional_number(f"{prefix}ymin", raw.get("ymin"))
    ymax = _optional_number(f"{prefix}ymax", raw.get("ymax"))
    if ymin is not None and ymax is not None and ymin >= ymax:
        raise GraphDefError(f"{prefix}ymax", "must be greater than ymin")
    logarithmic = _bool(f"{prefix}logarithmic", raw.get("logarithmic", False))
    if logarithmic and ymin is not None and ymin <= 0:
        raise GraphDefError(f"{prefix}ymin", "must be > 0 on a logarithmic axis")
    return {
        "title": _text(f"{prefix}title", raw.get("title", "")),
        "vlabel": _text(f"{prefix}vlabel", raw.get("vlabel", "")),
        "logarithmic": logarithmic,
        "ymin": ymin,
        "ymax": ymax,
    }


def _optional_number(param: str, value: Any) -> float | None:
    return None if value is None or value == "" else read_number(param, value)
