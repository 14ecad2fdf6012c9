"""``graphmetrics-tracelog`` as a daemon: the collector under the collectors' loop.

:class:`TracelogOptions` is everything the daemon needs (``cli/tracelog.py`` builds
it from the settings); :func:`run` takes the state directory's lock, builds the
:class:`~graphmetrics.collect.tailer.TracelogCollector`, and runs it as a
:class:`~graphmetrics.collect.daemon.Processor` of the
:class:`~graphmetrics.collect.daemon.DaemonLoop`, woken by a watchdog observer
(inotify, or polling) on the log directory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from graphmetrics.collect.daemon import Clock, DaemonLoop, EventWake, LoopOptions
from graphmetrics.collect.instrumentation import TRACELOG_GC, Throughput, tune_gc
from graphmetrics.collect.slowest_store import DEFAULT_KEEP_DAYS, SlowestStore
from graphmetrics.collect.state import StateLockedError, lock_state_dir
from graphmetrics.collect.tailer import (
    FUTURE_TOLERANCE,
    POOL_WAIT,
    StateError,
    TracelogCollector,
)
from graphmetrics.rrd.limits import CreateLimits
from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.upgrade import upgrade_dir
from graphmetrics.signals import on_signals
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from graphmetrics.tracelog.latency import ApdexTargets
from graphmetrics.tracelog.slowest import DEFAULT_SLOWEST

log = logging.getLogger("graphmetrics.tracelog")


@dataclass(frozen=True)
class TracelogOptions:
    """What ``graphmetrics-tracelog`` runs with (its settings, resolved)."""

    log_dir: Path
    rrd_dir: Path
    state_dir: Path
    glob: str = "*.log"
    timezone: str = "UTC"
    rrdcached: str | None = None
    limits: CreateLimits = field(default_factory=CreateLimits)
    default_host: str = "localhost"
    default_customer: str = "default"
    idle_flush: float = 120.0
    future_tolerance: float = FUTURE_TOLERANCE
    #: apdex T: seconds, or ``"0.5,acme=0.2"`` (a default and per-customer targets)
    apdex_t: str = ""
    #: the slowest requests kept per instance and minute (0: none), their URLs' query
    #: strings kept or not, and for how many days (RRD_DIR/slowest)
    slowest: int = DEFAULT_SLOWEST
    slowest_keep_query: bool = False
    slowest_days: int = DEFAULT_KEEP_DAYS
    #: a host not read for this many seconds no longer holds its customers' pools
    pool_wait: float = POOL_WAIT
    loop: LoopOptions = field(default_factory=LoopOptions)
    polling: bool = False
    once: bool = False


class FileWake(EventWake):
    """Wakes the loop on any event in the log directory (watchdog's observer thread)."""

    def __init__(self, log_dir: Path, recursive: bool, polling: bool) -> None:
        super().__init__()
        self.observer = self._start(log_dir, recursive, polling)

    def _start(self, log_dir: Path, recursive: bool, polling: bool) -> BaseObserver:
        handler = _OnAnyEvent(self.set)
        for factory in (PollingObserver,) if polling else (Observer, PollingObserver):
            observer = factory()
            try:
                observer.schedule(handler, str(log_dir), recursive=recursive)
                observer.start()
                return observer
            except OSError as exc:
                log.warning("%s failed (%s); falling back to polling", type(observer).__name__, exc)
        raise RuntimeError("no file watcher could start")

    def close(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


class _OnAnyEvent(FileSystemEventHandler):
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.wake()


class TracelogProcessor:
    """The collector as the loop's :class:`~graphmetrics.collect.daemon.Processor`."""

    def __init__(
        self,
        collector: TracelogCollector,
        status_interval: float,
        *,
        once: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.collector = collector
        self.once = once
        self.throughput = Throughput(status_interval, (clock or Clock()).monotonic)

    def poll(self, stop: Callable[[], bool]) -> bool:
        """One cycle reads every file to its end; with ``once``, caught up when no
        minute is held for a file that may not be created yet (it waits for the
        creation budget, a status line saying so) or only the disk floor holds them."""
        self.collector.cycle(stop)
        if not self.once:
            self.collector.close_quiet()
            return True
        writer = self.collector.writer
        wait = writer.creation_wait()
        if wait <= 0 and writer.held and writer.write_held():
            wait = writer.creation_wait()  # some were written: maybe more may be
        if not writer.held or wait <= 0:
            return True  # done, or held by the disk floor: join says so
        log.info(
            "waiting %.1fs for the creation budget (--max-new-files-per-minute): "
            "held_files=%d held_samples=%d",
            wait,
            len(writer.held.files),
            writer.held.samples,
        )
        deadline = time.monotonic() + min(wait, 5.0)
        while not stop() and time.monotonic() < deadline:
            time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))
        return False

    def checkpoint(self) -> None:
        self.collector.checkpoint()

    def join(self) -> bool:
        saved = self.collector.checkpoint()
        held = self.collector.writer.held
        if saved and self.once and held:
            log.error(
                "%d minutes of %d new instances are held (saved with the state): %s; the "
                "next run writes them once their files may be created",
                held.samples,
                len(held.files),
                self.collector.store.disk_note() or "their files may not be created yet",
            )
            return False
        return saved

    def report(self, final: bool = False) -> None:
        """The status line: throughput since the last one, counters since the start."""
        if not final and not self.throughput.due():
            return
        collector = self.collector
        stats = collector.stats
        writer = collector.writer
        wait = writer.creation_wait()
        notes = [f"next_create_in={wait:.0f}s"] if wait > 0 else []
        notes += [note] if (note := collector.store.disk_note()) else []
        if collector.slowest is not None:
            notes.append(collector.slowest.counters.status())
        log.info(
            "status: %.0f lines/s, lines=%d skipped=%d %s late=%d future=%d pool_late=%d "
            "pool_waiting=%d %s instances=%d files=%d%s",
            self.throughput.rate(stats.lines),
            stats.lines,
            stats.skipped,
            stats.skip_reasons,
            collector.aggregator.late,
            collector.aggregator.future,
            collector.aggregator.pools.late,
            collector.aggregator.pools.waiting(),
            writer.counters.status(),
            len(collector.aggregator.instances),
            len(collector.files),
            "".join(f" ({n})" for n in notes),
        )

    def close(self) -> None:
        self.collector.close()
        self.collector.store.close()


def build_collector(options: TracelogOptions, clock: Clock | None = None) -> TracelogCollector:
    """The collector of ``options``, its saved state loaded (raises StateError)."""
    clock = clock or Clock()
    store = RRDStore(
        options.rrd_dir,
        options.rrdcached,
        replace(options.limits, journal=options.state_dir / "tracelog.creations"),
    )
    upgrade_files(options, store)
    collector = TracelogCollector(
        options.log_dir,
        store,
        Aggregator(
            MinuteClock(options.timezone),
            apdex=ApdexTargets(options.apdex_t),
            slowest=options.slowest,
            keep_query=options.slowest_keep_query,
        ),
        options.state_dir / "tracelog.json",
        glob=options.glob,
        default_host=options.default_host,
        default_customer=options.default_customer,
        idle_flush=options.idle_flush,
        future_tolerance=options.future_tolerance,
        pool_wait=options.pool_wait,
        clock=clock.wall,
        slowest=(
            SlowestStore(options.rrd_dir, options.slowest_days, clock=clock.wall)
            if options.slowest > 0
            else None
        ),
    )
    collector.load_state()
    return collector


def upgrade_files(options: TracelogOptions, store: RRDStore) -> None:
    """Existing tracelog files gain the schema's new data sources (once per folder)."""
    if store.remote:
        log.info(
            "tracelog files on a storage node gain new data sources on the node: "
            "python -m graphmetrics.rrd.upgrade RRD_DIR there (until then their "
            "original data sources are written, the response times are not)"
        )
        return
    upgrade_dir(
        options.rrd_dir / "tracelog",
        TRACELOG,
        marker=options.state_dir / "tracelog-schema",
        daemon=options.rrdcached,
    )


def run(options: TracelogOptions) -> int:
    """The daemon: 0 when everything read was written and saved, 1 when not, 2 when it
    could not start."""
    if not options.log_dir.is_dir():
        log.error("log directory %s does not exist", options.log_dir)
        return 2
    try:
        lock = lock_state_dir(options.state_dir, "tracelog")
    except StateLockedError as exc:
        log.error("%s", exc)
        return 2
    try:
        return _run_locked(options)
    finally:
        lock.close()


def _run_locked(options: TracelogOptions) -> int:
    stop_requested = False
    loop: DaemonLoop | None = None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        log.info("signal %d: finishing the current batch", signum)
        stop_requested = True
        if loop is not None:
            loop.request_stop()

    on_signals(on_signal)
    tune_gc(TRACELOG_GC)
    try:
        collector = build_collector(options)
    except StateError as exc:
        log.error("%s", exc)
        return 2
    processor = TracelogProcessor(collector, options.loop.status_interval, once=options.once)
    if options.once:
        wake = EventWake()
    else:
        wake = FileWake(options.log_dir, "/" in options.glob, options.polling)
        log.info("following %s/%s into %s", options.log_dir, options.glob, options.rrd_dir)
    loop = DaemonLoop(processor, wake, options.loop)
    if stop_requested:
        loop.request_stop()
    if not loop.run(once=options.once):
        log.error(
            "exiting with minutes not written or the state not saved; the next run reads "
            "those lines again (minutes already written are not written twice)"
        )
        return 1
    return 0
