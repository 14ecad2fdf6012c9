"""A customer's response times over all its instances: merged sketches (pure).

docs/inputs.md, "Pools". When an instance closes a minute, its sketches and apdex
counts are added to its customer's pool minute (:meth:`Pools.add`); a pool minute
is written once no instance of the customer can add to it any more
(:meth:`Pools.close`, the bound computed by ``Aggregator.close_pools``). Its
quantiles are those of every request of every instance in that minute — the
sketches merged by adding their bucket counts, as DDSketch merges — never a mean of
the instances' quantiles.

A pool minute keeps at most :data:`COMPACT_AT` durations: the instances' durations
are appended as they come (a list ``extend``) and counted into buckets past that, or
when the minute is saved with the state, so a pool minute held while a slow host
catches up costs a few dozen counts, whatever its traffic. A minute written before
(the usual case) is read as :class:`Sketch` reads one: sorted, the bucket of the
element at each rank. Reading a quantile from counts gives the same value: a
bucket's key grows with its values, so the bucket holding the element of rank
``q * (n - 1)`` is the first whose running count passes that rank.
"""

from __future__ import annotations

from typing import Any, Final

from graphmetrics.tracelog.latency import (
    Apdex,
    LatencyValues,
    MinuteLatency,
    Sketch,
    bucket,
    bucket_value,
    dump_counts,
    load_counts,
)

#: durations appended to a pool sketch before they are counted into buckets (a pool
#: minute read before that sorts them instead: three bucket keys, not one per duration)
COMPACT_AT: Final = 50_000

#: a pool minute's values: requests timed B -> E, then the LATENCY_DS values
PoolValues = tuple[float | None, ...]
#: (end of the minute, values), as the instances' rows
PoolRow = tuple[int, PoolValues]


class PoolSketch:
    """A DDSketch of many instances' durations, kept as bucket counts."""

    __slots__ = ("counts", "counted", "max", "pending")

    def __init__(self) -> None:
        #: bucket key -> durations in it
        self.counts: dict[int, int] = {}
        #: durations in :attr:`counts`
        self.counted = 0
        self.max = -1.0
        #: durations added and not yet counted
        self.pending: list[float] = []

    @property
    def count(self) -> int:
        return self.counted + len(self.pending)

    def add(self, sketch: Sketch) -> None:
        """Merge an instance's minute (its durations, its exact maximum)."""
        if not sketch.durations:
            return
        self.pending.extend(sketch.durations)
        if sketch.max > self.max:
            self.max = sketch.max
        if len(self.pending) >= COMPACT_AT:
            self.compact()

    def compact(self) -> None:
        """Count the pending durations into their buckets."""
        counts = self.counts
        for duration in self.pending:
            key = bucket(duration)
            counts[key] = counts.get(key, 0) + 1
        self.counted += len(self.pending)
        self.pending = []

    def summary(self) -> LatencyValues:
        """p50, p90, p99 (DDSketch's ranks) and the exact max, or unknowns when empty."""
        if not self.counts:
            if not self.pending:
                return (None, None, None, None)
            ordered = sorted(self.pending)
            last = len(ordered) - 1
            return (
                bucket_value(bucket(ordered[int(0.5 * last)])),
                bucket_value(bucket(ordered[int(0.9 * last)])),
                bucket_value(bucket(ordered[int(0.99 * last)])),
                self.max,
            )
        self.compact()
        n = self.counted
        if not n:
            return (None, None, None, None)
        keys = sorted(self.counts)
        found: list[float | None] = []
        for q in (0.5, 0.9, 0.99):
            rank = int(q * (n - 1))
            running = 0
            for key in keys:
                running += self.counts[key]
                if running > rank:
                    found.append(bucket_value(key))
                    break
        return (found[0], found[1], found[2], self.max)

    def dump(self) -> list[Any]:
        self.compact()
        return dump_counts(self.max, self.counts)

    @classmethod
    def load(cls, data: list[Any]) -> PoolSketch:
        sketch = cls()
        sketch.max, counts = load_counts(data)
        for key, n in counts:
            sketch.counts[key] = n
            sketch.counted += n
        return sketch


class PoolMinute:
    """One customer's minute: the merged sketches of total, app and wait times, and
    the summed apdex counts."""

    __slots__ = ("total", "app", "wait", "apdex")

    def __init__(self) -> None:
        self.total = PoolSketch()
        self.app = PoolSketch()
        self.wait = PoolSketch()
        self.apdex = Apdex()

    def add(self, minute: MinuteLatency) -> None:
        self.total.add(minute.total)
        self.app.add(minute.app)
        self.wait.add(minute.wait)
        self.apdex.merge(minute.apdex)

    def values(self) -> PoolValues:
        """``requests`` (timed B -> E), then the :data:`LATENCY_DS` values."""
        return (
            float(self.total.count),
            *self.total.summary(),
            *self.app.summary(),
            *self.wait.summary(),
            self.apdex.score(),
        )

    def dump(self) -> list[Any]:
        return [self.total.dump(), self.app.dump(), self.wait.dump(), self.apdex.dump()]

    @classmethod
    def load(cls, data: list[Any]) -> PoolMinute:
        minute = cls()
        minute.total, minute.app, minute.wait = (PoolSketch.load(d) for d in data[:3])
        minute.apdex = Apdex.load(data[3])
        return minute


class Pools:
    """Every customer's pool minutes not written yet, and the rows ready to write."""

    __slots__ = ("pending", "written", "rows", "late")

    def __init__(self) -> None:
        #: customer -> minute start -> merged minute
        self.pending: dict[str, dict[int, PoolMinute]] = {}
        #: customer -> start of the last pool minute closed (written or empty)
        self.written: dict[str, int] = {}
        #: customer -> rows closed since the last :meth:`take_rows`
        self.rows: dict[str, list[PoolRow]] = {}
        #: instance minutes that came after their pool minute was closed (counted in
        #: the instance's file only)
        self.late = 0

    def add(self, customer: str, start: int, minute: MinuteLatency) -> None:
        """An instance of ``customer`` closed the minute starting at ``start``."""
        if start <= self.written.get(customer, -1):
            self.late += 1
            return
        minutes = self.pending.get(customer)
        if minutes is None:
            minutes = self.pending[customer] = {}
        pool = minutes.get(start)
        if pool is None:
            pool = minutes[start] = PoolMinute()
        pool.add(minute)

    def close(self, customer: str, before: int) -> None:
        """Close ``customer``'s pool minutes starting before ``before``, oldest first."""
        minutes = self.pending.get(customer)
        if not minutes:
            return
        due = sorted(start for start in minutes if start < before)
        if not due:
            return
        rows = self.rows.setdefault(customer, [])
        for start in due:
            rows.append((start + 60, minutes.pop(start).values()))
        self.written[customer] = due[-1]
        if not minutes:
            del self.pending[customer]

    def waiting(self) -> int:
        """Pool minutes not written yet (every customer's)."""
        return sum(len(minutes) for minutes in self.pending.values())

    def take_rows(self) -> dict[str, list[PoolRow]]:
        rows, self.rows = self.rows, {}
        return rows

    def dump(self) -> dict[str, Any]:
        return {
            "pending": {
                customer: [[start, m.dump()] for start, m in sorted(minutes.items())]
                for customer, minutes in self.pending.items()
            },
            "written": self.written,
            "late": self.late,
        }

    def load(self, data: dict[str, Any] | None) -> None:
        if not data:
            return
        self.pending = {
            str(customer): {int(start): PoolMinute.load(m) for start, m in minutes}
            for customer, minutes in data.get("pending", {}).items()
        }
        self.pending = {c: m for c, m in self.pending.items() if m}
        self.written = {str(c): int(start) for c, start in data.get("written", {}).items()}
        self.late = int(data.get("late", 0))
