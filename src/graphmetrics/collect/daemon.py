"""The collectors' loop: poll, commit, report, wait; a stop request only sets a flag.

Modelled on arroyo's ``StreamProcessor``: a :class:`Processor` does one step of work
per :meth:`~Processor.poll` (read what is new, decode, hand it to the writer);
:meth:`~Processor.checkpoint` makes the progress durable (write what is pending,
flush and verify rrdcached, and only then save offsets or checkpoints), and is the
*last* step, so progress is recorded only once the work is on disk.  ``--once`` polls
until the processor is caught up.  The clocks
(:class:`Clock`) and the :class:`WakeSource` are passed in, so unit tests run the
loop without real time or a file watcher.

Shutdown: a signal calls :meth:`DaemonLoop.request_stop`, which sets a flag and wakes
the loop; the loop finishes its step, then :meth:`~Processor.join` drains what is
in flight, writes and checkpoints, and the loop returns whether everything was
saved (a daemon exits 1 otherwise: what could not be written is read again by the
next run).
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

    def poll(self, stop: Callable[[], bool]) -> bool:
        """Read and process what is new, returning early once ``stop()`` is true;
        True when caught up (all input there was is read)."""

    def checkpoint(self) -> None:
        """Every ``checkpoint_interval``: write what is pending, then save the progress."""

    def join(self) -> bool:
        """At the end: finish what is in flight, write, checkpoint; False when some
        progress could not be saved."""

    def report(self, final: bool = False) -> None:
        """Log the status line when it is due (always when ``final``)."""

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
        """Poll until stopped (``once``: until caught up), then join; True when saved.
        The final status line is logged however the run ends."""
        try:
            self._poll_until_stopped(once)
            return self.processor.join()
        finally:
            try:
                self.processor.report(final=True)
            finally:
                self.processor.close()
                self.wake.close()

    def _poll_until_stopped(self, once: bool) -> None:
        processor, options, monotonic = self.processor, self.options, self.clock.monotonic
        last_checkpoint = monotonic()
        while not self._stop.is_set():
            self.wake.clear()
            if processor.poll(self._stop.is_set) and once:
                return
            if monotonic() - last_checkpoint >= options.checkpoint_interval:
                processor.checkpoint()
                last_checkpoint = monotonic()
            processor.report()
            if options.poll_interval > 0:
                self._wait(monotonic() + options.poll_interval)

    def _wait(self, deadline: float) -> None:
        """At least ``min_cycle``, then until woken, stopped or ``deadline``."""
        self._stop.wait(self.options.min_cycle)  # batch bursts of file events
        while not self._stop.is_set() and self.clock.monotonic() < deadline:
            if self.wake.wait(timeout=min(0.2, max(deadline - self.clock.monotonic(), 0))):
                return
