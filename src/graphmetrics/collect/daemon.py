"""The collectors' loop: poll, commit, report, wait; a stop request only sets a flag.

Modelled on arroyo's ``StreamProcessor``: a :class:`Processor` does one step of work
per :meth:`~Processor.poll` (read what is new, decode, hand it to the writer);
:meth:`~Processor.commit` makes the progress durable (write what is pending, flush
and verify rrdcached, and only then save offsets or checkpoints), and is the *last*
step, so progress is recorded only once the work is on disk.  The clocks
(:class:`Clock`) and the :class:`WakeSource` are passed in, so unit tests run the
loop without real time or a file watcher.

Shutdown: a signal calls :meth:`DaemonLoop.request_stop`, which sets a flag and wakes
the loop; the loop finishes its step, commits with ``force`` and returns whether
everything was saved (a daemon exits 1 otherwise: samples that could not be written
for now are read again by the next run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Clock:
    """The time sources of a collector: ``monotonic`` paces it, ``wall`` dates input."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


class WakeSource(Protocol):
    """What tells the loop new input may be there (a file watcher, a queue ...)."""

    def wait(self, timeout: float) -> bool:
        """Block until woken (True) or ``timeout`` seconds passed (False)."""

    def clear(self) -> None: ...

    def close(self) -> None: ...


class EventWake:
    """A wake source over a :class:`threading.Event`; whatever holds it sets it."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def set(self) -> None:
        self.event.set()

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)

    def clear(self) -> None:
        self.event.clear()

    def close(self) -> None:
        pass


class Processor(Protocol):
    """One collector's work, step by step."""

    def poll(self, stop: Callable[[], bool]) -> None:
        """Read and process what is new; return early once ``stop()`` is true."""

    def commit(self, force: bool) -> bool:
        """Write what is pending, then save the progress; False when it was not saved."""

    def log_status(self, final: bool = False) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LoopOptions:
    poll_interval: float = 5.0
    """Longest wait for a wake-up between two steps."""
    checkpoint_interval: float = 5.0
    status_interval: float = 60.0
    min_cycle: float = 0.5
    """Shortest time between two steps, however often the wake source fires (bursts
    of file events are handled in one step)."""


@dataclass
class DaemonLoop:
    """Runs a :class:`Processor` until stopped (or once); see the module docstring."""

    processor: Processor
    wake: WakeSource
    options: LoopOptions = field(default_factory=LoopOptions)
    clock: Clock = field(default_factory=Clock)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def request_stop(self) -> None:
        """Finish the step, commit and return (signal-safe: sets a flag)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, once: bool = False) -> bool:
        """Poll until stopped (``once``: one step), then commit; True when saved."""
        try:
            if once:
                self.processor.poll(self._stop.is_set)
            else:
                self._follow()
            saved = self.processor.commit(force=True)
            self.processor.log_status(final=True)
        finally:
            self.processor.close()
            self.wake.close()
        return saved

    def _follow(self) -> None:
        options, monotonic = self.options, self.clock.monotonic
        last_commit = monotonic()
        while not self._stop.is_set():
            self.wake.clear()
            self.processor.poll(self._stop.is_set)
            if monotonic() - last_commit >= options.checkpoint_interval:
                self.processor.commit(force=False)
                last_commit = monotonic()
            self.processor.log_status()
            self._wait(monotonic() + options.poll_interval)

    def _wait(self, deadline: float) -> None:
        """At least ``min_cycle``, then until woken, stopped or ``deadline``."""
        self._stop.wait(self.options.min_cycle)  # batch bursts of file events
        while not self._stop.is_set() and self.clock.monotonic() < deadline:
            if self.wake.wait(timeout=min(0.2, max(deadline - self.clock.monotonic(), 0))):
                return
