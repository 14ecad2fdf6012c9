"""Tracelog record types (see DESIGN.md, "Tracelog input").

A zope / zc.resumelb tracelog line is ``CODE ID DATE TIME [ARGS...]``; syslog-ng puts
three words naming the source (host, customer, instance) and sometimes a lone ``:``
in front of it.
"""

from __future__ import annotations

from typing import NamedTuple

#: server start, server stop, request begins, input read, app thread starts,
#: database counts, app done, request ends, custom, annotation
CODES = frozenset("SXBICDAE-T")


class Record(NamedTuple):
    """One parsed tracelog line.

    ``instance`` is ``host__customer__instance``; ``minute`` is ``YYYY-MM-DD HH:MM``
    and ``second`` ``SS[.ffffff]``, in the log's local time zone; ``args`` are the
    words after the time.
    """

    instance: str
    code: str
    rid: str
    minute: str
    second: str
    args: list[str]


class MalformedLine(ValueError):
    """A line that is not a tracelog record.

    ``reason`` is a short fixed category (used to count skips); the message adds
    the offending text.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
