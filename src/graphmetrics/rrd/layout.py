"""The on-disk layout of the RRD directory, in one place (docs/storage.md).

``<rrd_dir>/tracelog/<host>__<customer>__<instance>.rrd``,
``<rrd_dir>/metrics/<metric path>.rrd``, ``<rrd_dir>/carbon/<dotted name as
folders>.rrd`` and ``<rrd_dir>/pool/<customer>.rrd``: which kinds of files exist, their schema
and folder, how tracelog instance names are built and parsed, how a series path is
checked before it touches the file system, and the colours lines are drawn in.
Pure: no file system access at import or in the naming functions; only
:func:`resolve_inside` and :func:`real_inside` look at the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from graphmetrics.rrd.schema import CARBON, METRICS, POOL, TRACELOG, Schema

RRD_SUFFIX = ".rrd"
#: Between host, customer and instance in a tracelog instance name; a source name
#: containing it could not be parsed back, so it is refused (tracelog/parser.py).
INSTANCE_SEP = "__"


@dataclass(frozen=True)
class Kind:
    """A kind of RRD file: its folder under the RRD directory and its schema."""

    name: str
    schema: Schema

    @property
    def folder(self) -> str:
        return self.name

    def relative(self, stem: str) -> str:
        """The series path (relative to the RRD directory, no ``.rrd``) of ``stem``."""
        return f"{self.folder}/{stem}"


TRACELOG_KIND = Kind("tracelog", TRACELOG)
METRICS_KIND = Kind("metrics", METRICS)
#: ``graphmetrics-carbon``'s files; their schema is the default one, a file's own
#: comes from storage-schemas.conf when it is created.
CARBON_KIND = Kind("carbon", CARBON)
#: A customer's tracelog pool, ``pool/<customer>`` (tracelog/pools.py).
POOL_KIND = Kind("pool", POOL)
#: Every kind, by name: a series path must start with one of these folders.
KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (TRACELOG_KIND, METRICS_KIND, CARBON_KIND, POOL_KIND)
}
TRACELOG_DIR = TRACELOG_KIND.folder
METRICS_DIR = METRICS_KIND.folder
CARBON_DIR = CARBON_KIND.folder
POOL_DIR = POOL_KIND.folder


def kind_of(relative: str) -> Kind | None:
    """The kind whose folder ``relative`` (a series path) is in, or None."""
    return KINDS.get(relative.split("/", 1)[0])


# --- tracelog instance names -------------------------------------------------------


class InstanceName(NamedTuple):
    host: str
    customer: str
    name: str


def instance_name(host: str, customer: str, name: str) -> str:
    """``host__customer__name``: the stem of an instance's RRD file."""
    return f"{host}{INSTANCE_SEP}{customer}{INSTANCE_SEP}{name}"


def parse_instance(stem: str) -> InstanceName | None:
    """(host, customer, name) of an instance stem, or None if it is not one."""
    parts = stem.split(INSTANCE_SEP)
    if len(parts) != 3 or not all(parts):
        return None
    return InstanceName(*parts)


def instance_host(instance: str) -> str:
    """The host part of an instance name."""
    return instance.split(INSTANCE_SEP, 1)[0]


def tracelog_relative(instance: str) -> str:
    """The series path of an instance (``tracelog/host__customer__name``)."""
    return TRACELOG_KIND.relative(instance)


def pool_relative(customer: str) -> str:
    """The series path of a customer's pool (``pool/<customer>``)."""
    return POOL_KIND.relative(customer)


def tracelog_instance(relative: str) -> str:
    """The instance name of a tracelog series path (inverse of :func:`tracelog_relative`)."""
    return relative.removeprefix(f"{TRACELOG_DIR}/")


# --- metric names ----------------------------------------------------------------

#: Longest segment in bytes: the file system allows 255, and the store adds ``.rrd``
#: plus a temporary-file prefix/suffix while creating.
MAX_SEGMENT_BYTES = 200
MAX_PATH_BYTES = 1024


class BadMetricName(ValueError):
    """A metric name that cannot be turned into a safe RRD path; the message says why."""


def metric_path(name: str) -> str:
    """The path of ``name`` relative to ``<rrd_dir>/metrics/``, without ``.rrd``.

    ``//host.example/cfg/section#metric`` becomes ``host.example/cfg/section/metric``:
    the leading ``//`` is stripped, ``#`` becomes ``/`` and ``:`` becomes ``..``.  Every
    segment must be a usable, harmless file name, so a name can never reach outside
    ``<rrd_dir>/metrics/`` whatever the producer sends (docs/inputs.md, "Name → file").
    """
    if not isinstance(name, str) or not name:
        raise BadMetricName("empty name")
    path = name.removeprefix("//").replace("#", "/").replace(":", "..")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise BadMetricName(f"name longer than {MAX_PATH_BYTES} bytes")
    for segment in path.split("/"):
        _check_segment(segment)
    return path


def _check_segment(segment: str) -> None:
    if segment in ("", ".", ".."):
        raise BadMetricName(f"path segment {segment!r} is empty, '.' or '..'")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in segment):
        raise BadMetricName("control character (NUL, newline, ...) in name")
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadMetricName("name is not valid Unicode (lone surrogate)") from exc
    if size > MAX_SEGMENT_BYTES:
        raise BadMetricName(f"path segment longer than {MAX_SEGMENT_BYTES} bytes")


def metric_relative(name: str) -> str:
    """The series path (``metrics/...``, without ``.rrd``) of metric ``name``."""
    return METRICS_KIND.relative(metric_path(name))


# --- carbon names ----------------------------------------------------------------


def carbon_path(name: str) -> str:
    """The path of a carbon metric name relative to ``<rrd_dir>/carbon/``, without ``.rrd``.

    Graphite's own mapping, as carbon's whisper tree has it: every ``.`` separates a
    folder, so ``servers.web1.cpu.user`` is ``servers/web1/cpu/user``, and the Graphite
    API shows that file as ``servers.web1.cpu.user`` again (no kind prefix).  A tagged
    name ``cpu.user;host=web1;dc=eu`` is kept whole in canonical form (tags sorted by
    key, as graphite-web's ``TaggedSeries`` does): ``cpu/user;dc=eu;host=web1``.
    Refused (:class:`BadMetricName`): empty segments (``a..b``, a leading or trailing
    dot), ``/``, white space or control characters, a segment or name over the
    length limits, a tag without ``key=value`` (docs/inputs.md, "Carbon names").
    """
    if not isinstance(name, str) or not name:
        raise BadMetricName("empty name")
    if "/" in name:
        raise BadMetricName("'/' in name")
    if any(ch.isspace() for ch in name):
        raise BadMetricName("white space in name")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise BadMetricName(f"name longer than {MAX_PATH_BYTES} bytes")
    base, sep, tag_text = name.partition(";")
    segments = base.split(".")
    if sep:
        segments[-1] += ";" + canonical_tags(tag_text)
    for segment in segments:
        _check_segment(segment)
    return "/".join(segments)


def canonical_tags(text: str) -> str:
    """``b=2;a=1`` → ``a=1;b=2``: tags sorted by key, the last of a repeated key kept."""
    tags: dict[str, str] = {}
    for tag in text.split(";"):
        key, eq, value = tag.partition("=")
        if not key or not eq or not value:
            raise BadMetricName(f"tag {tag[:40]!r} is not key=value")
        tags[key] = value
    return ";".join(f"{key}={tags[key]}" for key in sorted(tags))


def carbon_relative(name: str) -> str:
    """The series path (``carbon/...``, without ``.rrd``) of carbon metric ``name``."""
    return CARBON_KIND.relative(carbon_path(name))


def carbon_name(relative: str) -> str:
    """The carbon metric name of a ``carbon/...`` series path (inverse of
    :func:`carbon_relative`)."""
    return relative.removeprefix(f"{CARBON_DIR}/").replace("/", ".")


# --- path safety ---------------------------------------------------------------------


class UnsafePath(ValueError):
    """A series path that could lead outside the RRD directory; the message says why."""


def check_relative(relative: str) -> list[str]:
    """The segments of ``relative``; refuses an absolute path, NUL and empty/./.. segments.

    The one syntactic rule every path built from outside input passes before it is
    joined to the RRD directory; :func:`real_inside` then checks where symlinks lead.
    """
    if not relative or "\x00" in relative or relative.startswith("/"):
        raise UnsafePath(f"bad RRD path {relative!r}")
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafePath(f"bad RRD path {relative!r}: empty, '.' or '..' segment")
    return parts


def real_inside(real_base: str, real_path: str) -> bool:
    """Whether ``real_path`` is strictly inside ``real_base`` (both already realpath'd)."""
    return real_path.startswith(real_base.rstrip(os.sep) + os.sep)


def resolve_inside(root: Path | str, relative: str) -> Path:
    """``root/relative`` with symlinks followed, refused unless strictly inside ``root``."""
    check_relative(relative)
    # os.path.realpath on strings: pathlib's resolve() costs several times more, and
    # this runs once per file per store.
    base = os.path.realpath(root)
    path = os.path.realpath(os.path.join(base, relative))
    if not real_inside(base, path):
        raise UnsafePath(f"RRD path {relative!r} leaves {base}")
    return Path(path)


# --- colours -------------------------------------------------------------------------

#: The colours lines without one of their own are drawn in, the ``i``-th line in
#: ``PALETTE[i % len(PALETTE)]``; the browser gets it in the page config (``palette``).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip

BLUE, ORANGE, GREEN, RED, PURPLE = PALETTE[:5]

#: The tracelog graphs' order: requests, errors, backlog, est. max rpm are blue, red,
#: orange, green on an instance graph, and instances compared follow the same order.
TRACELOG_PALETTE: tuple[str, ...] = (BLUE, RED, ORANGE, GREEN, *PALETTE[4:])
#: Restarts: crimson ticks that stand out on the light and the dark theme.
RESTART_COLOR = "#d6336cd9"


def palette_color(index: int, palette: tuple[str, ...] = PALETTE) -> str:
    """The colour of the ``index``-th line."""
    return palette[index % len(palette)]
