"""How a graph looks and in which time zone it is drawn, in rrdtool's own terms.

rrdtool has no time zone option: it labels the x-axis with ``localtime``, so a graph
is drawn in a zone by setting ``TZ`` in the process that draws it (:func:`use_zone`).
That is only safe in a single-threaded render worker: the web process never draws a
graph with a zone of its own (:func:`graphmetrics.render.graph.is_light`).
"""

from __future__ import annotations

import functools
import os
import time
import zoneinfo
from datetime import UTC, datetime

from graphmetrics.text import quoted

# the zone this process started in: graphs without a zone are drawn in it
_STARTED_IN = os.environ.get("TZ")


@functools.lru_cache(maxsize=1)
def zones() -> frozenset[str]:
    """Every IANA zone name of the system's tz database (read once)."""
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def zone_error(name: str) -> str | None:
    """Why ``name`` is not a zone a graph can be drawn in, or None."""
    if name not in zones():
        return f"unknown time zone {quoted(name)}; use an IANA name such as UTC or Europe/Paris"
    return None


def use_zone(name: str) -> None:
    """Make this process's ``localtime`` (and so rrdtool's axis) use zone ``name``
    ("" for the zone the process started in)."""
    wanted = name or _STARTED_IN
    if os.environ.get("TZ") == wanted:
        return
    if wanted is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = wanted
    time.tzset()


def iso_time(epoch: int, zone: str = "") -> str:
    """ISO 8601 of ``epoch``: in UTC with ``Z``, or in ``zone`` with its offset."""
    if not zone or zone == "UTC":
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(epoch, zoneinfo.ZoneInfo(zone)).isoformat(timespec="seconds")
