"""New tracelog instance files are delayed, never dropped: a first start on a fleet
writes every instance, a flood of invented names is capped and bounded, a kill -9
while minutes are held loses nothing, and the disk floor holds (issue #19)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import rrdtool

from graphmetrics.rrd.schema import POOL
from tests.functional.tracelog.conftest import Daemon, collector_cmd, known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import wait_for

A1 = "app1 acme inst1"
START = "2024-05-01 10:00"


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def counter(text: str, name: str) -> int:
    status = [line for line in text.splitlines() if "status:" in line][-1]
    return int(status.split(f" {name}=")[1].split()[0])


def fleet(path: Path, instances: int, minutes_each: int) -> None:
    """``instances`` instances, one request a minute each for ``minutes_each`` minutes."""
    lines: list[str] = []
    for m in range(minutes_each):
        for i in range(instances):
            lines += request(f"app{i % 5} acme inst{i}", m + 1, f"2024-05-01 10:{m:02d}", 1, 0, 1.0)
    append(path, lines)


def all_minutes(rrds: Path) -> dict[str, dict[int, tuple[float | None, ...]]]:
    start, end = epoch(START), epoch("2024-05-01 11:00")
    return {
        name: known(minutes(rrds / "tracelog" / name, start, end))
        for name in sorted(os.listdir(rrds / "tracelog"))
    }


def pool_minutes(rrds: Path) -> dict[int, tuple[float | None, ...]]:
    start, end = epoch(START), epoch("2024-05-01 11:00")
    return known(minutes(rrds / "pool" / "acme.rrd", start, end, ds=POOL.data_sources))


def test_a_first_start_on_250_instances_writes_every_one(tmp_path: Path) -> None:
    """Defaults (100 new files a minute, the 5 % floor), the minute shortened to 1 s:
    ``--once`` waits for the budget and writes what one uncapped run writes."""
    logs, capped, uncapped = tmp_path / "logs", tmp_path / "capped", tmp_path / "uncapped"
    logs.mkdir()
    fleet(logs / "t.log", 250, 4)
    result = run_once(logs, capped, "--new-files-window", "1")
    assert "waiting" in result.stderr and "for the creation budget" in result.stderr
    # 250 instance files and acme's pool file
    assert (counter(result.stderr, "created"), counter(result.stderr, "refused_files")) == (251, 0)
    assert counter(result.stderr, "held_files") == 0
    run_once(logs, uncapped, "--max-new-files-per-minute", "0")
    got, want = all_minutes(capped), all_minutes(uncapped)
    assert len(got) == 250 and got == want
    assert len(pool_minutes(capped)) == 3
    assert pool_minutes(capped) == pool_minutes(uncapped)
    assert all(len(rows) == 3 for rows in got.values())  # 10:00-10:02; 10:03 pending


def test_kill_9_while_minutes_are_held_loses_nothing(tmp_path: Path) -> None:
    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
    fleet(logs / "t.log", 150, 3)
    args = ["--idle-flush", "0", "--poll-interval", "0.2", "--checkpoint-interval", "0.2"]
    args += ["--status-interval", "0.3", "--new-files-window", "600"]
    daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d1.log").start()
    try:
        # 100 files made; the minutes of 50 instances and of their pool held and saved
        wait_for(lambda: "held_files=51" in daemon.log(), 30, what="51 files held")
        state = rrds / ".state" / "tracelog.json"
        wait_for(lambda: '"held"' in state.read_text() and "inst149" in state.read_text(), 10)
        daemon.kill9()
    finally:
        daemon.stop()
    assert len(os.listdir(rrds / "tracelog")) == 100
    assert counter(daemon.log(), "created") == 100
    # a restart may not create more within the same window: the budget was saved
    again = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d2.log").start()
    try:
        wait_for(lambda: "next_create_in=" in again.log(), 30, what="a status line")
        assert counter(again.log(), "created") == 0
        assert counter(again.log(), "held_files") == 51
        assert again.terminate() == 0
    finally:
        again.stop()
    # a later window writes every held minute
    run_once(logs, rrds, "--new-files-window", "1")
    run_once(logs, tmp_path / "uncapped", "--max-new-files-per-minute", "0")
    assert all_minutes(rrds) == all_minutes(tmp_path / "uncapped")
    assert len(all_minutes(rrds)) == 150
    assert pool_minutes(rrds) == pool_minutes(tmp_path / "uncapped")
    assert len(pool_minutes(rrds)) == 2  # 10:00 and 10:01; 10:02 pending


def test_a_flood_of_invented_instances_is_capped_and_bounded(tmp_path: Path) -> None:
    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
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
    # defaults, but room for 300 held minutes: 98 created (inst1 and acme's pool took
    # two of the minute's 100, noted in the state), 300 held, 102 dropped
    args = ["--idle-flush", "0", "--poll-interval", "0.2", "--checkpoint-interval", "0.2"]
    args += ["--status-interval", "0.3", "--max-held-samples", "300"]
    daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d.log").start()
    try:
        wait_for(lambda: "held_files=300" in daemon.log(), 30, what="300 instances held")
        assert daemon.terminate() == 0  # held minutes are saved with the state
    finally:
        daemon.stop()
    err = daemon.log()
    assert counter(err, "created") == 98
    assert (counter(err, "held_files"), counter(err, "held_samples")) == (300, 300)
    assert (counter(err, "refused_files"), counter(err, "refused_samples")) == (102, 102)
    assert err.count("not creating") <= 2  # logged, not 500 times
    assert len(os.listdir(rrds / "tracelog")) == 99
    # the known instance goes on: its minutes up to 10:02 are written, and saved
    path = rrds / "tracelog" / "app1__acme__inst1.rrd"
    rows = known(minutes(path, epoch(START), epoch(START) + 300))
    assert sorted(rows) == [epoch(f"2024-05-01 10:0{m}") + 60 for m in range(3)]


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
    floor = str(st.f_blocks * st.f_frsize)
    result = run_once(logs, rrds, "--min-free-disk", floor, returncode=1)
    err = result.stderr
    assert (counter(err, "created"), counter(err, "held_files")) == (0, 1)
    assert counter(err, "below_floor") >= 1 and "below the floor" in err
    assert re.search(r"disk below the floor: \d+ bytes free", err), err
    assert os.listdir(rrds / "tracelog") == ["app1__acme__inst1.rrd"]
    # with room again, the held minute is written
    result = run_once(logs, rrds)
    assert counter(result.stderr, "created") == 1
    path = str(rrds / "tracelog" / "app2__acme__new.rrd")
    assert rrdtool.last(path) == epoch("2024-05-01 10:01") + 60
