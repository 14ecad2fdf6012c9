"""``graphmetrics-tracelog``: the tracelog collector daemon."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfoNotFoundError

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from graphmetrics import settings
from graphmetrics.collect.state import StateLockedError, lock_state_dir
from graphmetrics.collect.tailer import (
    FUTURE_TOLERANCE,
    StateError,
    TracelogCollector,
    tune_gc,
)
from graphmetrics.rrd.limits import CreateLimits, DiskFloor
from graphmetrics.rrd.store import RRDStore
from graphmetrics.settings import (
    REQUIRED,
    non_negative_float,
    non_negative_int,
    option,
    parse_bool,
    parse_optional_path,
    parse_optional_str,
    parse_path,
    positive_float,
)
from graphmetrics.signals import on_signals
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock

log = logging.getLogger("graphmetrics.tracelog")

#: at most this many cycles a second however often files change
MIN_CYCLE_SECONDS = 0.5


def _timezone(text: str) -> str:
    try:
        MinuteClock(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {text!r}") from exc
    return text


@dataclass(frozen=True)
class TracelogSettings:
    log_dir: Path = option(
        REQUIRED, "directory syslog-ng writes tracelog files to", parse=parse_path
    )
    rrd_dir: Path = option(
        REQUIRED, "RRD directory (files go to RRD_DIR/tracelog/)", parse=parse_path
    )
    glob: str = option("*.log", "file name pattern in LOG_DIR; NAME.gz matches too")
    timezone: str = option("UTC", "time zone of the log timestamps (IANA name)", parse=_timezone)
    state_dir: Path | None = option(
        None,
        "where offsets and minute state are kept (default RRD_DIR/.state)",
        parse=parse_optional_path,
    )
    rrdcached: str | None = option(
        None, "rrdcached address, e.g. unix:/run/rrdcached.sock", parse=parse_optional_str
    )
    max_new_files_per_minute: int = option(
        100,
        "create at most N new RRD files (instances) in any minute (0: no limit); the "
        "minutes of an instance whose file is refused are dropped and counted",
        parse=non_negative_int,
        metavar="N",
    )
    min_free_disk: DiskFloor = option(
        DiskFloor(),
        "create no RRD file that would leave less free space than this on its file "
        "system: bytes (K M G T suffixes) or a percentage such as 5%% (0: no floor); "
        "the minutes of an instance whose file is refused are dropped and counted",
        parse=DiskFloor.parse,
        metavar="SIZE",
    )
    default_host: str = option("localhost", "host for plain tracelog files without a source prefix")
    default_customer: str = option("default", "customer for plain tracelog files")
    idle_flush: float = option(
        120.0,
        "write a quiet instance's last minute once the input (its host's newest record, or "
        "the wall clock when all input is silent) is this many seconds past its end (0: never)",
        parse=non_negative_float,
    )
    future_tolerance: float = option(
        FUTURE_TOLERANCE,
        "skip records dated more than this many seconds ahead of the wall clock (counted "
        "as future)",
        parse=non_negative_float,
    )
    poll_interval: float = option(
        5.0, "seconds between scans when no file event arrives", parse=positive_float
    )
    checkpoint_interval: float = option(
        5.0, "seconds between state checkpoints", parse=positive_float
    )
    status_interval: float = option(60.0, "seconds between status log lines", parse=positive_float)
    log_level: str = option("INFO", "logging level (DEBUG shows every skipped line)")
    polling: bool = option(
        False, "watch with polling instead of inotify", parse=parse_bool, flag=True
    )
    once: bool = option(
        False, "process what is there, checkpoint and exit", parse=parse_bool, flag=True
    )


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


def _start_observer(cfg: TracelogSettings, wake: threading.Event) -> BaseObserver:
    recursive = "/" in cfg.glob
    for factory in (PollingObserver,) if cfg.polling else (Observer, PollingObserver):
        observer = factory()
        try:
            observer.schedule(_Wake(wake), str(cfg.log_dir), recursive=recursive)
            observer.start()
            return observer
        except OSError as exc:
            log.warning("%s failed (%s); falling back to polling", type(observer).__name__, exc)
    raise RuntimeError("no file watcher could start")


class Status:
    """The periodic status line: throughput since the last one, counters since the start."""

    def __init__(self, collector: TracelogCollector, interval: float) -> None:
        self.collector = collector
        self.interval = interval
        self.last_time = time.monotonic()
        self.last_lines = 0

    def maybe_log(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_time < self.interval:
            return
        stats = self.collector.stats
        rate = (stats.lines - self.last_lines) / max(now - self.last_time, 1e-9)
        store = self.collector.store.stats
        log.info(
            "status: %.0f lines/s, lines=%d skipped=%d %s late=%d future=%d minutes_written=%d "
            "old_minutes_skipped=%d write_errors=%d created=%d refused_files=%d "
            "refused_minutes=%d unverified=%d instances=%d files=%d",
            rate,
            stats.lines,
            stats.skipped,
            stats.skip_reasons,
            self.collector.aggregator.late,
            self.collector.aggregator.future,
            stats.rows,
            store.skipped_old,
            stats.write_errors,
            store.created,
            store.refused,
            store.refused_samples,
            store.unverified,
            len(self.collector.aggregator.instances),
            len(self.collector.files),
        )
        self.last_time, self.last_lines = now, stats.lines


def build_collector(cfg: TracelogSettings) -> TracelogCollector:
    state_dir = cfg.state_dir or cfg.rrd_dir / ".state"
    collector = TracelogCollector(
        cfg.log_dir,
        RRDStore(
            cfg.rrd_dir,
            cfg.rrdcached,
            CreateLimits(cfg.max_new_files_per_minute, cfg.min_free_disk),
        ),
        Aggregator(MinuteClock(cfg.timezone)),
        state_dir / "tracelog.json",
        glob=cfg.glob,
        default_host=cfg.default_host,
        default_customer=cfg.default_customer,
        idle_flush=cfg.idle_flush,
        future_tolerance=cfg.future_tolerance,
    )
    collector.load_state()
    return collector


def run(cfg: TracelogSettings) -> int:
    if not cfg.log_dir.is_dir():
        log.error("log directory %s does not exist", cfg.log_dir)
        return 2
    state_dir = cfg.state_dir or cfg.rrd_dir / ".state"
    try:
        lock = lock_state_dir(state_dir, "tracelog")
    except StateLockedError as exc:
        log.error("%s", exc)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch", signum)
        stop.set()

    on_signals(on_signal)
    tune_gc()
    try:
        collector = build_collector(cfg)
    except StateError as exc:
        log.error("%s", exc)
        lock.close()
        return 2
    status = Status(collector, cfg.status_interval)
    try:
        if cfg.once:
            collector.cycle(stop.is_set)
        else:
            _follow(cfg, collector, status, stop)
        saved = collector.checkpoint()
        status.maybe_log(force=True)
    finally:
        collector.close()
        lock.close()
    if not saved:
        log.error(
            "exiting with minutes not written or the state not saved; the next run reads "
            "those lines again (minutes already written are not written twice)"
        )
        return 1
    return 0


def _follow(
    cfg: TracelogSettings, collector: TracelogCollector, status: Status, stop: threading.Event
) -> None:
    wake = threading.Event()
    observer = _start_observer(cfg, wake)
    last_checkpoint = time.monotonic()
    log.info("following %s/%s into %s", cfg.log_dir, cfg.glob, cfg.rrd_dir)
    try:
        while not stop.is_set():
            wake.clear()
            collector.cycle(stop.is_set)
            collector.close_quiet()
            if time.monotonic() - last_checkpoint >= cfg.checkpoint_interval:
                collector.checkpoint()
                last_checkpoint = time.monotonic()
            status.maybe_log()
            deadline = time.monotonic() + cfg.poll_interval
            stop.wait(MIN_CYCLE_SECONDS)  # batch bursts of file events
            while not (stop.is_set() or wake.is_set()) and time.monotonic() < deadline:
                wake.wait(timeout=0.2)
    finally:
        observer.stop()
        observer.join(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
    cfg = settings.from_command_line(
        TracelogSettings,
        argv,
        prog="graphmetrics-tracelog",
        description="Tail zope/zc.resumelb tracelog files written by syslog-ng and keep "
        "per-instance, per-minute RRD files (rpm, epm, bl, spr, start).",
    )
    logging.basicConfig(
        level=cfg.log_level.upper(),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
