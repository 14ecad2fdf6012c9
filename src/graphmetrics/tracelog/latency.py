"""Per-minute response times of one instance: quantiles, maximum and apdex (pure).

For the requests the aggregator counts (their ``I`` seen in the current server run),
three durations are kept per minute (docs/inputs.md, "Response times"):

* ``total``: what the user waited, ``B`` -> ``E`` (``B`` -> ``A`` when no ``E`` came
  within a minute of the ``A``, or the server stopped first), in the minute of the
  ``E`` (or of the ``A``),
* ``app``: the application's time, ``C`` -> ``A``, in the minute of the ``A``,
* ``wait``: the wait for an application thread, ``B`` -> ``C``, in the minute of the
  ``C``.

Each is a DDSketch (the ``ddsketch`` package's logarithmic mapping at
:data:`RELATIVE_ACCURACY`): a duration is counted in bucket ``ceil(log_gamma(d))``,
sketches merge by adding counts, and every quantile is within
:data:`RELATIVE_ACCURACY` of the true value.  The library's ``add`` costs about 8 µs
a value in Python, far too much for the collector's hot loop, so :class:`Sketch`
keeps the minute's durations and reads them at the close as
``DDSketch.get_quantile_value`` would, with the library's own mapping (the key
formula compiled here); ``tests/unit/test_tracelog_latency.py`` checks keys and
quantiles against the library.

Apdex (satisfied <= T, tolerating <= 4T, frustrated above, errors frustrated) is
counted on ``total`` with a T per customer (:class:`ApdexTargets`).
"""

from __future__ import annotations

import math
from typing import Any, Final

from ddsketch.mapping import LogarithmicMapping

from graphmetrics.rrd.schema import LATENCY_DS
from graphmetrics.tracelog.slowest import Pending, TopN

#: every quantile is within this fraction of the true value (DDSketch's alpha)
RELATIVE_ACCURACY: Final = 0.01
#: default apdex target T in seconds
DEFAULT_APDEX_T: Final = 0.5
#: a begun request not answered after this many seconds is forgotten (bounds memory)
MAX_REQUEST_SECONDS: Final = 3600.0
#: the quantiles written, as fractions
QUANTILES: Final = (0.5, 0.9, 0.99)
MAPPING: Final = LogarithmicMapping(RELATIVE_ACCURACY)
_GAMMA_MANTISSA: Final = 2 * RELATIVE_ACCURACY / (1 - RELATIVE_ACCURACY)
_LN2: Final = math.log(2)
#: LogarithmicMapping's multiplier, computed as it does: log2(value) * this is log_gamma(value)
_MULTIPLIER: Final = (1 / math.log1p(_GAMMA_MANTISSA)) * _LN2
_MIN_POSSIBLE: Final = float(MAPPING.min_possible)
#: the key of durations too small to tell from 0 (DDSketch's zero count)
ZERO_KEY: Final = -(2**31)

LatencyValues = tuple[float | None, ...]
NO_LATENCY: Final[LatencyValues] = (None,) * len(LATENCY_DS)

_values: dict[int, float] = {}


def bucket(duration: float) -> int:
    """The DDSketch key of ``duration`` (``LogarithmicMapping.key``), or :data:`ZERO_KEY`."""
    if duration <= _MIN_POSSIBLE:
        return ZERO_KEY
    return int(math.ceil(math.log(duration) / _LN2 * _MULTIPLIER))


def bucket_value(key: int) -> float:
    """The value DDSketch answers for bucket ``key`` (``LogarithmicMapping.value``)."""
    if key == ZERO_KEY:
        return 0.0
    value = _values.get(key)
    if value is None:
        value = _values[key] = float(MAPPING.value(key))
    return value


class Sketch:
    """One minute's durations, read as a DDSketch reads them.

    The durations are kept as they come (an append per request is all the hot loop
    pays) and summarised when the minute closes: DDSketch's quantile is the value of
    the bucket holding the element at rank ``q * (n - 1)``, and since the bucket key
    grows with the value that is ``bucket(sorted(durations)[int(q * (n - 1))])``,
    the same answer as the library's sketch of the same durations.  Saved, a sketch
    is its bucket counts (a few dozen integers); loaded, each bucket's durations
    come back as its value, which falls in the same bucket, so the quantiles stay
    the same.  The maximum is kept exactly.
    """

    __slots__ = ("durations", "max")

    def __init__(self) -> None:
        self.durations: list[float] = []
        self.max = -1.0

    @property
    def count(self) -> int:
        return len(self.durations)

    def add(self, duration: float) -> None:
        self.durations.append(duration)
        if duration > self.max:
            self.max = duration

    def merge(self, other: Sketch) -> None:
        """Add ``other``'s durations (DDSketch's merge)."""
        self.durations.extend(other.durations)
        if other.max > self.max:
            self.max = other.max

    def quantile(self, q: float) -> float | None:
        """``DDSketch.get_quantile_value(q)``; None when empty."""
        return self._quantile(sorted(self.durations), q)

    @staticmethod
    def _quantile(ordered: list[float], q: float) -> float | None:
        if not ordered:
            return None
        return bucket_value(bucket(ordered[int(q * (len(ordered) - 1))]))

    def summary(self) -> LatencyValues:
        """p50, p90, p99 and the exact max, or unknowns when empty."""
        if not self.durations:
            return (None, None, None, None)
        # in place: a pool merging this minute then sorts sorted runs, which is cheap
        ordered = self.durations
        ordered.sort()
        return (
            self._quantile(ordered, 0.5),
            self._quantile(ordered, 0.9),
            self._quantile(ordered, 0.99),
            self.max,
        )

    def counts(self) -> dict[int, int]:
        """The DDSketch bucket counts (key -> durations in it)."""
        counts: dict[int, int] = {}
        for duration in self.durations:
            key = bucket(duration)
            counts[key] = counts.get(key, 0) + 1
        return counts

    def dump(self) -> list[Any]:
        return dump_counts(self.max, self.counts())

    @classmethod
    def load(cls, data: list[Any]) -> Sketch:
        sketch = cls()
        sketch.max, counts = load_counts(data)
        for key, n in counts:
            sketch.durations.extend([bucket_value(key)] * n)
        return sketch


def dump_counts(top: float, counts: dict[int, int]) -> list[Any]:
    """A sketch as saved: its maximum, then its bucket keys and counts, flat."""
    flat: list[int] = []
    for key, n in counts.items():
        flat.append(key)
        flat.append(n)
    return [top, flat]


def load_counts(data: list[Any]) -> tuple[float, list[tuple[int, int]]]:
    """The maximum and the (bucket key, count) pairs :func:`dump_counts` saved."""
    flat = data[1]
    return float(data[0]), [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]


class Apdex:
    """Apdex counts: (satisfied + tolerating / 2) / samples."""

    __slots__ = ("satisfied", "tolerating", "samples")

    def __init__(self, satisfied: int = 0, tolerating: int = 0, samples: int = 0) -> None:
        self.satisfied = satisfied
        self.tolerating = tolerating
        self.samples = samples

    def count(self, seconds: float, error: bool, target: float) -> None:
        self.samples += 1
        if error:
            return
        if seconds <= target:
            self.satisfied += 1
        elif seconds <= 4.0 * target:
            self.tolerating += 1

    def merge(self, other: Apdex) -> None:
        self.satisfied += other.satisfied
        self.tolerating += other.tolerating
        self.samples += other.samples

    def score(self) -> float | None:
        if not self.samples:
            return None
        return (self.satisfied + self.tolerating / 2.0) / self.samples

    def dump(self) -> list[int]:
        return [self.satisfied, self.tolerating, self.samples]

    @classmethod
    def load(cls, data: list[Any]) -> Apdex:
        satisfied, tolerating, samples = data
        return cls(int(satisfied), int(tolerating), int(samples))


class MinuteLatency:
    """One minute's sketches and apdex counts (an instance's, or a pool's merge), and
    its slowest requests."""

    __slots__ = ("total", "app", "wait", "apdex", "slowest")

    def __init__(self) -> None:
        self.total = Sketch()
        self.app = Sketch()
        self.wait = Sketch()
        self.apdex = Apdex()
        self.slowest = TopN()

    def merge(self, other: MinuteLatency, limit: int = 0) -> None:
        self.total.merge(other.total)
        self.app.merge(other.app)
        self.wait.merge(other.wait)
        self.apdex.merge(other.apdex)
        self.slowest.merge(other.slowest, limit)

    def values(self) -> LatencyValues:
        """The :data:`LATENCY_DS` values."""
        return (
            *self.total.summary(),
            *self.app.summary(),
            *self.wait.summary(),
            self.apdex.score(),
        )

    def empty(self) -> bool:
        return not (self.total.count or self.app.count or self.wait.count)

    def dump(self) -> list[Any]:
        return [
            self.total.dump(),
            self.app.dump(),
            self.wait.dump(),
            self.apdex.dump(),
            self.slowest.dump(),
        ]

    @classmethod
    def load(cls, data: list[Any]) -> MinuteLatency:
        minute = cls()
        minute.total = Sketch.load(data[0])
        minute.app = Sketch.load(data[1])
        minute.wait = Sketch.load(data[2])
        minute.apdex = Apdex.load(data[3])
        if len(data) > 4:  # saved before the slowest requests were kept: none
            minute.slowest = TopN.load(data[4])
        return minute


class LatencyState:
    """One instance's requests in flight (their begin times, answers awaiting ``E``) and
    the pending minute's :class:`MinuteLatency`; with ``slowest`` > 0, what each request
    in flight said (kept with its begin time in one
    :class:`~graphmetrics.tracelog.slowest.Pending`) for the minute's slowest
    ``slowest`` requests."""

    __slots__ = ("target", "slowest", "keep_query", "began", "answered", "minute")

    def __init__(self, target: float, slowest: int = 0, keep_query: bool = False) -> None:
        self.target = target
        self.slowest = slowest
        #: the slowest requests' URLs keep their query string
        self.keep_query = keep_query
        #: request id -> its B record's time (and, for the slowest requests, its B and A
        #: arguments, C -> A and B -> C)
        self.began: dict[str, Pending] = {}
        #: request id -> time of its A record (negated for an error), until its E
        self.answered: dict[str, float] = {}
        self.minute = MinuteLatency()

    def begin(self, rid: str, when: float, line: str = "", at: int = 0) -> None:
        """A B record at ``when``; its arguments are ``line[at:]``."""
        self.began[rid] = Pending(when, line, at)

    def start(self, rid: str, when: float) -> None:
        pending = self.began.get(rid)
        if pending is not None:
            self.minute.wait.add(when - pending.began)

    def answer(
        self, rid: str, when: float, app: float, error: bool, line: str = "", at: int = 0
    ) -> None:
        """An A record of a counted request; ``app`` is C -> A, negative when no C; its
        arguments (status, size) are ``line[at:]``."""
        if app >= 0.0:
            self.minute.app.add(app)
        pending = self.began.get(rid)
        if pending is not None:
            self.answered[rid] = -when if error else when
            if self.slowest:
                pending.app = app
                pending.answer = line
                pending.answer_at = at
                if app >= 0.0:  # B -> C, the C being app seconds before the A
                    pending.wait = when - app - pending.began

    def end(self, rid: str, when: float) -> None:
        # get and del, not pop(): a method call when compiled
        answer = self.answered.get(rid)
        if answer is not None:
            del self.answered[rid]
        pending = self.began.get(rid)
        if pending is None:
            return
        del self.began[rid]
        if answer is not None:
            self._total(rid, pending, when - pending.began, answer < 0.0)

    def _total(self, rid: str, pending: Pending, seconds: float, error: bool) -> None:
        self.minute.total.add(seconds)
        self.minute.apdex.count(seconds, error, self.target)
        if self.slowest:
            heap = self.minute.slowest.heap
            # most requests are faster than the minute's N slowest: no entry made
            if len(heap) < self.slowest or seconds >= heap[0][0]:
                self.minute.slowest.add(pending.entry(seconds, rid, self.keep_query), self.slowest)

    def _settle(self, before: float) -> None:
        """Requests answered before ``before`` whose E never came count B -> A."""
        if not self.answered:
            return
        for rid, answer in list(self.answered.items()):
            when = abs(answer)
            if when < before:
                del self.answered[rid]
                pending = self.began.pop(rid, None)
                if pending is not None:
                    self._total(rid, pending, when - pending.began, answer < 0.0)

    def forget(self) -> None:
        """A server start or stop: answered requests count B -> A; the rest is dropped."""
        self._settle(math.inf)
        self.began.clear()

    def close(self, start: int) -> MinuteLatency:
        """Close the minute starting at epoch ``start``; returns it and starts the next."""
        self._settle(start)
        if self.began:
            oldest = start - MAX_REQUEST_SECONDS
            for rid, pending in list(self.began.items()):
                if pending.began < oldest:
                    del self.began[rid]
                    self.answered.pop(rid, None)
        closed, self.minute = self.minute, MinuteLatency()
        return closed

    def dump(self) -> list[Any]:
        began = self.began
        return [
            {rid: pending.began for rid, pending in began.items()},
            self.answered,
            self.minute.dump(),
            {rid: p.dump(self.keep_query) for rid, p in began.items()} if self.slowest else {},
        ]

    @classmethod
    def load(
        cls, target: float, data: list[Any], slowest: int = 0, keep_query: bool = False
    ) -> LatencyState:
        state = cls(target, slowest, keep_query)
        state.began = {str(rid): Pending(float(when)) for rid, when in data[0].items()}
        state.answered = {str(rid): float(answer) for rid, answer in data[1].items()}
        state.minute = MinuteLatency.load(data[2])
        if slowest and len(data) > 3:
            for rid, details in data[3].items():
                pending = state.began.get(str(rid))
                if pending is not None:
                    pending.load_details(details)
        return state


class ApdexTargets:
    """Apdex T per customer: ``"0.5"`` or ``"0.5,acme=0.2,beta=1"`` (default first)."""

    def __init__(self, spec: str = "") -> None:
        self.default = DEFAULT_APDEX_T
        self.customers: dict[str, float] = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, eq, value = part.rpartition("=")
            seconds = _seconds(value, spec)
            if eq:
                self.customers[name.strip()] = seconds
            else:
                self.default = seconds

    def target(self, customer: str) -> float:
        return self.customers.get(customer, self.default)


def _seconds(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or not math.isfinite(value):
        raise ValueError(
            f"bad apdex target {text.strip()[:40]!r} in {spec[:80]!r}: "
            "seconds > 0, as T or customer=T separated by commas"
        )
    return value
