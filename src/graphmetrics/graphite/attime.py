"""Graphite's ``from``/``until`` syntax (graphite-web's ``attime.py``), to epoch seconds.

``-1h``, ``now-1d``, ``-2hours``, an epoch, ``HH:MM_YYYYMMDD``, ``YYYYMMDD``,
``MM/DD/YY``, ``yesterday``/``today``/``tomorrow``, ``noon``/``midnight``/``teatime``,
``6pm``, month names (``jan15``) and weekday names (``monday``), each optionally
followed by ``+``/``-`` offsets (``s``, ``min``, ``h``, ``d``, ``w``, ``mon`` = 30 d,
``y`` = 365 d).  Wall-clock references are read in ``tz`` (UTC by default).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
UTC_ZONE = ZoneInfo("UTC")


class TimeError(ValueError):
    pass


def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE  # graphite-web ignores an unknown tz too


def parse_offset(offset: str) -> int:
    """Seconds of ``-1h30min``, ``+2d``, ``1w`` (no sign: positive)."""
    if not offset:
        return 0
    sign = 1
    if offset[0] in "+-":
        sign = -1 if offset[0] == "-" else 1
        offset = offset[1:]
    elif not offset[0].isdigit():
        raise TimeError(f"invalid offset: {offset!r}")
    total = 0
    while offset:
        i = 0
        while i < len(offset) and offset[i].isdigit():
            i += 1
        if i == 0:
            raise TimeError(f"invalid offset: {offset!r}")
        number, offset = int(offset[:i]), offset[i:]
        i = 0
        while i < len(offset) and offset[i].isalpha():
            i += 1
        unit, offset = offset[:i], offset[i:]
        total += number * _unit_seconds(unit)
    return sign * total


def _unit_seconds(unit: str) -> int:
    if unit.startswith("s"):
        return 1
    if unit.startswith("min"):
        return 60
    if unit.startswith("h"):
        return 3600
    if unit.startswith("d"):
        return 86400
    if unit.startswith("w"):
        return 7 * 86400
    if unit.startswith("mon"):
        return 30 * 86400
    if unit.startswith("y"):
        return 365 * 86400
    raise TimeError(f"invalid offset unit {unit!r}")


def parse_attime(text: str, now: int, tz: tzinfo = UTC_ZONE) -> int:
    """Epoch seconds of a Graphite time; ``now`` is the request's clock."""
    s = text.strip().lower().replace("_", "").replace(",", "").replace(" ", "")
    if not s:
        raise TimeError("empty time")
    if s.isdigit() and not (
        len(s) == 8 and int(s[:4]) > 1900 and int(s[4:6]) < 13 and int(s[6:]) < 32
    ):
        return int(s)
    if "+" in s:
        ref, offset = s.split("+", 1)
        offset = "+" + offset
    elif "-" in s:
        ref, offset = s.split("-", 1)
        offset = "-" + offset
    else:
        ref, offset = s, ""
    return _reference(ref, now, tz) + parse_offset(offset)


def _reference(ref: str, now: int, tz: tzinfo) -> int:
    if not ref or ref == "now":
        return now
    raw = ref
    hour = minute = 0
    i = ref.find(":")
    if 0 < i < 3:
        hour, minute = int(ref[:i]), int(ref[i + 1 : i + 3])
        ref = ref[i + 3 :]
        if ref[:2] == "am":
            ref = ref[2:]
        elif ref[:2] == "pm":
            hour = (hour + 12) % 24
            ref = ref[2:]
    i = ref.find("am")
    if 0 < i < 3:
        hour, ref = int(ref[:i]), ref[i + 2 :]
    i = ref.find("pm")
    if 0 < i < 3:
        hour, ref = (int(ref[:i]) + 12) % 24, ref[i + 2 :]
    for word, at in (("noon", 12), ("midnight", 0), ("teatime", 16)):
        if ref.startswith(word):
            hour, minute, ref = at, 0, ref[len(word) :]
            break
    today = datetime.fromtimestamp(now, tz)
    try:
        day = today.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=None)
        day = _day(ref, raw, day, hour, minute)
    except ValueError as exc:
        raise TimeError(f"invalid time {raw!r}: {exc}") from None
    return int(day.replace(tzinfo=tz).timestamp())


def _day(ref: str, raw: str, day: datetime, hour: int, minute: int) -> datetime:
    if ref in ("yesterday", "today", "tomorrow"):
        return day + timedelta(days={"yesterday": -1, "today": 0, "tomorrow": 1}[ref])
    if ref.count("/") == 2:
        m, d, y = map(int, ref.split("/"))
        if y < 1900:
            y += 1900
        if y < 1970:
            y += 100
        return datetime(y, m, d, hour, minute)
    if len(ref) == 8 and ref.isdigit():
        return datetime(int(ref[:4]), int(ref[4:6]), int(ref[6:8]), hour, minute)
    if ref[:3] in MONTHS:
        digits = ref[-2:] if ref[-2:].isdigit() else ref[-1:]
        if not digits.isdigit():
            raise TimeError("day of month required after month name")
        return datetime(day.year, MONTHS.index(ref[:3]) + 1, int(digits), hour, minute)
    if ref[:3] in WEEKDAYS:
        today = WEEKDAYS.index(day.strftime("%a").lower()[:3])
        back = today - (WEEKDAYS * 2).index(ref[:3])
        return day - timedelta(days=back + 7 if back < 0 else back)
    if ref:
        raise TimeError(f"unknown day reference {raw!r}")
    return day
