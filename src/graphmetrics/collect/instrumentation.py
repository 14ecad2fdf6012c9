"""How the collectors report on themselves: GC tuning, status-line pacing, back-off.

Every collector (``graphmetrics-tracelog``, ``graphmetrics-kinesis``, each
``graphmetrics-kcl process``) logs a status line every ``status_interval`` seconds:
its throughput since the last line, its input counters, then the write counters
of :class:`~graphmetrics.rrd.writer.WriteCounters` (``written=... unverified=...``),
named alike in all three (docs/operations.md, "Status lines").
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: ``gc.set_threshold`` for every collector: young collections every 100 000 new
#: containers instead of 700, middle every 50 of those, full every 100 middle ones.
#: The tracelog daemon: one thread, millions of short-lived objects per cycle and no
#: latency to keep: young collections as rarely as possible (~5% of the time at
#: CPython's default of 700).
TRACELOG_GC = (100_000, 50, 100)
#: The Kinesis consumers: reader threads wait on GetRecords while the main thread
#: decodes, so a long young collection holding the GIL stalls every reader; full
#: collections over the long-lived caches (name -> path, last update per file) took
#: up to a third of the end-to-end time at the default thresholds.  Smaller young
#: generations, rarer full ones (measured by ``python -m bench kinesis``: with the
#: tracelog's thresholds its live end-to-end ratio fell from 0.99 to 0.60).
KINESIS_GC = (10_000, 10, 10)


def tune_gc(thresholds: tuple[int, int, int]) -> None:
    """Collect garbage less often than CPython's default, by one of the policies above.

    The hot loops allocate several short-lived containers per tracelog line or
    Kinesis record and make no reference cycles worth chasing sooner, while the
    daemons hold large long-lived caches.
    """
    gc.set_threshold(*thresholds)


@dataclass
class Throughput:
    """When the next status line is due, and the rate of a counter since the last one."""

    interval: float
    clock: Callable[[], float] = time.monotonic
    _last_time: float = field(init=False)
    _last_count: int = field(default=0, init=False)
    _due: float = field(init=False)

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Count from now (a run starting)."""
        self._last_time = self.clock()
        self._due = self._last_time + self.interval

    def due(self) -> bool:
        return self.clock() >= self._due

    def rate(self, count: int) -> float:
        """Per second since the last call; the next line is due an interval from now."""
        now = self.clock()
        rate = (count - self._last_count) / max(now - self._last_time, 1e-9)
        self._last_time, self._last_count = now, count
        self._due = now + self.interval
        return rate


#: Retrying files that cannot be written for now: first and longest pause (seconds).
RETRY_FIRST = 0.5
RETRY_MAX = 30.0


@dataclass
class Backoff:
    """Pauses doubling from ``first`` up to ``longest``: 0.5, 1, 2 ... 30 s."""

    first: float = RETRY_FIRST
    longest: float = RETRY_MAX
    delay: float = 0.0

    def next(self) -> float:
        self.delay = min(max(self.delay * 2, self.first), self.longest)
        return self.delay
