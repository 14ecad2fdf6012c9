"""Who may start heavy work now: a few at a time, a short queue, a share per user.

Without it twenty heavy graphs took every waitress thread (each waiting for a
worker for up to the deadline), and a light graph, a page or ``/healthz`` waited
behind them.  Heavy work (a ``/render`` graph that is not light, a Graphite target
that outgrew the light budget) is admitted here first:

- at most ``slots`` heavy jobs run at once (one worker fewer than the pool has,
  so a light job always finds a worker within milliseconds);
- at most ``queue`` more wait for a slot, each until its deadline; past that
  the answer is at once a :class:`RenderBusy` with a ``retry_after``;
- one user (or API token's user, or address) has at most ``per_user`` heavy
  jobs running or waiting; the next is refused at once the same way.

So heavy work holds at most ``slots + queue`` threads, and the rest stay free for
everything cheap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator

from graphmetrics.render.graph import RenderError


class RenderBusy(RenderError):
    """No worker could take the job now; ``retry_after`` seconds is worth waiting."""

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Admission:
    """Admission of heavy jobs: ``slots`` running, ``queue`` waiting, ``per_user`` each."""

    def __init__(self, slots: int, queue: int, per_user: int) -> None:
        if slots < 1 or queue < 0 or per_user < 1:
            raise ValueError(f"need slots, per_user >= 1, queue >= 0: {slots} {queue} {per_user}")
        self.slots = slots
        self.queue = queue
        self.per_user = per_user
        self.running = 0
        self.waiting = 0
        self.refused = 0
        self._users: Counter[str] = Counter()
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def heavy(self, user: str, until: float) -> Iterator[None]:
        """Hold a heavy slot for the block; :class:`RenderBusy` at once when the queue
        or ``user``'s share is full, or when no slot came free by ``until``."""
        with self._cond:
            self._admit(user)
            self._users[user] += 1
            try:
                self._wait(until)
            except BaseException:
                self._leave(user)
                raise
        try:
            yield
        finally:
            with self._cond:
                self.running -= 1
                self._leave(user)
                self._cond.notify()

    def _admit(self, user: str) -> None:
        if self._users[user] >= self.per_user:
            self.refused += 1
            raise RenderBusy(
                f"you have {self.per_user} heavy graphs being drawn already; wait for them "
                "(or make the graph lighter: a shorter range, fewer series, a smaller size)",
                retry_after=5,
            )
        if self.running >= self.slots and self.waiting >= self.queue:
            self.refused += 1
            raise RenderBusy(
                f"the server is drawing {self.running} heavy graphs with {self.waiting} "
                "waiting; try again in a few seconds",
                retry_after=2,
            )

    def _wait(self, until: float) -> None:
        self.waiting += 1
        try:
            while self.running >= self.slots:
                left = until - time.monotonic()
                if left <= 0:
                    raise RenderBusy("no heavy render slot came free in time; try again shortly")
                self._cond.wait(left)
        finally:
            self.waiting -= 1
        self.running += 1

    def _leave(self, user: str) -> None:
        self._users[user] -= 1
        if self._users[user] <= 0:
            del self._users[user]
