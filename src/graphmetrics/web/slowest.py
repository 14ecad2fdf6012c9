"""The slowest requests the tracelog collector stored (``collect/slowest_store.py``),
read for a time range of one instance or of a pool, and grouped by URL pattern.

Only instance names that pass :func:`valid_stem` (the collector's own name rule:
no ``/``, no ``..``) become paths, so no query can read a
file outside ``<rrd_dir>/slowest``.  The work is bounded: at most :data:`MAX_DAYS`
days and :data:`MAX_MINUTES` stored minutes are read per query (``truncated`` says
when the range held more), and at most ``limit`` requests are returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from graphmetrics.collect.slowest_store import instance_dir, read_lines
from graphmetrics.rrd.layout import parse_instance
from graphmetrics.tracelog.parser import valid_source_name
from graphmetrics.tracelog.slowest import describe_stored

#: the requests one answer lists by default, and at most
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
#: days of day files one query reads at most
MAX_DAYS: Final = 31
#: stored minutes one query reads at most (a minute is N requests)
MAX_MINUTES: Final = 200_000
#: URL patterns listed at most
MAX_PATTERNS: Final = 200
PLACEHOLDER: Final = "{id}"
_ID = re.compile(
    r"\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}",
    re.ASCII,
)


def url_pattern(url: str) -> str:
    """``url`` with every path segment that is a number or a hex id (8 hex digits or
    more with a digit among them, or a UUID) replaced by :data:`PLACEHOLDER`."""
    path, mark, query = url.partition("?")
    segments = [PLACEHOLDER if _ID.fullmatch(s) else s for s in path.split("/")]
    return "/".join(segments) + (mark + query if mark else "")


def valid_stem(stem: str) -> bool:
    """Whether ``stem`` is ``host__customer__instance`` with each part a source name as
    the collector accepts it (a letter or digit first; no ``/``): one path segment."""
    parts = parse_instance(stem)
    return parts is not None and all(valid_source_name(part) for part in parts)


@dataclass
class Found:
    """The stored minutes read for one query."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    minutes: int = 0
    #: lines that are not a stored minute (a torn write, a foreign line)
    unreadable: int = 0
    truncated: bool = False


def days_between(start: int, end: int) -> list[str]:
    """The UTC days of ``[start, end)``, at most :data:`MAX_DAYS` (the last ones)."""
    first = datetime.fromtimestamp(start, UTC).date()
    last = datetime.fromtimestamp(max(start, end - 1), UTC).date()
    count = min((last - first).days + 1, MAX_DAYS)
    return [(last - timedelta(days=n)).isoformat() for n in range(count - 1, -1, -1)]


def read_range(rrd_dir: Path, stems: list[str], start: int, end: int) -> Found:
    """Every stored request of ``stems`` in minutes starting in ``[start, end)``, each
    with its ``instance`` and minute ``t``."""
    found = Found()
    days = days_between(start, end)
    for stem in stems:
        if not valid_stem(stem):
            raise ValueError(f"bad instance name {stem[:80]!r}")
        folder = instance_dir(rrd_dir, stem)
        for day in days:
            for parsed in read_lines(folder / f"{day}.jsonl"):
                if parsed is None:
                    found.unreadable += 1
                    continue
                t, requests = parsed
                if not start <= t < end:
                    continue
                if found.minutes >= MAX_MINUTES:
                    found.truncated = True
                    return found
                found.minutes += 1
                for item in requests:
                    request = describe_stored(item)
                    if request is None:
                        found.unreadable += 1
                        continue
                    request["t"], request["instance"] = t, stem
                    found.requests.append(request)
    return found


def slowest(found: Found, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` slowest requests, slowest first (then by minute, instance, id)."""
    ordered = sorted(
        found.requests,
        key=lambda r: (-r["total"], r["t"], r["instance"], str(r.get("id", ""))),
    )
    return ordered[:limit]


def patterns(found: Found) -> list[dict[str, Any]]:
    """The requests grouped by method and URL pattern: count, max and total seconds,
    the largest total time first."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for request in found.requests:
        method = str(request.get("method") or "")
        pattern = url_pattern(str(request.get("url") or ""))
        group = groups.get((method, pattern))
        if group is None:
            group = groups[(method, pattern)] = {
                "method": method,
                "pattern": pattern,
                "count": 0,
                "max": 0.0,
                "total": 0.0,
            }
        seconds = float(request["total"])
        group["count"] += 1
        group["max"] = max(group["max"], seconds)
        group["total"] += seconds
    ordered = sorted(groups.values(), key=lambda g: (-g["total"], g["method"], g["pattern"]))
    for group in ordered:
        group["total"] = round(group["total"], 6)
    return ordered[:MAX_PATTERNS]
