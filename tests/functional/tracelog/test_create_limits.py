"""A flood of invented instance names creates no more files than the limits allow:
the refused instances' minutes are counted and dropped, every other instance is
written and the state saved (issue #9 item 6, disk amplification)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.functional.tracelog.conftest import known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request

A1 = "app1 acme inst1"


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def counter(stderr: str, name: str) -> int:
    status = [line for line in stderr.splitlines() if "status:" in line][-1]
    return int(status.split(f" {name}=")[1].split()[0])


def a1_rows(rrds: Path) -> dict[int, tuple[float | None, ...]]:
    path = rrds / "tracelog" / "app1__acme__inst1.rrd"
    return known(minutes(path, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:05")))


def test_a_flood_of_invented_instances_is_capped(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    append(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    append(log, request(A1, 2, "2024-05-01 10:01", 1, 0, 1.0))
    run_once(logs, rrds)  # inst1's file exists

    flood: list[str] = []
    for i in range(500):
        flood += request(f"app1 acme fake{i}", 1, "2024-05-01 10:02", 1, 0, 1.0)
        flood.append(f"app1 acme fake{i} : B 2 2024-05-01 10:03:00 GET /")
    append(log, flood + request(A1, 3, "2024-05-01 10:02", 1, 0, 1.0))
    append(log, request(A1, 4, "2024-05-01 10:03", 1, 0, 1.0))
    result = run_once(logs, rrds, "--max-new-files-per-minute", "20")
    err = result.stderr
    assert (counter(err, "created"), counter(err, "refused_files")) == (20, 480)
    assert counter(err, "refused_samples") == 480
    assert counter(err, "failed_files") == 0
    assert err.count("not creating") <= 2  # logged, not 480 times
    assert len(os.listdir(rrds / "tracelog")) == 21
    # the known instance goes on: its minutes up to 10:02 are written, and saved
    assert sorted(a1_rows(rrds)) == [epoch(f"2024-05-01 10:0{m}") + 60 for m in range(3)]
    assert counter(run_once(logs, rrds).stderr, "lines") == 0


def test_no_instance_file_below_the_free_disk_floor(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    append(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    append(log, request(A1, 2, "2024-05-01 10:01", 1, 0, 1.0))
    run_once(logs, rrds)
    append(log, request("app2 acme new", 1, "2024-05-01 10:01", 1, 0, 1.0))
    append(log, request("app2 acme new", 2, "2024-05-01 10:02", 1, 0, 1.0))
    append(log, request(A1, 3, "2024-05-01 10:02", 1, 0, 1.0))
    st = os.statvfs(rrds)
    result = run_once(logs, rrds, "--min-free-disk", str(st.f_blocks * st.f_frsize))
    assert (counter(result.stderr, "created"), counter(result.stderr, "refused_files")) == (0, 1)
    assert "below the floor" in result.stderr
    assert os.listdir(rrds / "tracelog") == ["app1__acme__inst1.rrd"]
    assert sorted(a1_rows(rrds)) == [epoch(f"2024-05-01 10:0{m}") + 60 for m in range(2)]
