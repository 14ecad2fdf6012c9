"""A tracelog producer for the demo: syslog-ng style daily files, backfilled, then live.

    python -m graphmetrics.demo.tracelog_load --log-dir var/tracelog [--instances 12]
        [--backfill-hours 24] [--scale 0.5]

Several customers, hosts and instances with daily load curves, ~1% errors, backlog
when the threads are busy and the odd restart (see :mod:`graphmetrics.tracelog.synth`).
Lines go to ``<log-dir>/YYYY-MM-DD.log`` as syslog-ng would write them: first the
last ``--backfill-hours`` as fast as possible, then each second as it happens, until
SIGTERM or Ctrl-C.  Started again on the same directory (a second ``make demo``,
supervisord restarting it), it goes on after the newest line already there instead
of writing those hours a second time.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO

from graphmetrics.tracelog.synth import default_instances, generate, stamp

log = logging.getLogger("graphmetrics.demo.tracelog_load")


class DailyFiles:
    """Appends each line to its UTC day's file, as syslog-ng's ${YEAR}-${MONTH}-${DAY} does."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.day = ""
        self.file: IO[str] | None = None

    def write(self, when: float, line: str) -> None:
        day = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d")
        if day != self.day:
            self.close()
            self.file = open(self.log_dir / f"{day}.log", "a", encoding="utf-8")  # noqa: SIM115
            self.day = day
        assert self.file is not None
        self.file.write(line + "\n")

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def newest_written(log_dir: Path) -> float | None:
    """The time of the last whole line in the newest day file, ending a cut line."""
    days = sorted(log_dir.glob("????-??-??.log"))
    if not days:
        return None
    with open(days[-1], "rb+") as f:
        size = f.seek(0, 2)
        f.seek(max(0, size - 65536))
        tail = f.read()
        if tail and not tail.endswith(b"\n"):
            f.write(b"\n")  # killed in the middle of a line: end it
    for line in reversed(tail.split(b"\n")[:-1] if b"\n" in tail else []):
        words = line.decode("utf-8", "replace").split()
        try:
            when = datetime.strptime(f"{words[6]} {words[7]}", "%Y-%m-%d %H:%M:%S.%f")
        except (IndexError, ValueError):
            continue
        return when.replace(tzinfo=UTC).timestamp()
    return None


def run(
    log_dir: Path, instances: int, backfill_hours: float, scale: float, stop: threading.Event
) -> int:
    log_dir.mkdir(parents=True, exist_ok=True)
    sims = default_instances(instances)
    for sim in sims:
        sim.base_rpm *= scale
    start = time.time() - backfill_hours * 3600
    newest = newest_written(log_dir)
    if newest is not None and newest > start:
        log.info("lines up to %s are there already: going on from there", stamp(newest))
        start = newest
    out = DailyFiles(log_dir)
    live = False
    # one endless stream: the backfill is written at once, the rest second by second
    for written, (when, line) in enumerate(generate(sims, start, start + 10 * 365 * 86400)):
        wait = when - time.time()
        if wait > 0:
            out.flush()
            if not live:
                log.info("backfilled %d lines; writing live now", written)
                live = True
            if stop.wait(wait):
                break
        elif stop.is_set():
            break
        out.write(when, line)
    out.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graphmetrics.demo.tracelog_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--log-dir", type=Path, required=True, help="directory to write to")
    parser.add_argument("--instances", type=int, default=12, help="number of app instances")
    parser.add_argument(
        "--backfill-hours", type=float, default=24.0, help="history written at start"
    )
    parser.add_argument("--scale", type=float, default=0.5, help="multiplies every instance's load")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return run(args.log_dir, args.instances, args.backfill_hours, args.scale, stop)


if __name__ == "__main__":
    sys.exit(main())
