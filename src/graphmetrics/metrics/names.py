"""Metric name → RRD path (docs/inputs.md, "Name → file"); pure, no file system access.

``//host.example/cfg/section#metric`` becomes ``host.example/cfg/section/metric``:
the leading ``//`` is stripped, ``#`` becomes ``/`` and ``:`` becomes ``..``.  Every
segment of the result must be a usable, harmless file name, so a name can never
reach outside ``<rrd_dir>/metrics/`` whatever the producer sends.
"""

from __future__ import annotations

METRICS_DIR = "metrics"

#: Longest segment in bytes: the file system allows 255, and the store adds ``.rrd``
#: plus a temporary-file prefix/suffix while creating.
MAX_SEGMENT_BYTES = 200
MAX_PATH_BYTES = 1024


class BadMetricName(ValueError):
    """A metric name that cannot be turned into a safe RRD path; the message says why."""


def metric_path(name: str) -> str:
    """The path of ``name`` relative to ``<rrd_dir>/metrics/``, without ``.rrd``."""
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


def rrd_relative(name: str) -> str:
    """The store's relative path (``metrics/...``, without ``.rrd``) for ``name``."""
    return f"{METRICS_DIR}/{metric_path(name)}"
