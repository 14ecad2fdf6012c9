"""One bad input never holds the collector: a date far in the future, a line of megabytes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rrdtool

from tests.functional.tracelog.conftest import Daemon, collector_cmd, known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import wait_for

A1 = "app1 acme inst1"


def write(path: Path, lines: list[str], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def test_records_dated_in_the_future_are_counted_and_skipped(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    lines = request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0)
    lines += [f"{A1} : B 7 2099-01-01 00:00:00.000000 GET /"]
    lines += [f"{A1} : B 8 9999-12-31 23:59:59.000000 GET /"]
    lines += request(A1, 2, "2024-05-01 10:00", 30, 0, 1.0)
    lines += request(A1, 3, "2024-05-01 10:01", 1, 0, 1.0)
    lines += [f"{A1} : B 9 2024-05-01 10:02:00.000000 GET /"]
    write(logs / "t.log", lines)
    result = run_once(logs, rrds)
    assert " late=0 future=2 " in result.stderr
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert rrdtool.last(str(rrd)) == epoch("2024-05-01 10:02")
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:02"))) == {
        epoch("2024-05-01 10:01"): (2.0, 0.0, 0.0, 60.0, 0.0),
        epoch("2024-05-01 10:02"): (1.0, 0.0, 0.0, 60.0, 0.0),
    }


def test_a_future_record_in_a_live_daemon_writes_nothing_ahead(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    """Live records with one dated 12 h ahead: it is skipped, the instance's later
    records count, and no minute past now is written (before, that record closed the
    instance's minute with a day of idle minutes, and made every later record late)."""
    logs, rrds = dirs
    now = datetime.now(UTC).replace(microsecond=0)

    def stamp(when: datetime) -> str:
        return when.strftime("%Y-%m-%d %H:%M")

    before = now - timedelta(minutes=3)
    ahead = now + timedelta(hours=12)
    write(logs / "t.log", request(A1, 1, stamp(before), 1, 0, 1.0))
    write(logs / "t.log", [f"{A1} : B 5 {stamp(ahead)}:00.000000 GET /"])
    write(logs / "t.log", request(A1, 2, stamp(before + timedelta(minutes=1)), 1, 0, 1.0))
    write(logs / "t.log", [f"{A1} : B 3 {stamp(now)}:00.000000 GET /"])
    daemon = Daemon(
        collector_cmd(
            logs, rrds, "--idle-flush", "1", "--poll-interval", "0.2", "--status-interval", "0.2"
        ),
        tmp_path / "d.log",
    ).start()
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    try:
        daemon.wait_log(" future=1 ")
        end = epoch(stamp(before)) + 120
        wait_for(lambda: rrd.exists() and rrdtool.last(str(rrd)) >= end, what="both minutes")
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
    assert rrdtool.last(str(rrd)) <= time.time()
    assert " late=0 future=1 " in daemon.log()
    rows = known(minutes(rrd, end - 120, end + 60))
    assert {ts: rows.get(ts) for ts in (end - 60, end, end + 60)} == {
        end - 60: (1.0, 0.0, 0.0, 60.0, 0.0),
        end: (1.0, 0.0, 0.0, 60.0, 0.0),
        end + 60: (0.0, 0.0, 0.0, None, 0.0),  # the quiet minute before now's
    }


def test_a_line_of_megabytes_is_refused_and_the_file_goes_on(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    with open(log, "wb") as f:
        f.write(b"x" * (5 << 20) + b"\n")  # no newline in the first read
    write(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    write(log, request(A1, 2, "2024-05-01 10:00", 30, 0, 1.0))
    write(log, [f"{A1} : B 9 2024-05-01 10:01:00.000000 GET /"])
    result = run_once(logs, rrds)
    assert "lines=12 skipped=1 {'line too long': 1}" in result.stderr
    assert "t.log:1: 1 line(s) of 4194304 bytes or more refused" in result.stderr
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (2.0, 0.0, 0.0, 60.0, 0.0)
    }


def test_a_long_line_still_being_written_is_skipped_by_the_next_run(
    dirs: tuple[Path, Path],
) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    with open(log, "wb") as f:
        f.write(b"y" * (4 << 20) + b"y" * 1000)  # no newline yet
    first = run_once(logs, rrds)
    assert "lines=1 skipped=1" in first.stderr
    with open(log, "ab") as f:
        f.write(b"y" * 1000 + b"\n")
    write(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    write(log, [f"{A1} : B 9 2024-05-01 10:01:00.000000 GET /"])
    second = run_once(logs, rrds)
    assert "lines=6 skipped=0" in second.stderr
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (1.0, 0.0, 0.0, 60.0, 0.0)
    }


def test_one_line_55_min_ahead_in_a_replayed_log_costs_no_request(tmp_path: Path) -> None:
    """An old log replayed: the wall clock says nothing, the line is judged against
    its instance's neighbours (held, then dropped as future when they stay behind)."""
    lines: list[str] = []
    for rid in range(102):
        minute = f"2024-05-01 10:{rid // 10:02d}"
        lines += request(A1, rid + 1, minute, rid % 10 * 5, 0, 1.0)
    lines += request(A1, 200, "2024-05-01 10:11", 1, 0, 1.0)  # closes 10:10
    bogus = lines[:200] + [f"{A1} : B 999 2024-05-01 11:05:00.000000 GET /"] + lines[200:]
    totals = {}
    for name, content in (("bogus", bogus), ("plain", lines)):
        logs, rrds = tmp_path / name / "logs", tmp_path / name / "rrd"
        logs.mkdir(parents=True)
        write(logs / "t.log", content)
        result = run_once(logs, rrds)
        rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
        rows = known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 12:00")))
        totals[name] = (rows, result.stderr.split(" late=")[1].split()[:2])
    rows, counts = totals["bogus"]
    assert sum(values[0] or 0 for values in rows.values()) == 102
    assert rows == totals["plain"][0] and max(rows) == epoch("2024-05-01 10:11")
    assert counts == ["0", "future=1"]
