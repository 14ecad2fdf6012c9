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


@functools.lru_cache(maxsize=1)
def _own_zone() -> str:
    """The IANA name of the zone this process started in ("" when unknown)."""
    if _STARTED_IN is not None:
        return _STARTED_IN.removeprefix(":") or "UTC"  # glibc reads TZ="" as UTC
    target = os.path.realpath("/etc/localtime")
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


_UTC_NAMES = frozenset(("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal",
                        "Etc/Zulu", "Zulu", "Etc/GMT", "GMT", "Etc/GMT0", "GMT0"))  # fmt: skip


def is_own_zone(name: str) -> bool:
    """``name`` is the zone the process started in: a graph in it needs no TZ change, so
    the web process may draw it itself."""
    own = _own_zone()
    return bool(name) and (name == own or (name in _UTC_NAMES and own in _UTC_NAMES))


def use_zone(name: str) -> None:
    """Make this process's ``localtime`` (and so rrdtool's axis) use zone ``name``
    ("" or the process's own zone: the zone the process started in)."""
    wanted = _STARTED_IN if not name or is_own_zone(name) else name
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


# -- themes: rrdtool's own colour, font and grid options ------------------------------

#: ``--color`` tags per theme; "classic" is rrdtool's look, given no option at all.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "BACK": "#ffffff", "CANVAS": "#ffffff", "SHADEA": "#ffffff", "SHADEB": "#ffffff",
        "GRID": "#e9ecef", "MGRID": "#ced4da", "FONT": "#343a40", "AXIS": "#adb5bd",
        "FRAME": "#adb5bd", "ARROW": "#ffffff",
    },
    "dark": {
        "BACK": "#181b1f", "CANVAS": "#181b1f", "SHADEA": "#181b1f", "SHADEB": "#181b1f",
        "GRID": "#2c3035", "MGRID": "#41474e", "FONT": "#ccccdc", "AXIS": "#5a6068",
        "FRAME": "#5a6068", "ARROW": "#181b1f",
    },
}  # fmt: skip
THEME_NAMES = ("classic", *THEMES)
FONT = "DejaVu Sans"


def theme_args(theme: str) -> list[str]:
    """rrdtool options drawing ``theme`` ("" or "classic": rrdtool's defaults): flat
    colours, a sans-serif font, solid grid lines, no border or watermark, smooth slopes."""
    colors = THEMES.get(theme)
    if colors is None:
        return []
    args = [f"--color={tag}{value}" for tag, value in colors.items()]
    args += [f"--font=DEFAULT:8:{FONT}", f"--font=TITLE:10:{FONT}", f"--font=AXIS:7:{FONT}"]
    args += [f"--font=LEGEND:8:{FONT}", "--grid-dash=1:0", "--border=0"]
    return [*args, "--disable-rrdtool-tag", "--slope-mode", "--dynamic-labels"]


def number_args(logarithmic: bool, si: bool, decimals: int | None) -> list[str]:
    """How the y-axis writes numbers: SI prefixes (``k``, ``m``, ``u``) unless ``si`` is
    false; a log axis in plain or SI numbers rather than ``5e+02``; fixed decimals."""
    args = []
    if logarithmic:
        args.append("--units=si")
    elif not si:
        args.append("--units-exponent=0")
    if decimals is not None and not logarithmic:
        args.append(f"--left-axis-format=%.{decimals}lf")
    return args


def value_format(si: bool, decimals: int | None, unit: str) -> str:
    """A GPRINT format for one legend value: 2 decimals unless told, an SI prefix only
    when ``si`` (a count of 0.5 is "0.50", not "500.00m"), then the unit."""
    text = f"%.{2 if decimals is None else decimals}lf"
    if si:
        text += "%s"
    if unit:
        text += " " + unit.replace("%", "%%")
    return text
