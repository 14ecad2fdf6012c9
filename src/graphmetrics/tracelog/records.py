"""Tracelog record types (see docs/inputs.md, "Tracelog lines").

A zope / zc.resumelb tracelog line is ``CODE ID DATE TIME [ARGS...]``; syslog-ng puts
three words naming the source (host, customer, instance) and sometimes a lone ``:``
in front of it.
"""

from __future__ import annotations

#: server start, server stop, request begins, input read, app thread starts,
#: database counts, app done, request ends, custom, annotation
CODES = frozenset("SXBICDAE-T")


class Record:
    """One parsed tracelog line.

    ``instance`` is ``host__customer__instance``; ``minute`` is ``YYYY-MM-DD HH:MM``
    and ``second`` ``SS[.ffffff]``, in the log's local time zone; ``rest`` is the
    text after the time (the record's arguments).  ``second`` and ``rest`` are cut
    from the line only when asked for: the aggregator needs the seconds of C and A
    records alone, and of the arguments only the first character (``status``).
    """

    __slots__ = ("instance", "code", "rid", "minute", "_text", "_sec_at", "_sec_end", "_rest_at")

    def __init__(
        self,
        instance: str,
        code: str,
        rid: str,
        minute: str,
        text: str,
        sec_at: int,
        sec_end: int,
        rest_at: int,
    ) -> None:
        self.instance = instance
        self.code = code
        self.rid = rid
        self.minute = minute
        self._text = text
        self._sec_at = sec_at
        self._sec_end = sec_end
        self._rest_at = rest_at

    @classmethod
    def of(cls, instance: str, code: str, rid: str, minute: str, second: str, rest: str) -> Record:
        """A record from its parts (the parser cuts them from the line instead)."""
        text = f"{second} {rest}"
        return cls(instance, code, rid, minute, text, 0, len(second), len(second) + 1)

    @property
    def second(self) -> str:
        return self._text[self._sec_at : self._sec_end]

    @property
    def seconds(self) -> float:
        """``second`` as a number."""
        return float(self._text[self._sec_at : self._sec_end])

    @property
    def rest(self) -> str:
        return self._text[self._rest_at :]

    @property
    def status(self) -> str:
        """The first character of the arguments: ``5`` of ``500 12``, ``E`` of ``Error:``."""
        return self._text[self._rest_at : self._rest_at + 1]

    @property
    def args(self) -> list[str]:
        return self.rest.split()

    def _key(self) -> tuple[str, str, str, str, str, str]:
        return (self.instance, self.code, self.rid, self.minute, self.second, self.rest)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(repr(v) for v in self._key())
        return f"Record({fields})"


class MalformedLine(ValueError):
    """A line that is not a tracelog record.

    ``reason`` is a short fixed category (used to count skips); the message adds
    the offending text.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
