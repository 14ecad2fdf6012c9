"""Pure parsing of tracelog lines into :class:`Record` (no I/O, no clock).

The parser is on the hot path (a busy site writes millions of lines a day), so it
splits each line once and validates dates, minutes and source names through small
caches instead of regular expressions on every line.
"""

from __future__ import annotations

import re

from graphmetrics.tracelog.records import CODES, MalformedLine, Record

_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\Z")
#: host, customer and instance become part of an RRD file name
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}\Z")
_CACHE_LIMIT = 100_000


def _valid_second(sec: str) -> bool:
    if len(sec) == 2:
        return sec.isdigit()
    return 3 < len(sec) <= 9 and sec[2] == "." and sec[:2].isdigit() and sec[3:].isdigit()


def valid_source_name(word: str) -> bool:
    return _NAME.match(word) is not None and "__" not in word


class Parser:
    """Parses lines of one file.

    ``default_instance`` (``host__customer__stem``) is used for lines that start
    directly with a record code, as in a plain zope/resumelb tracelog file.
    """

    def __init__(self, default_instance: str | None = None) -> None:
        self.default_instance = default_instance
        self._minutes: set[str] = set()
        self._instances: set[str] = set()

    def parse(self, line: str) -> Record:
        """The record on ``line``, or :class:`MalformedLine` saying what is wrong."""
        parts = line.split()
        n = len(parts)
        if n < 4:
            raise MalformedLine("too few words" if parts else "empty line")
        first = parts[0]
        if len(first) == 1 and first in CODES and n > 3 and parts[2][4:5] == "-":
            if self.default_instance is None:
                raise MalformedLine("record without a host customer instance prefix")
            instance = self.default_instance
            k = 0
        else:
            k = 4 if n > 4 and parts[3] == ":" else 3
            if n < k + 4:
                raise MalformedLine("too few words after the source prefix")
            name = parts[2]
            if name[-1] == ":":
                name = name[:-1]
            instance = f"{first}__{parts[1]}__{name}"
            if instance not in self._instances:
                self._check_instance(first, parts[1], name)
                self._remember(self._instances, instance)
        code = parts[k]
        if len(code) != 1 or code not in CODES:
            raise MalformedLine("unknown record code", repr(code))
        time = parts[k + 3]
        minute = f"{parts[k + 2]} {time[:5]}"
        if minute not in self._minutes:
            self._check_minute(minute, time)
            self._remember(self._minutes, minute)
        if len(time) < 8 or time[5] != ":" or not _valid_second(time[6:]):
            raise MalformedLine("bad time", repr(time))
        return Record(instance, code, parts[k + 1], minute, time[6:], parts[k + 4 :])

    @staticmethod
    def _check_instance(host: str, customer: str, name: str) -> None:
        for word in (host, customer, name):
            if not valid_source_name(word):
                raise MalformedLine("bad source name", repr(word))

    @staticmethod
    def _check_minute(minute: str, time: str) -> None:
        if not _DATE.match(minute) or len(time) < 8:
            raise MalformedLine("bad date or time", repr(minute))
        date, hhmm = minute.split()
        year, month, day = (int(x) for x in date.split("-"))
        hour, mins = int(hhmm[:2]), int(hhmm[3:])
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and mins < 60 and year > 1970):
            raise MalformedLine("bad date or time", repr(minute))

    @staticmethod
    def _remember(cache: set[str], key: str) -> None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache.add(key)
