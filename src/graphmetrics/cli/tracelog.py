"""``graphmetrics-tracelog``: the tracelog collector daemon's settings, wired to
:func:`graphmetrics.collect.tracelog_daemon.run`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from graphmetrics import settings
from graphmetrics.collect.daemon import LoopOptions
from graphmetrics.collect.slowest_store import DEFAULT_KEEP_DAYS
from graphmetrics.collect.tailer import FUTURE_TOLERANCE, POOL_WAIT
from graphmetrics.collect.tracelog_daemon import TracelogOptions, run
from graphmetrics.rrd.limits import (
    DEFAULT_FLOOR,
    MAX_HELD_SAMPLES,
    WINDOW,
    CreateLimits,
    DiskFloor,
)
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
    positive_int,
)
from graphmetrics.tracelog.aggregate import MinuteClock
from graphmetrics.tracelog.latency import ApdexTargets
from graphmetrics.tracelog.slowest import DEFAULT_SLOWEST, REQUEST_CHARS


def _timezone(text: str) -> str:
    try:
        MinuteClock(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {text!r}") from exc
    return text


def _apdex(text: str) -> str:
    ApdexTargets(text)  # raises ValueError saying what is wrong
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
        "minutes of an instance whose file may not be created yet are held (and saved "
        "with the state) and written once it may",
        parse=non_negative_int,
        metavar="N",
    )
    min_free_disk: DiskFloor = option(
        DEFAULT_FLOOR,
        "create no RRD file that would leave less free space than this on its file "
        "system: bytes (K M G T suffixes) or a percentage such as 5%% (0: no floor); "
        "the minutes of an instance whose file is refused are held meanwhile",
        parse=DiskFloor.parse,
        metavar="SIZE",
    )
    new_files_window: float = option(
        WINDOW,
        "the minute of --max-new-files-per-minute, in seconds (tests shorten it)",
        parse=positive_float,
        metavar="SECONDS",
    )
    max_held_samples: int = option(
        MAX_HELD_SAMPLES,
        "minutes held at most for instances whose file may not be created yet; past it "
        "such minutes are dropped and counted (refused_files, refused_samples)",
        parse=non_negative_int,
        metavar="N",
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
    apdex_t: str = option(
        "0.5",
        "apdex target T in seconds (satisfied <= T, tolerating <= 4T), with per-customer "
        "targets after it: 0.5,acme=0.2,beta=1",
        parse=_apdex,
        metavar="T[,CUSTOMER=T...]",
    )
    slowest: int = option(
        DEFAULT_SLOWEST,
        "keep the N slowest requests of each instance and minute in RRD_DIR/slowest/ "
        f"(URL up to {REQUEST_CHARS} characters, method, status, size, times; 0: none)",
        parse=non_negative_int,
        metavar="N",
    )
    slowest_keep_query: bool = option(
        False,
        "keep the query string of the slowest requests' URLs (cut off by default)",
        parse=parse_bool,
        flag=True,
    )
    slowest_days: int = option(
        DEFAULT_KEEP_DAYS,
        "delete the slowest requests of days older than this many days",
        parse=positive_int,
        metavar="DAYS",
    )
    pool_wait: float = option(
        POOL_WAIT,
        "a customer's pool minute (RRD_DIR/pool/CUSTOMER.rrd) is written once each of its "
        "instances has closed it; a host whose input stopped this many seconds ago no "
        "longer holds it",
        parse=positive_float,
        metavar="SECONDS",
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


def options(cfg: TracelogSettings) -> TracelogOptions:
    return TracelogOptions(
        log_dir=cfg.log_dir,
        rrd_dir=cfg.rrd_dir,
        state_dir=cfg.state_dir or cfg.rrd_dir / ".state",
        glob=cfg.glob,
        timezone=cfg.timezone,
        rrdcached=cfg.rrdcached,
        limits=CreateLimits(
            cfg.max_new_files_per_minute,
            cfg.min_free_disk,
            cfg.new_files_window,
            max_held=cfg.max_held_samples,
        ),
        default_host=cfg.default_host,
        default_customer=cfg.default_customer,
        idle_flush=cfg.idle_flush,
        future_tolerance=cfg.future_tolerance,
        apdex_t=cfg.apdex_t,
        slowest=cfg.slowest,
        slowest_keep_query=cfg.slowest_keep_query,
        slowest_days=cfg.slowest_days,
        pool_wait=cfg.pool_wait,
        loop=LoopOptions(
            poll_interval=cfg.poll_interval,
            checkpoint_interval=cfg.checkpoint_interval,
            status_interval=cfg.status_interval,
        ),
        polling=cfg.polling,
        once=cfg.once,
    )


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
    return run(options(cfg))


if __name__ == "__main__":
    sys.exit(main())
