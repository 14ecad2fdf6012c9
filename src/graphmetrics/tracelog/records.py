"""Tracelog record types (see DESIGN.md, "Tracelog input").

A zope / zc.resumelb tracelog line is ``CODE ID DATE TIME [ARGS...]``; syslog-ng puts
three words naming the source (host, customer, instance) and sometimes a lone ``:``
in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: server start, server stop, request begins, input read, app thread starts,
#: database counts, app done, request ends, custom, annotation
CODES = frozenset("SXBICDAE-T")


@dataclass
class Record:
    """One parsed tracelog line.

    ``instance`` is ``host__customer__instance``; ``minute`` is ``YYYY-MM-DD HH:MM``
    and ``second`` ``SS[.ffffff]``, in the log's local time zone; ``rest`` is the
    text after the time (the record's arguments), kept whole because only the
    A record's status is ever looked at.
    """

    instance: str
    code: str
    rid: str
    minute: str
    second: str
    rest: str

    @property
    def args(self) -> list[str]:
        return self.rest.split()


class MalformedLine(ValueError):
    """A line that is not a tracelog record.

    ``reason`` is a short fixed category (used to count skips); the message adds
    the offending text.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
