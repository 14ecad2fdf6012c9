"""``graphmetrics-tracelog --once`` on files in a directory, checked with rrdtool.fetch."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import rrdtool

from tests.functional.tracelog.conftest import known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request

A1 = "app1 acme inst1"
A2 = "app2 acme inst2"


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def test_syslog_file_gives_exact_minutes(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    lines = [f"{A1} : S 0 2024-05-01 10:00:00.000000 0.0.0.0:8080"]
    lines += request(A1, 1, "2024-05-01 10:00", 1, wait=0.0, busy=0.5)
    lines += request(A1, 2, "2024-05-01 10:00", 10, wait=0.2, busy=1.5, status="500 9")
    lines += request(A2, 1, "2024-05-01 10:00", 20, wait=0.0, busy=2.0, status="Error: boom")
    lines += [f"{A1} : I 3 2024-05-01 10:00:30.000000 0"]  # waits past the minute
    lines += request(A1, 4, "2024-05-01 10:01", 5, wait=0.0, busy=1.0)
    lines += request(A2, 2, "2024-05-01 10:02", 5, wait=0.0, busy=1.0)
    lines += [f"{A1} : B 5 2024-05-01 10:03:00.000000 GET /"]
    write(logs / "2024-05-01.log", lines)

    result = run_once(logs, rrds)

    inst1 = rrds / "tracelog" / "app1__acme__inst1.rrd"
    inst2 = rrds / "tracelog" / "app2__acme__inst2.rrd"
    rows1 = known(minutes(inst1, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:05")))
    # minute 10:00: 2 requests, 1 error, request 3 waiting, spr = 60*2/(0.5+1.5), started
    assert rows1 == {
        epoch("2024-05-01 10:01"): (2.0, 1.0, 1.0, 60.0, 1.0),
        epoch("2024-05-01 10:02"): (1.0, 0.0, 1.0, 60.0, 0.0),
        epoch("2024-05-01 10:03"): (0.0, 0.0, 1.0, None, 0.0),
    }
    rows2 = known(minutes(inst2, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:05")))
    # inst2 has no start record; its 10:02 minute is still open (no later record)
    assert rows2 == {
        epoch("2024-05-01 10:01"): (1.0, 1.0, 0.0, 30.0, 0.0),
        epoch("2024-05-01 10:02"): (0.0, 0.0, 0.0, None, 0.0),
    }
    assert "skipped=0" in result.stderr


def test_max_rras_keep_peaks(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    lines: list[str] = []
    rid = 0
    for minute in range(12):
        for second in range(0, 2 + (20 if minute == 3 else 0), 1):
            rid += 1
            lines += request(A1, rid, f"2024-05-01 10:{minute:02d}", second, wait=0, busy=0.5)
    lines += [f"{A1} : B 0 2024-05-01 10:12:00 GET /"]
    write(logs / "a.log", lines)
    run_once(logs, rrds)
    rrd = str(rrds / "tracelog" / "app1__acme__inst1.rrd")
    start, end = str(epoch("2024-05-01 10:00")), str(epoch("2024-05-01 10:10"))
    _, _, avg = rrdtool.fetch(rrd, "AVERAGE", "-r", "300", "-s", start, "-e", end)
    _, _, peak = rrdtool.fetch(rrd, "MAX", "-r", "300", "-s", start, "-e", end)
    assert max(row[0] for row in peak if row[0] is not None) == 22.0
    assert max(row[0] for row in avg if row[0] is not None) < 22.0


def test_second_run_writes_nothing_and_continues_open_minutes(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    write(log, request(A1, 1, "2024-05-01 10:00", 1, wait=0, busy=1.0))
    run_once(logs, rrds)
    inst1 = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert not inst1.exists()  # the only minute is still open
    write(log, request(A1, 2, "2024-05-01 10:00", 30, wait=0, busy=3.0), mode="a")
    write(log, [f"{A1} : B 3 2024-05-01 10:01:00 GET /"], mode="a")
    run_once(logs, rrds)
    last = rrdtool.last(str(inst1))
    again = run_once(logs, rrds)
    assert rrdtool.last(str(inst1)) == last
    assert " written=0 " in again.stderr
    # both halves of minute 10:00, read by two runs: 2 requests in 4 s
    assert known(minutes(inst1, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:02"))) == {
        epoch("2024-05-01 10:01"): (2.0, 0.0, 0.0, 30.0, 0.0)
    }


def test_plain_tracelog_file_uses_defaults(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    lines = [line.split(" : ", 1)[1] for line in request(A1, -5, "2024-05-01 10:00", 1, 0, 2.0)]
    write(logs / "zope1.log", lines + ["B 9 2024-05-01 10:01:00 GET /"])
    run_once(logs, rrds, "--default-host", "web9", "--default-customer", "shop")
    rrd = rrds / "tracelog" / "web9__shop__zope1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (1.0, 0.0, 0.0, 30.0, 0.0)
    }


def test_bad_lines_are_counted_and_never_escape(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    logs, rrds = dirs
    lines = request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0) + [
        "complete garbage",
        "",
        "\x00\x01\x02 binary",
        "../../.. x y : B 1 2024-05-01 10:00:05 GET /",
        "app1 acme ../../evil : B 1 2024-05-01 10:00:05 GET /",
        "app1 acme inst1 : Z 1 2024-05-01 10:00:05",
        "app1 acme inst1 : A 1 2024-99-01 10:00:05 200 1",
        "app1 acme inst1 : A 1 2024-05-01 10:00:5x 200 1",
        "x" * 100_000,
        f"{A1} : B 2 2024-05-01 10:01:00 GET /",
    ]
    path = logs / "t.log"
    write(path, lines)
    with open(path, "ab") as f:
        f.write(b"app1 acme inst1 : B 7 2024-05-01 10:00:59 \xff\xfe invalid utf-8\n")
    result = run_once(logs, rrds)
    assert "skipped=9" in result.stderr
    assert sorted(p.name for p in (rrds / "tracelog").iterdir()) == ["app1__acme__inst1.rrd"]
    assert not list(tmp_path.glob("**/evil*"))
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (1.0, 0.0, 0.0, 60.0, 0.0)
    }


def test_gzipped_copy_continues_where_the_original_stopped(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "2024-05-01.log"
    write(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    run_once(logs, rrds)
    # the writer adds its last lines, then logrotate compresses the file away
    write(log, request(A1, 2, "2024-05-01 10:00", 20, 0, 1.0), mode="a")
    write(log, [f"{A1} : B 3 2024-05-01 10:01:00 GET /"], mode="a")
    with open(log, "rb") as src, gzip.open(logs / "2024-05-01.log.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    log.unlink()
    run_once(logs, rrds)
    run_once(logs, rrds)
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (2.0, 0.0, 0.0, 60.0, 0.0)
    }


def test_old_gzipped_files_are_read_in_time_order(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    day1 = request(A1, 1, "2024-05-01 23:59", 1, 0, 1.0)
    day2 = request(A1, 2, "2024-05-02 00:00", 1, 0, 2.0) + [f"{A1} : B 3 2024-05-02 00:01:00 x"]
    for name, lines, mtime in (
        ("2024-05-01.log.gz", day1, 1000),
        ("2024-05-02.log.gz", day2, 2000),
    ):
        with gzip.open(logs / name, "wt") as f:
            f.write("".join(line + "\n" for line in lines))
        os.utime(logs / name, (mtime, mtime))
    run_once(logs, rrds)
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 23:59"), epoch("2024-05-02 00:01"))) == {
        epoch("2024-05-02 00:00"): (1.0, 0.0, 0.0, 60.0, 0.0),
        epoch("2024-05-02 00:01"): (1.0, 0.0, 0.0, 30.0, 0.0),
    }


def test_timezone_option_moves_minutes(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    write(
        logs / "t.log",
        request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0) + [f"{A1} : B 3 2024-05-01 10:01:00 x"],
    )
    run_once(logs, rrds, "--timezone", "Europe/Berlin")  # UTC+2 in May
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    assert known(minutes(rrd, epoch("2024-05-01 08:00"), epoch("2024-05-01 08:01"))) == {
        epoch("2024-05-01 08:01"): (1.0, 0.0, 0.0, 60.0, 0.0)
    }
