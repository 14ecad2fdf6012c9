"""One Graphite request's budget: function calls and points, counted before the work.

A request's targets share one :class:`Budget` (``Context.budget``).  The evaluator
charges a call per function it runs; the reader charges the points a fetch would
read (files x rows x data sources, estimated from the RRD schemas) *before* it
reads them, so a target naming too much is refused before it costs memory.  A
function that makes many points out of few (``summarize`` into tiny buckets,
``timeStack``...) charges them with :meth:`Budget.charge_points` before making them.
"""

from __future__ import annotations

import threading

from graphmetrics.graphite.grammar import TargetError

MAX_CALLS = 10_000
MAX_POINTS = 2_000_000


class TooMuch(TargetError):
    """The request needs more calls or points than one request may use."""


class Budget:
    """What one request may still use; shared by every :class:`Context` of it."""

    def __init__(self, max_calls: int = MAX_CALLS, max_points: int = MAX_POINTS) -> None:
        self.max_calls = max_calls
        self.max_points = max_points
        self.calls = 0
        self.points = 0
        self._lock = threading.Lock()

    def charge_call(self, name: str) -> None:
        with self._lock:
            self.calls += 1
            if self.calls > self.max_calls:
                raise TooMuch(
                    f"{name}: more than {self.max_calls} function calls in one request; "
                    "simplify the targets"
                )

    def charge_points(self, points: int, what: str) -> None:
        """Count ``points`` about to be read or made; :class:`TooMuch` past the budget."""
        with self._lock:
            if self.points + points > self.max_points:
                raise TooMuch(
                    f"{what}: would read or make about {points} points, more than the "
                    f"{self.max_points} one request may use ({self.points} used already); "
                    "narrow the targets or shorten the range"
                )
            self.points += points
