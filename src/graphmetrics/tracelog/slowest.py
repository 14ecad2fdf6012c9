"""The slowest requests of each minute (pure; docs/inputs.md, "Slowest requests").

While a counted request is in flight its ``B`` arguments (method and URL, the query
string cut off unless kept, at most :data:`REQUEST_CHARS` characters) and, once
answered, its ``A`` arguments (at most :data:`ANSWER_CHARS`) are kept in a
:class:`Pending`; when its total time is counted (the minute of the ``E``, or of the
``A`` when no ``E`` comes) it enters that minute's :class:`TopN`, a min-heap of at
most N entries, so a minute costs N entries whatever the traffic.  Entries are
tuples of numbers and strings: they compare without a key, the same way in every
run, so a log fed in pieces (a checkpoint, a restart, late input) keeps the same
N as one pass.
"""

from __future__ import annotations

import heapq
from typing import Any, Final

#: the slowest requests kept per instance and minute unless configured
DEFAULT_SLOWEST: Final = 10
#: characters of a ``B`` record's arguments (method, URL) kept per request in flight
REQUEST_CHARS: Final = 300
#: characters of an ``A`` record's arguments (status, size) kept per request answered
ANSWER_CHARS: Final = 60

#: total, app, wait (seconds; -1.0 unknown), request id, "METHOD URL", A's arguments
SlowEntry = tuple[float, float, float, str, str, str]


def request_text(text: str, at: int, keep_query: bool) -> str:
    """``text[at:]`` (a ``B`` record's arguments) cut at its query string unless
    ``keep_query``, and at :data:`REQUEST_CHARS` characters."""
    end = len(text)
    if not keep_query:
        query = text.find("?", at)
        if query >= 0:
            end = query
    if end - at > REQUEST_CHARS:
        end = at + REQUEST_CHARS
    return text[at:end]


def answer_text(text: str, at: int) -> str:
    """``text[at:]`` (an ``A`` record's arguments), at most :data:`ANSWER_CHARS`."""
    end = len(text)
    if end - at > ANSWER_CHARS:
        end = at + ANSWER_CHARS
    return text[at:end]


class Pending:
    """What is known of one request in flight beyond its begin time."""

    __slots__ = ("request", "wait", "app", "answer")

    def __init__(self, request: str) -> None:
        self.request = request
        self.wait = -1.0
        self.app = -1.0
        self.answer = ""

    def dump(self) -> list[Any]:
        return [self.request, self.wait, self.app, self.answer]

    @classmethod
    def load(cls, data: list[Any]) -> Pending:
        pending = cls(str(data[0]))
        pending.wait = float(data[1])
        pending.app = float(data[2])
        pending.answer = str(data[3])
        return pending


class TopN:
    """The ``limit`` slowest entries of a minute (a min-heap on the total)."""

    __slots__ = ("heap",)

    def __init__(self) -> None:
        self.heap: list[SlowEntry] = []

    def add(self, entry: SlowEntry, limit: int) -> None:
        heap = self.heap
        if len(heap) < limit:
            heapq.heappush(heap, entry)
        elif heap and entry > heap[0]:
            heapq.heapreplace(heap, entry)

    def merge(self, other: TopN, limit: int) -> None:
        for entry in other.heap:
            self.add(entry, limit)

    def ordered(self) -> list[SlowEntry]:
        """Slowest first."""
        return sorted(self.heap, reverse=True)

    def dump(self) -> list[Any]:
        return [list(entry) for entry in self.heap]

    @classmethod
    def load(cls, data: list[Any]) -> TopN:
        top = cls()
        top.heap = [
            (float(t), float(a), float(w), str(r), str(q), str(s)) for t, a, w, r, q, s in data
        ]
        heapq.heapify(top.heap)
        return top


def seconds_or_none(value: float) -> float | None:
    return round(value, 6) if value >= 0.0 else None


def describe(entry: SlowEntry) -> dict[str, Any]:
    """One stored request: seconds rounded to microseconds, None when unknown; the
    status (``200``, or ``Error``) and size (bytes, None when not given) from ``A``."""
    total, app, wait, rid, request, answer = entry
    method, _, url = request.partition(" ")
    if not url:
        method, url = "", method
    url = url.split(" ", 1)[0]
    words = answer.split()
    status = ""
    size: int | None = None
    if words:
        status = "Error" if words[0] == "Error:" else words[0][:10]
        if (
            status != "Error"
            and len(words) > 1
            and words[-1].isascii()
            and words[-1].isdigit()
            and len(words[-1]) < 19
        ):
            size = int(words[-1])
    return {
        "total": seconds_or_none(total),
        "app": seconds_or_none(app),
        "wait": seconds_or_none(wait),
        "id": rid,
        "method": method,
        "url": url,
        "status": status,
        "size": size,
    }
