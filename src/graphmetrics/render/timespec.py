"""Start/end time parsing for the render API; pure, the clock is passed in.

Accepted forms (``now`` is the caller's clock, in epoch seconds):

* epoch seconds: ``1248968400``
* ISO 8601: ``2009-07-30T15:40:00Z``, ``2009-07-30T17:40:00+02:00``, ``2009-07-30``
  (no offset means UTC)
* rrdtool AT-style: ``now``, ``-1d``, ``-2h30min``, ``now-1w``, ``end-2h``,
  ``start+90min`` (``s``/``e`` abbreviate ``start``/``end``), and an epoch or ISO
  time followed by offsets (``1248968400+1h``).  Units: ``s sec second(s)``,
  ``m min minute(s)`` (``m`` is always minutes here, unlike rrdtool's guess),
  ``h hour(s)``, ``d day(s)``, ``w week(s)``, ``mon month(s)`` (30 days) and
  ``y year(s)`` (365 days).

:func:`resolve_range` turns the ``start``/``end``/``trail`` parameters into a
bounded ``(start, end)`` pair, so no request can ask for centuries of data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

DAY = 86400
DEFAULT_RANGE = DAY
MAX_RANGE = 5 * 366 * DAY
MIN_TIME = 315532800  # 1980-01-01T00:00:00Z
MAX_FUTURE = 366 * DAY
MAX_TEXT = 64

UNITS: dict[str, int] = {}
for _seconds, _names in (
    (1, ("s", "sec", "secs", "second", "seconds")),
    (60, ("m", "min", "mins", "minute", "minutes")),
    (3600, ("h", "hr", "hrs", "hour", "hours")),
    (DAY, ("d", "day", "days")),
    (7 * DAY, ("w", "wk", "week", "weeks")),
    (30 * DAY, ("mon", "month", "months")),
    (365 * DAY, ("y", "yr", "year", "years")),
):
    for _name in _names:
        UNITS[_name] = _seconds

_ANCHORS = {"now": "now", "n": "now", "start": "start", "s": "start", "end": "end", "e": "end"}
_EPOCH = re.compile(r"\d{1,11}")
_OFFSETS = re.compile(r"(?:[+-](?:\d{1,9}[a-z]+)+)+")
_OFFSET = re.compile(r"([+-])((?:\d{1,9}[a-z]+)+)")
_AMOUNT = re.compile(r"(\d{1,9})([a-z]+)")
_HEAD = re.compile(r"(\d{4}-\d\d-\d\d[^+-]*(?:[+-]\d\d:?\d\d)?|now|start|end|n|s|e|\d{1,11})?(.*)")
# A "+" left unencoded in a query string arrives as a space: "end 2h" means "end+2h".
_SPACE_PLUS = re.compile(r"(?<![+-])\s+(?=\d)")


class TimeSpecError(ValueError):
    """A time that cannot be parsed or a range outside the bounds; says what was wrong."""


@dataclass(frozen=True)
class TimeSpec:
    """A parsed time: an absolute epoch or an anchor (now/start/end), plus an offset."""

    anchor: str  # "abs", "now", "start" or "end"
    offset: int
    epoch: int = 0


def _parse_offsets(text: str, original: str) -> int:
    text = _SPACE_PLUS.sub("+", text).replace(" ", "")
    if not text:
        return 0
    if not _OFFSETS.fullmatch(text):
        raise TimeSpecError(f"cannot parse time {original!r}")
    total = 0
    for sign, body in _OFFSET.findall(text):
        amount = 0
        for number, unit in _AMOUNT.findall(body):
            if unit not in UNITS:
                raise TimeSpecError(f"unknown time unit {unit!r} in {original!r}")
            amount += int(number) * UNITS[unit]
        total += amount if sign == "+" else -amount
    return total


def _parse_iso(text: str, original: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeSpecError(f"cannot parse time {original!r}: {exc}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_time(text: str) -> TimeSpec:
    """Parse one ``start``/``end`` value (see the module docstring) without resolving it."""
    original = text
    text = text.strip()
    if not text:
        raise TimeSpecError("empty time")
    if len(text) > MAX_TEXT:
        raise TimeSpecError(f"time longer than {MAX_TEXT} characters")
    if _EPOCH.fullmatch(text):  # the common case, as scripts and the UI send it
        return TimeSpec("abs", 0, int(text))
    lowered = text.lower()
    if lowered[0] in "+-":
        return TimeSpec("now", _parse_offsets(lowered, original))
    match = _HEAD.fullmatch(lowered)
    head, rest = (match.group(1), match.group(2)) if match else (None, lowered)
    if head is None:
        raise TimeSpecError(f"cannot parse time {original!r}")
    offset = _parse_offsets(rest, original)
    if head in _ANCHORS:
        return TimeSpec(_ANCHORS[head], offset)
    if _EPOCH.fullmatch(head):
        return TimeSpec("abs", offset, int(head))
    return TimeSpec("abs", offset, _parse_iso(text[: len(head)].upper(), original))


def _resolve(name: str, spec: TimeSpec, now: int, other: TimeSpec, other_value: int | None) -> int:
    if spec.anchor == "abs":
        return spec.epoch + spec.offset
    if spec.anchor == "now":
        return now + spec.offset
    if other_value is None:
        raise TimeSpecError(f"{name} refers to the other end of the range, which refers back")
    return other_value + spec.offset


def resolve_range(
    start: str | None, end: str | None, now: int, trail_hours: float | None = None
) -> tuple[int, int]:
    """The ``(start, end)`` epoch pair for a request; ``now`` is the current epoch.

    Defaults: ``end=now``, ``start=end-1d``.  ``trail_hours`` means the last N hours
    up to now and cannot be combined with ``start``/``end``.  Raises
    :class:`TimeSpecError` naming the parameter at fault.
    """
    if trail_hours is not None:
        if start or end:
            raise TimeSpecError("trail cannot be combined with start or end")
        if not 0 < trail_hours <= MAX_RANGE / 3600:
            raise TimeSpecError(f"trail must be > 0 and at most {MAX_RANGE // 3600} hours")
        return _check_range(now - int(trail_hours * 3600), now, now)
    specs = {}
    for name, text, default in (
        ("start", start, TimeSpec("end", -DEFAULT_RANGE)),
        ("end", end, TimeSpec("now", 0)),
    ):
        try:
            specs[name] = parse_time(text) if text else default
        except TimeSpecError as exc:
            raise TimeSpecError(f"{name}: {exc}") from None
    s_spec, e_spec = specs["start"], specs["end"]
    if s_spec.anchor == "end" and e_spec.anchor == "start":
        raise TimeSpecError("start and end refer to each other")
    if s_spec.anchor == "start" or e_spec.anchor == "end":
        raise TimeSpecError("start cannot refer to start, nor end to end")
    if s_spec.anchor == "end":
        end_value = _resolve("end", e_spec, now, s_spec, None)
        start_value = _resolve("start", s_spec, now, e_spec, end_value)
    else:
        start_value = _resolve("start", s_spec, now, e_spec, None)
        end_value = _resolve("end", e_spec, now, s_spec, start_value)
    return _check_range(start_value, end_value, now)


def _check_range(start: int, end: int, now: int) -> tuple[int, int]:
    for name, value in (("start", start), ("end", end)):
        if value < MIN_TIME:
            raise TimeSpecError(f"{name} is before 1980-01-01")
        if value > now + MAX_FUTURE:
            raise TimeSpecError(f"{name} is more than a year in the future")
    if end <= start:
        raise TimeSpecError("end must be after start")
    if end - start > MAX_RANGE:
        raise TimeSpecError(f"time range longer than {MAX_RANGE // DAY} days")
    return start, end
