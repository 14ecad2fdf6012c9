"""The tracelog collector on its own, with a fake clock: rotation, truncation, gzip.

Real files and real RRDs (librrd is fast enough here); only time is faked, so the
quiet-minute closing runs without waiting.  tests/functional/tracelog runs the daemon.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.collect.tailer import TracelogCollector
from graphmetrics.rrd.store import RRDStore
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from tests.functional.tracelog.tracelog_lines import epoch, request

A1 = "app1 acme inst1"
FILE = "app1__acme__inst1"
IDLE = 120.0


@dataclass
class FakeClock:
    now: float

    def __call__(self) -> float:
        return self.now


def minute_lines(minute: str, requests: int) -> list[str]:
    lines: list[str] = []
    for i in range(requests):
        lines += request(A1, hash((minute, i)) % 100_000, minute, i, 0.0, 1.0)
    return lines


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(epoch("2024-05-01 10:00"))


@pytest.fixture
def collector(tmp_path: Path, clock: FakeClock) -> TracelogCollector:
    (tmp_path / "logs").mkdir()
    made = TracelogCollector(
        tmp_path / "logs",
        RRDStore(tmp_path / "rrd"),
        Aggregator(MinuteClock()),
        tmp_path / "state.json",
        idle_flush=IDLE,
        clock=clock,
    )
    made.load_state()
    return made


def requests_per_minute(tmp_path: Path) -> dict[int, float]:
    """rpm of each written minute of the instance's file."""
    path = tmp_path / "rrd" / "tracelog" / f"{FILE}.rrd"
    (start, _, step), names, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-s", str(epoch("2024-05-01 09:58")), "-e", "now"
    )
    rpm = names.index("rpm")
    return {start + step * (i + 1): r[rpm] for i, r in enumerate(rows) if r[rpm] is not None}


def close_all(collector: TracelogCollector, clock: FakeClock) -> None:
    """Let the input fall silent past the idle flush, so the last minute is written."""
    clock.now += 3600
    collector.close_quiet()
    assert collector.checkpoint()


def test_a_rotated_file_is_drained_before_the_new_one_is_read(
    collector: TracelogCollector, clock: FakeClock, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "a.log"
    append(log, minute_lines("2024-05-01 10:00", 2))
    assert collector.cycle() == 10
    rotated = tmp_path / "logs" / "a.log.1"  # outside the glob
    os.rename(log, rotated)
    append(rotated, minute_lines("2024-05-01 10:01", 3))  # written before the switch
    append(log, minute_lines("2024-05-01 10:02", 1))
    clock.now += 60
    assert collector.cycle() == 15 + 5
    assert [s.done for s in collector.files.values()] == [True, False]
    close_all(collector, clock)
    assert requests_per_minute(tmp_path) == {
        epoch("2024-05-01 10:00") + 60: 2.0,
        epoch("2024-05-01 10:01") + 60: 3.0,
        epoch("2024-05-01 10:02") + 60: 1.0,
    }
    # three minutes of the instance, three of its customer's pool
    assert collector.writer.counters.written == 3 + 3


def test_a_truncated_file_is_read_again_from_its_start(
    collector: TracelogCollector, clock: FakeClock, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "a.log"
    append(log, minute_lines("2024-05-01 10:00", 4))
    assert collector.cycle() == 20
    with open(log, "r+", encoding="utf-8") as f:  # copytruncate, then new lines
        f.truncate(0)
    append(log, minute_lines("2024-05-01 10:01", 1))
    clock.now += 60
    assert collector.cycle() == 5
    assert collector.stats.truncations == 1
    close_all(collector, clock)
    assert requests_per_minute(tmp_path) == {
        epoch("2024-05-01 10:00") + 60: 4.0,
        epoch("2024-05-01 10:01") + 60: 1.0,
    }


def test_a_gzipped_copy_continues_where_the_plain_file_was_read(
    collector: TracelogCollector, clock: FakeClock, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "a.log"
    append(log, minute_lines("2024-05-01 10:00", 2))
    assert collector.cycle() == 10
    append(log, minute_lines("2024-05-01 10:01", 2))  # not read before the rotation
    with gzip.open(tmp_path / "logs" / "a-20240501.log.gz", "wb") as f:
        f.write(log.read_bytes())
    log.unlink()
    clock.now += 60
    assert collector.cycle() == 10  # only the lines after the plain file's offset
    assert collector.stats.skipped == 0
    assert sorted((s.gz, s.done) for s in collector.files.values()) == [
        (False, True),  # the plain file: continued by its gzipped copy
        (True, True),  # the copy: read to its end, never again
    ]
    close_all(collector, clock)
    assert requests_per_minute(tmp_path) == {
        epoch("2024-05-01 10:00") + 60: 2.0,
        epoch("2024-05-01 10:01") + 60: 2.0,
    }


def test_a_quiet_minute_is_written_once_the_fake_clock_passes_the_idle_flush(
    collector: TracelogCollector, clock: FakeClock, tmp_path: Path
) -> None:
    append(tmp_path / "logs" / "a.log", minute_lines("2024-05-01 10:00", 3))
    collector.cycle()
    collector.close_quiet()
    assert collector.checkpoint()
    assert collector.writer.counters.written == 0  # the minute may still get lines
    clock.now += IDLE + 60
    collector.close_quiet()
    assert collector.checkpoint()
    assert requests_per_minute(tmp_path) == {epoch("2024-05-01 10:00") + 60: 3.0}
