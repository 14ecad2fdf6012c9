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
import time

from graphmetrics.graphite.grammar import TargetError

MAX_CALLS = 10_000
MAX_POINTS = 5_000_000
# A light request (evaluated in the web process, or by any idle worker) stays within
# these; one that does not is handed over as heavy work (render.admission).
LIGHT_CALLS = 200
LIGHT_POINTS = 300_000
LIGHT_SECONDS = 0.3


class TooMuch(TargetError):
    """The request needs more calls or points than one request may use."""


class NotLight(Exception):
    """A request evaluated as light outgrew the light budget: run it again as heavy."""


class Budget:
    """What one request may still use; shared by every :class:`Context` of it.

    A ``light`` budget raises :class:`NotLight` instead of :class:`TooMuch`, also
    once ``seconds`` have passed (checked at each call and fetch).
    """

    def __init__(
        self,
        max_calls: int = MAX_CALLS,
        max_points: int = MAX_POINTS,
        light: bool = False,
        seconds: float = LIGHT_SECONDS,
    ) -> None:
        self.max_calls = max_calls
        self.max_points = max_points
        self.light = light
        self.until = time.monotonic() + seconds
        self.calls = 0
        self.points = 0
        self._lock = threading.Lock()

    @classmethod
    def for_light(cls) -> Budget:
        return cls(LIGHT_CALLS, LIGHT_POINTS, light=True)

    def _check_light(self, over: bool) -> None:
        if self.light and (over or time.monotonic() > self.until):
            raise NotLight

    def charge_call(self, name: str) -> None:
        with self._lock:
            self.calls += 1
            self._check_light(self.calls > self.max_calls)
            if self.calls > self.max_calls:
                raise TooMuch(
                    f"{name}: more than {self.max_calls} function calls in one request; "
                    "simplify the targets"
                )

    def charge_points(self, points: int, what: str) -> None:
        """Count ``points`` about to be read or made; :class:`TooMuch` past the budget."""
        with self._lock:
            self._check_light(self.points + points > self.max_points)
            if self.points + points > self.max_points:
                raise TooMuch(
                    f"{what}: would read or make about {points} points, more than the "
                    f"{self.max_points} one request may use ({self.points} used already); "
                    "narrow the targets or shorten the range"
                )
            self.points += points
