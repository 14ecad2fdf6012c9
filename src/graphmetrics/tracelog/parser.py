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
from typing import Final

from graphmetrics.rrd.layout import INSTANCE_SEP
from graphmetrics.tracelog.records import CODES, MalformedLine, Record

_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\Z", re.ASCII)
#: host, customer and instance become part of an RRD file name
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}\Z")
_CACHE_LIMIT = 100_000
#: Between host, customer and instance (``layout.INSTANCE_SEP``), a C static when compiled.
_SEP: Final = INSTANCE_SEP


def valid_second(sec: str) -> bool:
    """``SS`` or ``SS.f`` up to microseconds, in ASCII digits (``float`` must read it)."""
    return second_at_ok(sec, 0, len(sec))


def second_at_ok(text: str, start: int, end: int) -> bool:
    """:func:`valid_second` on ``text[start:end]``, without cutting it out."""
    n = end - start
    if n != 2 and not (3 < n <= 9 and ord(text[start + 2]) == 46):  # "."
        return False
    for i in range(start, end):
        c = ord(text[i])
        if (c < 48 or c > 57) and i != start + 2:
            return False
    return True


def no_space_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is one word for ``str.split``: no white space in it.

    Control characters count as white space here, which only sends such lines to
    the general path.
    """
    for i in range(start, end):
        c = ord(text[i])
        if c <= 32 or (c >= 127 and text[i].isspace()):
            return False
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

    def parse(self, line: str) -> Record:
        """The record on ``line``, or :class:`MalformedLine` saying what is wrong."""
        rec = self._parse_syslog(line)
        if rec is None:
            rec = self._parse_general(line)
        return rec

    def _parse_syslog(self, line: str) -> Record | None:
        """The fast path for known sources and minutes, or None to take the general one."""
        # single-character finds (memchr) and ord() of one character (a plain C read
        # when compiled) are the cheapest ways to take the line apart
        n = len(line)
        space = line.find(" ", line.find(" ", line.find(" ") + 1) + 1)
        if space < 0:
            return None
        at = space + 1  # the record code, unless a lone ":" word comes first
        if at + 1 < n and ord(line[at]) == 58:  # ":"
            if ord(line[at + 1]) != 32:
                return None
            at += 2
        if at + 1 >= n or ord(line[at + 1]) != 32:
            return None
        instance = self._sources.get(line[:space])
        if instance is None:
            return None
        code = line[at]
        if code not in CODES:
            return None
        end_rid = line.find(" ", at + 2)
        time_colon = end_rid + 17
        if end_rid <= at + 2 or time_colon >= n or ord(line[time_colon]) != 58:
            return None
        if not no_space_at(line, at + 2, end_rid):
            return None
        minute = line[end_rid + 1 : time_colon]
        if minute == self._last_minute:
            minute = self._last_minute  # one string object: later comparisons are by identity
        elif minute in self._minutes:
            self._last_minute = minute
        else:
            return None
        start_sec = time_colon + 1
        end_sec = line.find(" ", start_sec)
        if end_sec < 0:
            end_sec = rest_at = n
        else:
            rest_at = end_sec + 1
            # white space around the arguments: let the general path normalise it
            if rest_at >= n or not no_space_at(line, rest_at, rest_at + 1):
                return None
            if not no_space_at(line, n - 1, n):
                return None
        if not second_at_ok(line, start_sec, end_sec):
            return None
        return Record(
            instance, code, line[at + 2 : end_rid], minute, line, start_sec, end_sec, rest_at
        )

    def _parse_general(self, line: str) -> Record:
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
            self._sources[raw] = instance
        return instance

    def _remember_minute(self, minute: str) -> None:
        if len(self._minutes) >= _CACHE_LIMIT:
            self._minutes.clear()
        self._minutes.add(minute)
