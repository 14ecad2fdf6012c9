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
import json
from json.encoder import encode_basestring_ascii
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


def describe(entry: SlowEntry) -> dict[str, Any]:
    """One stored request as :func:`minute_json` writes it: seconds rounded to
    microseconds, None when unknown; the method and URL (up to its first space) from
    ``B``; the status (``200``, or ``Error``) and size (bytes, None when not given)
    from ``A``."""
    total, app, wait, rid, request, answer = entry
    method, url = _method_url(request)
    status, size = _status_size(answer)
    return {
        "total": json.loads(_seconds_json(total)),
        "app": json.loads(_seconds_json(app)),
        "wait": json.loads(_seconds_json(wait)),
        "id": rid,
        "method": method,
        "url": url,
        "status": status,
        "size": json.loads(size),
    }


def _seconds_json(value: float) -> str:
    """``value`` seconds rounded to microseconds as a JSON number; ``null`` when negative
    (unknown)."""
    if value < 0.0:
        return "null"
    return f"{value:.6f}"


def _string_json(text: str) -> str:
    """``text`` as a JSON string (``json.dumps``'s own C escaping)."""
    return encode_basestring_ascii(text)


def minute_json(start: int, entries: list[SlowEntry]) -> str:
    """One stored minute, ``{"t": start, "requests": [...]}``, each request as
    :func:`describe` gives it, written out by hand (the store's hot path)."""
    parts: list[str] = []
    for total, app, wait, rid, request, answer in entries:
        method, url = _method_url(request)
        status, size = _status_size(answer)
        parts.append(
            f'{{"total":{_seconds_json(total)},"app":{_seconds_json(app)},'
            f'"wait":{_seconds_json(wait)},"id":{_string_json(rid)},'
            f'"method":{_string_json(method)},"url":{_string_json(url)},'
            f'"status":{_string_json(status)},"size":{size}}}'
        )
    return f'{{"t":{start},"requests":[{",".join(parts)}]}}'


def _method_url(request: str) -> tuple[str, str]:
    """The method and URL of a ``B`` record's arguments (``METHOD path [...]``); a lone
    word is the URL."""
    space = request.find(" ")
    if space < 0:
        return "", request
    url = request[space + 1 :]
    end = url.find(" ")
    return request[:space], url if end < 0 else url[:end]


def _status_size(answer: str) -> tuple[str, str]:
    """The status and the size (as JSON) of an ``A`` record's arguments."""
    words = answer.split()
    if not words:
        return "", "null"
    if words[0] == "Error:":
        return "Error", "null"
    last = words[-1]
    size = last if len(words) > 1 and last.isascii() and last.isdigit() and len(last) < 19 else ""
    return words[0][:10], str(int(size)) if size else "null"
