"""One bad input never stops the Kinesis collector (issue #9 item 6): each is counted
and skipped by the real daemon (its mypyc-compiled build), and the records after it
are written and checkpointed; a flood of new names creates no more files than the
limits allow."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rrdtool

from tests.functional.kinesis.conftest import (
    DAEMON,
    T0,
    daemon_env,
    fetch,
    put_all,
    record,
    run_once,
    summary,
)


def test_deeply_nested_json_is_not_json_and_skipped(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    nested = b"[" * 1100 + b"]" * 1100
    put_all(kinesis, stream, [("k", record("//h#m", T0, 1)), ("k", nested)])
    put_all(kinesis, stream, [("k", record("//h#m", T0 + 300, 2))])
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    log = run_once(kinesalite, stream, rrd, cp)
    counts = summary(log)
    assert (counts["records"], counts["written"], counts["bad"]) == (3, 2, 1)
    assert "not_json: 1" in log
    assert fetch(rrd / "metrics/h/m.rrd") == [(T0, 1.0), (T0 + 300, 2.0)]
    assert summary(run_once(kinesalite, stream, rrd, cp))["records"] == 0  # checkpointed


def test_a_name_through_a_symlink_out_of_metrics_is_a_bad_name(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    (rrd / "metrics/h").mkdir(parents=True)
    (rrd / "tracelog").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, rrd / "metrics/h/linkdir")  # leaves the RRD directory
    os.symlink(rrd / "tracelog", rrd / "metrics/h/inside")  # stays in it, leaves metrics/
    put_all(
        kinesis,
        stream,
        [
            ("k", record("//h/linkdir#secret", T0, 1)),
            ("k", record("//h/inside#secret", T0, 1)),
            ("k", record("//h#m", T0, 3)),
        ],
    )
    log = run_once(kinesalite, stream, rrd, cp)
    counts = summary(log)
    assert (counts["records"], counts["written"], counts["bad"]) == (3, 1, 2)
    assert "bad_name: 2" in log
    assert fetch(rrd / "metrics/h/m.rrd") == [(T0, 3.0)]
    assert list(outside.iterdir()) == [] and list((rrd / "tracelog").iterdir()) == []


def run_once_with(
    endpoint: str, stream: str, rrd: Path, cp: Path, *args: str, returncode: int = 0
) -> str:
    proc = subprocess.run(
        [DAEMON, "--once", "--stream", stream, "--endpoint-url", endpoint]
        + ["--rrd-dir", str(rrd), "--checkpoint-dir", str(cp), *args],
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == returncode, proc.stderr
    return proc.stderr


def rrd_files(rrd: Path) -> list[Path]:
    return sorted(rrd.rglob("*.rrd"))


def test_a_flood_of_new_names_creates_only_as_many_files_as_allowed(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    put_all(kinesis, stream, [("k", record("//h#m", T0, 1))])
    run_once(kinesalite, stream, rrd, cp)
    # one 5 KB gzip record naming 2 000 series nobody has heard of
    flood = [
        {"timestamp": "2023-11-14T22:15:00", "name": f"//invented{i}#m", "value": i}
        for i in range(2000)
    ]
    data = gzip.compress(json.dumps(flood).encode())
    assert len(data) < 20_000
    put_all(kinesis, stream, [("k", data), ("k", record("//h#m", T0 + 300, 2))])
    # 50 files a (1 s) minute, room for 100 held samples: 100 names wait, 1850 dropped
    limits = ["--max-new-files-per-minute", "50", "--new-files-window", "1"]
    # the first run's creation is in the journal: let it leave the 1 s window, or the
    # flood's first window has 49 to give (a fast machine started it within 1 s)
    time.sleep(1.1)
    log = run_once_with(kinesalite, stream, rrd, cp, *limits, "--max-held-samples", "100")
    counts = summary(log)
    assert counts["records"] == 2
    assert (counts["created"], counts["refused_files"], counts["refused_samples"]) == (
        150,
        1850,
        1850,
    )
    assert (counts["held_files"], counts["held_samples"]) == (0, 0)
    assert "for the creation budget" in log
    assert counts["written"] == 151  # the existing file is never refused
    assert len(rrd_files(rrd)) == 151
    assert fetch(rrd / "metrics/h/m.rrd") == [(T0, 1.0), (T0 + 300, 2.0)]
    assert log.count("not creating") <= 3  # logged, but not 1 950 times
    assert summary(run_once(kinesalite, stream, rrd, cp))["records"] == 0  # checkpointed


def test_no_file_is_created_below_the_free_disk_floor(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    put_all(kinesis, stream, [("k", record("//h#m", T0, 1))])
    run_once(kinesalite, stream, rrd, cp)
    put_all(kinesis, stream, [("k", record("//h#new", T0, 1)), ("k", record("//h#m", T0 + 300, 2))])
    total = os.statvfs(tmp_path).f_blocks * os.statvfs(tmp_path).f_frsize
    floor = str(total)  # more than there can ever be free
    log = run_once_with(kinesalite, stream, rrd, cp, "--min-free-disk", floor, returncode=1)
    counts = summary(log)
    assert (counts["created"], counts["held_files"], counts["written"]) == (0, 1, 1)
    assert counts["below_floor"] >= 1 and "below the floor" in log
    assert "the disk is at its floor" in log and "disk below the floor" in log
    assert rrd_files(rrd) == [rrd / "metrics/h/m.rrd"]
    assert fetch(rrd / "metrics/h/m.rrd") == [(T0, 1.0), (T0 + 300, 2.0)]

    put_all(kinesis, stream, [("k", record("//h#new", T0 + 300, 3))])
    log = run_once_with(kinesalite, stream, rrd, cp, "--min-free-disk", "0.001%")
    assert summary(log)["created"] == 1
    assert fetch(rrd / "metrics/h/new.rrd") == [(T0, 1.0), (T0 + 300, 3.0)]  # held, then written


def test_bad_limits_are_settings_errors(kinesalite: str, tmp_path: Path) -> None:
    base = [DAEMON, "--once", "--stream", "s", "--rrd-dir", str(tmp_path)]
    base += ["--checkpoint-dir", str(tmp_path), "--endpoint-url", kinesalite]
    for bad in (["--min-free-disk", "lots"], ["--min-free-disk", "100%"]):
        proc = subprocess.run(base + bad, env=daemon_env(), capture_output=True, text=True)
        assert proc.returncode == 2 and "min_free_disk" in proc.stderr, proc.stderr
    proc = subprocess.run(
        base + ["--max-new-files-per-minute", "-1"],
        env=daemon_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "max_new_files_per_minute" in proc.stderr


def test_a_sample_from_a_clock_ahead_never_costs_a_genuine_one(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    """23 h ahead (inside the old one-day tolerance) is refused and counted; the next
    10 genuine samples of the name are all written; the skew is in the status line."""
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    now = int(time.time()) // 300 * 300
    genuine = [now - 300 * (10 - i) for i in range(10)]
    put_all(kinesis, stream, [("k", record("//h#m", genuine[0] - 300, 0))])
    put_all(kinesis, stream, [("k", record("//h#m", now + 23 * 3600, 99))])
    put_all(kinesis, stream, [("k", record("//h#m", t, i + 1)) for i, t in enumerate(genuine)])
    log = run_once(kinesalite, stream, rrd, cp)
    counts = summary(log)
    assert (counts["written"], counts["skipped_old"], counts["bad"]) == (11, 0, 1)
    assert "future_timestamp: 1" in log and re.search(r"clock_ahead=82[0-9]{3}s shard", log)
    (start, _, step), _, rows = rrdtool.fetch(
        str(rrd / "metrics/h/m.rrd"), "AVERAGE", "-r", "300", "-s", str(genuine[0] - 600)
    )
    got = [row[0] for row in rows if row[0] is not None]
    assert got == [0.0] + [float(i + 1) for i in range(10)]
