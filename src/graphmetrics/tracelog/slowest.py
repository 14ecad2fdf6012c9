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


def record_text(code: int, text: str, at: int, keep_query: bool) -> str:
    """What the slowest requests keep of a record's arguments ``text[at:]``: a ``B``'s
    request (:func:`request_text`), an ``A``'s answer (:func:`answer_text`), else ""."""
    if code == 66:  # B
        return request_text(text, at, keep_query)
    if code == 65:  # A
        return answer_text(text, at)
    return ""


class Pending:
    """One request in flight: its begin time and, for the slowest requests, what else
    is known of it (one object a request, in one table).

    The ``B`` and ``A`` arguments are kept as their record's line and where they start
    in it: cut (:func:`request_text`, :func:`answer_text`) only for a request that
    enters a minute's slowest, or when saved, not for every request.
    """

    __slots__ = ("began", "request", "request_at", "wait", "app", "answer", "answer_at")

    def __init__(self, began: float, request: str = "", request_at: int = 0) -> None:
        self.began = began
        self.request = request
        self.request_at = request_at
        self.wait = -1.0
        self.app = -1.0
        self.answer = ""
        self.answer_at = 0

    def entry(self, total: float, rid: str, keep_query: bool) -> SlowEntry:
        """This request as one of a minute's slowest, ``total`` seconds long."""
        return (
            total,
            self.app,
            self.wait,
            rid,
            request_text(self.request, self.request_at, keep_query),
            answer_text(self.answer, self.answer_at),
        )

    def dump(self, keep_query: bool) -> list[Any]:
        return [
            request_text(self.request, self.request_at, keep_query),
            self.wait,
            self.app,
            answer_text(self.answer, self.answer_at),
        ]

    def load_details(self, data: list[Any]) -> None:
        """What :meth:`dump` saved (the begin time is saved on its own)."""
        self.request = str(data[0])
        self.request_at = 0
        self.wait = float(data[1])
        self.app = float(data[2])
        self.answer = str(data[3])
        self.answer_at = 0


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
    """One request as the API shows it (what :func:`minute_json` stores, read back)."""
    described = describe_stored(json.loads(minute_json(0, [entry]))["r"][0])
    assert described is not None
    return described


def _micros(value: float) -> str:
    """``value`` seconds as whole microseconds (``null``: unknown, negative)."""
    if value < 0.0:
        return "null"
    return str(int(value * 1_000_000.0 + 0.5))


def minute_json(start: int, entries: list[SlowEntry]) -> str:
    """One stored minute: ``{"t": START, "r": [[total, app, wait, id, "METHOD URL",
    "A arguments"], ...]}``, times in whole microseconds (null: unknown), the texts as
    the records gave them (escaped by ``json``'s C code); split when read
    (:func:`describe_stored`), so the collector only formats integers and strings."""
    rows = [
        f"[{_micros(total)},{_micros(app)},{_micros(wait)},{_text(rid)},"
        f"{_text(request)},{_text(answer)}]"
        for total, app, wait, rid, request, answer in entries
    ]
    return f'{{"t":{start},"r":[{",".join(rows)}]}}'


def _text(text: str) -> str:
    escaped: str = encode_basestring_ascii(text)
    return escaped


def describe_stored(item: Any) -> dict[str, Any] | None:
    """A stored request as a dict: seconds (None when unknown); the method and URL (up
    to its first space) from ``B``; the status (``200``, or ``Error``) and size (bytes,
    None when not given) from ``A``.  None when ``item`` is not a stored request."""
    if not isinstance(item, list) or len(item) != 6:
        return None
    total, app, wait, rid, request, answer = item
    if not (_micros_ok(total) and (app is None or _micros_ok(app))):
        return None
    if not (wait is None or _micros_ok(wait)):
        return None
    if not (isinstance(rid, str) and isinstance(request, str) and isinstance(answer, str)):
        return None
    method, url = _method_url(request)
    status, size = _status_size(answer)
    return {
        "total": total / 1e6,
        "app": None if app is None else app / 1e6,
        "wait": None if wait is None else wait / 1e6,
        "id": rid,
        "method": method,
        "url": url,
        "status": status,
        "size": size,
    }


def _micros_ok(value: Any) -> bool:
    """A stored time: a whole number of microseconds, 0 up to about 31 years."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15


def _method_url(request: str) -> tuple[str, str]:
    """The method and URL of a ``B`` record's arguments (``METHOD path [...]``); a lone
    word is the URL."""
    space = request.find(" ")
    if space < 0:
        return "", request
    url = request[space + 1 :]
    end = url.find(" ")
    return request[:space], url if end < 0 else url[:end]


def _status_size(answer: str) -> tuple[str, int | None]:
    """The status and the size of an ``A`` record's arguments."""
    words = answer.split()
    if not words:
        return "", None
    if words[0] == "Error:":
        return "Error", None
    last = words[-1]
    if len(words) > 1 and last.isascii() and last.isdigit() and len(last) < 19:
        return words[0][:10], int(last)
    return words[0][:10], None
