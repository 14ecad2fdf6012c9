"""Pure parsing of tracelog lines into :class:`Record` (no I/O, no clock).

The parser is the collector's hot path (a busy site writes millions of lines a
day).  Lines as syslog-ng writes them (``host customer instance [:] CODE ID DATE
TIME ARGS``, single spaces, a source and a minute seen before) are cut apart with
a few ``find`` calls and slices; every other line goes through the general path,
which splits on any white space, validates everything and, on success, teaches
the fast path the new source and minute.  Both paths give the same records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from mypy_extensions import i64

from graphmetrics.rrd.layout import INSTANCE_SEP
from graphmetrics.tracelog.records import CODES, MalformedLine, Record

try:  # the fast path in C (_scan.c), where built; Parser._scan_py gives the same answers
    from graphmetrics.tracelog._scan import scan as _scan_c
except ImportError:  # pragma: no cover - GRAPHMETRICS_PURE_PYTHON
    _scan_c = None
#: scan(sources, minutes, last_minute, line, cache) -> Scan | None
_SCAN_C: Final[Callable[[dict[str, str], set[str], str, str, list[str]], Any] | None] = _scan_c
#: slots of the C helper's cache of sources (two list items each)
_CACHE_SLOTS: Final = 1024

_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\Z", re.ASCII)
#: host, customer and instance become part of an RRD file name
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}\Z")
_CACHE_LIMIT = 100_000
#: what :meth:`Parser.scan` finds: (instance, code, rid_at, rid_end, minute, sec_at,
#: sec_end, rest_at, seconds)
Scan = tuple[str, int, int, int, str, int, int, int, float]
#: Between host, customer and instance (``layout.INSTANCE_SEP``), a C static when compiled.
_SEP: Final = INSTANCE_SEP


def valid_second(sec: str) -> bool:
    """``SS`` or ``SS.f`` up to microseconds, in ASCII digits (``float`` must read it)."""
    return seconds_at(sec, 0, len(sec)) >= 0.0


def seconds_at(text: str, start: i64, end: i64) -> float:
    """``float(text[start:end])`` if it is ``SS`` or ``SS.f`` up to microseconds in ASCII
    digits, else -1.0; without cutting the text out.

    The digits are read as one integer and divided by a power of ten: both are exact
    doubles and the division is correctly rounded, as ``float()`` of the text is, so
    the two give the same number.
    """
    n: i64 = end - start
    dot: i64 = start + 2
    if n != 2 and not (3 < n <= 9 and ord(text[dot]) == 46):  # "."
        return -1.0
    digits: i64 = 0
    scale: i64 = 1
    i: i64 = start
    while i < end:
        if i != dot:
            c: i64 = ord(text[i]) - 48
            if c < 0 or c > 9:
                return -1.0
            digits = digits * 10 + c
            if i > dot:
                scale *= 10
        i += 1
    return float(digits) / float(scale)


def is_code(c: int) -> bool:
    """Whether character ``c`` (its ``ord``) is one of :data:`CODES`."""
    return 65 <= c <= 69 or c == 73 or c == 83 or c == 84 or c == 88 or c == 45  # A-E I S T X -


def no_space_at(text: str, start: i64, end: i64) -> bool:
    """Whether ``text[start:end]`` is one word for ``str.split``: no white space in it.

    Control characters count as white space here, which only sends such lines to
    the general path.
    """
    i: i64 = start
    while i < end:
        c: i64 = ord(text[i])
        if c <= 32 or (c >= 127 and text[i].isspace()):
            return False
        i += 1
    return True


def valid_source_name(word: str) -> bool:
    return _NAME.match(word) is not None and _SEP not in word


def _check_minute(minute: str) -> None:
    if not _MINUTE.match(minute):
        raise MalformedLine("bad date or time", repr(minute))
    year, month, day = (int(x) for x in minute[:10].split("-"))
    hour, mins = int(minute[11:13]), int(minute[14:16])
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and mins < 60 and year > 1970):
        raise MalformedLine("bad date or time", repr(minute))


class Parser:
    """Parses the lines of one file.

    ``default_instance`` (``host__customer__stem``) is used for lines that start
    directly with a record code, as in a plain zope/resumelb tracelog file.
    """

    def __init__(self, default_instance: str | None = None) -> None:
        self.default_instance = default_instance
        self._minutes: set[str] = set()
        self._last_minute = ""
        #: "host customer instance" as written → "host__customer__instance"
        self._sources: dict[str, str] = {}
        #: the C helper's cache of :attr:`_sources`: as written, instance, per slot
        self._cache: list[str] = [""] * (2 * _CACHE_SLOTS)

    def parse(self, line: str) -> Record:
        """The record on ``line``, or :class:`MalformedLine` saying what is wrong."""
        rec = self._parse_syslog(line)
        return rec if rec is not None else self.parse_general(line)

    def scan(self, line: str) -> Scan:
        """The fast path, for known sources and minutes: where the record's parts are
        (:meth:`_scan_py`'s answer, from the C helper when it is built and sure)."""
        if _SCAN_C is not None:
            found = _SCAN_C(self._sources, self._minutes, self._last_minute, line, self._cache)
            if found is not None:
                scanned: Scan = found
                minute = scanned[4]
                if minute is not self._last_minute:
                    self._last_minute = minute
                return scanned
        return self._scan_py(line)

    def _scan_py(self, line: str) -> Scan:
        """The fast path, for known sources and minutes: where the record's parts are.

        Returns ``(instance, code, rid_at, rid_end, minute, sec_at, sec_end, rest_at,
        seconds)``: the code as ``ord``, the id, seconds and arguments as offsets in
        ``line``, and the seconds as a number too.  ``instance`` is empty when the line
        must take :meth:`parse_general` instead.  Nothing but ``minute`` (when new) is
        cut out of the line, so the aggregator's hot loop allocates only what it keeps.
        """
        # single-character finds (memchr) and ord() of one character (a plain C read
        # when compiled) are the cheapest ways to take the line apart; the tuple is
        # returned unboxed when compiled
        n = len(line)
        space = line.find(" ", line.find(" ", line.find(" ") + 1) + 1)
        if space < 0:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        at = space + 1  # the record code, unless a lone ":" word comes first
        if at + 1 < n and ord(line[at]) == 58:  # ":"
            if ord(line[at + 1]) != 32:
                return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
            at += 2
        if at + 1 >= n or ord(line[at + 1]) != 32:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        code = ord(line[at])
        if not is_code(code):
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        instance = self._sources.get(line[:space])
        if instance is None:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        end_rid = line.find(" ", at + 2)
        time_colon = end_rid + 17
        if end_rid <= at + 2 or time_colon >= n or ord(line[time_colon]) != 58:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        if not no_space_at(line, at + 2, end_rid):
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        minute = line[end_rid + 1 : time_colon]
        if minute == self._last_minute:
            minute = self._last_minute  # one string object: later comparisons are by identity
        elif minute in self._minutes:
            self._last_minute = minute
        else:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        start_sec = time_colon + 1
        end_sec = line.find(" ", start_sec)
        if end_sec < 0:
            end_sec = rest_at = n
        else:
            rest_at = end_sec + 1
            # white space around the arguments: let the general path normalise it
            if rest_at >= n or not no_space_at(line, rest_at, rest_at + 1):
                return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
            if not no_space_at(line, n - 1, n):
                return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        seconds = seconds_at(line, start_sec, end_sec)
        if seconds < 0.0:
            return ("", 0, 0, 0, "", 0, 0, 0, 0.0)
        return (instance, code, at + 2, end_rid, minute, start_sec, end_sec, rest_at, seconds)

    def _parse_syslog(self, line: str) -> Record | None:
        """The fast path's record, or None where the general path must take the line."""
        instance, code, rid_at, rid_end, minute, sec_at, sec_end, rest_at, _ = self.scan(line)
        if not instance:
            return None
        return Record(
            instance, chr(code), line[rid_at:rid_end], minute, line, sec_at, sec_end, rest_at
        )

    def parse_general(self, line: str) -> Record:
        """Any line: split on any white space, everything validated; on success the
        source and minute are learnt, so the next such line takes :meth:`scan`."""
        parts = line.split()
        n = len(parts)
        if n < 4:
            raise MalformedLine("too few words" if parts else "empty line")
        first = parts[0]
        if len(first) == 1 and first in CODES and parts[2][4:5] == "-":
            if self.default_instance is None:
                raise MalformedLine("record without a host customer instance prefix")
            instance = self.default_instance
            k = 0
        else:
            k = 4 if n > 4 and parts[3] == ":" else 3
            if n < k + 4:
                raise MalformedLine("too few words after the source prefix")
            instance = self._source(parts[0], parts[1], parts[2])
        code = parts[k]
        if len(code) != 1 or code not in CODES:
            raise MalformedLine("unknown record code", repr(code))
        time = parts[k + 3]
        if len(time) < 8:
            raise MalformedLine("bad date or time", repr(f"{parts[k + 2]} {time}"))
        minute = f"{parts[k + 2]} {time[:5]}"
        if minute not in self._minutes:
            _check_minute(minute)
            self._remember_minute(minute)
        if time[5] != ":" or not valid_second(time[6:]):
            raise MalformedLine("bad time", repr(time))
        rest = line.split(None, k + 4)[-1].rstrip() if n > k + 4 else ""
        return Record.of(instance, code, parts[k + 1], minute, time[6:], rest)

    def _source(self, host: str, customer: str, name: str) -> str:
        if name[-1] == ":":
            name = name[:-1]
        instance = f"{host}{_SEP}{customer}{_SEP}{name}"  # layout.instance_name, inlined
        raw = f"{host} {customer} {name}"
        if raw not in self._sources:
            for word in (host, customer, name):
                if not valid_source_name(word):
                    raise MalformedLine("bad source name", repr(word))
            if len(self._sources) >= _CACHE_LIMIT:
                self._sources.clear()
                self._cache = [""] * (2 * _CACHE_SLOTS)
            self._sources[raw] = instance
        return instance

    def _remember_minute(self, minute: str) -> None:
        if len(self._minutes) >= _CACHE_LIMIT:
            self._minutes.clear()
        self._minutes.add(minute)
