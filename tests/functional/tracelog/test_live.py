"""The collector as a daemon: new files, rotation, truncation, SIGTERM, kill -9, rrdcached."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.tracelog.synth import default_instances, generate
from tests.functional.tracelog.conftest import (
    ALL_DS,
    Daemon,
    collector_cmd,
    known,
    minutes,
    run_once,
)
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import wait_for

A1 = "app1 acme inst1"


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()


def minute_of(rrd: Path, minute: str) -> tuple[float | None, ...] | None:
    if not rrd.exists():
        return None
    end = epoch(minute) + 60
    try:
        return minutes(rrd, end - 60, end).get(end)
    except rrdtool.OperationalError:  # caught while the collector creates or tunes it
        return None


def test_new_files_rotation_and_sigterm(dirs: tuple[Path, Path], daemon: Daemon) -> None:
    logs, rrds = dirs
    log = logs / "tracelog.log"
    append(log, request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    daemon.start()
    daemon.wait_log("following")
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"

    # rotation: the file is renamed out of the glob, the writer still finishes a line
    # in it, then writes a new file; the old file's tail must be counted first
    log.rename(logs / "tracelog.log.1")
    append(logs / "tracelog.log.1", request(A1, 2, "2024-05-01 10:00", 30, 0, 1.0))
    append(log, [f"{A1} : B 3 2024-05-01 10:01:00 GET /"])
    wait_for(
        lambda: minute_of(rrd, "2024-05-01 10:00") == (2.0, 0.0, 0.0, 60.0, 0.0),
        what="minute 10:00 with both requests",
    )

    # a file of another instance appears while running
    append(
        logs / "other.log",
        request("h2 c2 i2", 1, "2024-05-01 10:00", 1, 0, 0.5)
        + ["h2 c2 i2 : B 2 2024-05-01 10:01:00 x"],
    )
    wait_for(
        lambda: (
            minute_of(rrds / "tracelog" / "h2__c2__i2.rrd", "2024-05-01 10:00")
            == (1.0, 0.0, 0.0, 120.0, 0.0)
        ),
        what="the new file's minute",
    )
    assert daemon.terminate() == 0
    assert "status:" in daemon.log()


def test_truncation_restarts_at_zero(dirs: tuple[Path, Path], daemon: Daemon) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    append(
        log,
        request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0) * 3
        + [f"{A1} : B 2 2024-05-01 10:01:00 GET /"],
    )
    daemon.start()
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    wait_for(lambda: minute_of(rrd, "2024-05-01 10:00") is not None, what="first minute")
    # copytruncate: the file is emptied and written again, shorter than before
    with open(log, "w", encoding="utf-8") as f:
        f.write(
            "".join(
                line + "\n"
                for line in request(A1, 5, "2024-05-01 10:01", 1, 0, 2.0)
                + [f"{A1} : B 6 2024-05-01 10:02:00 GET /"]
            )
        )
    wait_for(
        lambda: minute_of(rrd, "2024-05-01 10:01") == (1.0, 0.0, 0.0, 30.0, 0.0),
        what="the minute written after truncation",
    )
    assert daemon.terminate() == 0
    assert "truncated" in daemon.log()


def _synthetic_lines(count: int) -> list[str]:
    sims = default_instances(6, seed=7)
    start = float(epoch("2024-05-01 10:00"))
    out = []
    for _, line in generate(sims, start, start + 86400, seed=7):
        out.append(line)
        if len(out) >= count:
            break
    return out


def test_kill9_and_restart_neither_lose_nor_double_count(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    logs, rrds = dirs
    lines = _synthetic_lines(60_000)
    # the reference: the whole log read at once by another collector
    ref_logs, ref_rrds = tmp_path / "ref-logs", tmp_path / "ref-rrd"
    ref_logs.mkdir()
    append(ref_logs / "t.log", lines)
    run_once(ref_logs, ref_rrds)

    log = logs / "t.log"
    chunks = [lines[i : i + 6000] for i in range(0, len(lines), 6000)]
    args = ("--idle-flush", "0", "--poll-interval", "0.1", "--checkpoint-interval", "0.05")
    daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d.log")
    state = rrds / ".state" / "tracelog.json"
    try:
        for n, chunk in enumerate(chunks):
            if daemon.proc is None or daemon.proc.poll() is not None:
                daemon.start()
            append(log, chunk)
            if n % 3 == 2:  # let it checkpoint part of the work, then kill it hard
                before = state.stat().st_mtime_ns if state.exists() else 0
                wait_for(
                    lambda b=before: state.exists() and state.stat().st_mtime_ns > b,
                    what="a checkpoint",
                )
                daemon.kill9()
        if daemon.proc is None or daemon.proc.poll() is not None:
            daemon.start()
        daemon.terminate()
    finally:
        daemon.stop()
    run_once(logs, rrds)

    names = sorted(p.name for p in (ref_rrds / "tracelog").iterdir())
    assert names == sorted(p.name for p in (rrds / "tracelog").iterdir()) and len(names) == 6
    for name in names:
        ref = ref_rrds / "tracelog" / name
        got = rrds / "tracelog" / name
        assert rrdtool.last(str(got)) == rrdtool.last(str(ref))
        end = rrdtool.last(str(ref))
        for cf in ("AVERAGE", "MAX"):
            expected = minutes(ref, epoch("2024-05-01 10:00"), end, cf, ALL_DS)
            assert minutes(got, epoch("2024-05-01 10:00"), end, cf, ALL_DS) == expected
        assert sum(r[0] or 0 for r in minutes(got, epoch("2024-05-01 10:00"), end).values()) > 100


def test_a_second_daemon_on_the_same_state_is_refused(
    dirs: tuple[Path, Path], daemon: Daemon
) -> None:
    logs, rrds = dirs
    daemon.start()
    daemon.wait_log("following")
    result = subprocess.run(
        collector_cmd(logs, rrds, "--once"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "locked" in result.stderr


def test_unreadable_state_exits_2_with_a_message(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    (rrds / ".state").mkdir()
    (rrds / ".state" / "tracelog.json").write_text('{"version": 1, "files": [{"path": 3}]')
    result = subprocess.run(
        collector_cmd(logs, rrds, "--once"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "tracelog.json" in result.stderr and "move it away" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_exit_2_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        collector_cmd(tmp_path, tmp_path, "--timezone", "Mars/Base"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "timezone" in result.stderr


@pytest.fixture
def rrdcached(tmp_path: Path, dirs: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    _, rrds = dirs
    sock = tmp_path / "rrdcached.sock"
    journal = tmp_path / "journal"
    journal.mkdir()
    proc = subprocess.Popen(
        [
            "rrdcached",
            "-g",
            "-l",
            f"unix:{sock}",
            "-b",
            str(rrds),
            "-B",
            "-j",
            str(journal),
            "-p",
            str(tmp_path / "rrdcached.pid"),
            "-w",
            "3600",
            "-z",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(sock.exists, what="rrdcached socket")
    yield f"unix:{sock}"
    proc.terminate()
    proc.wait(timeout=10)


def test_through_rrdcached_with_flush_on_shutdown(
    dirs: tuple[Path, Path], tmp_path: Path, rrdcached: str
) -> None:
    logs, rrds = dirs
    lines = []
    for m in range(5):
        lines += request(A1, m, f"2024-05-01 10:0{m}", 1, 0, 1.0)
    append(logs / "t.log", lines + [f"{A1} : B 9 2024-05-01 10:05:00 GET /"])
    daemon = Daemon(
        collector_cmd(
            logs, rrds, "--rrdcached", rrdcached, "--idle-flush", "0", "--poll-interval", "0.2"
        ),
        tmp_path / "d.log",
    ).start()
    try:
        daemon.wait_log("following")
        rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
        wait_for(rrd.exists, what="the RRD file")
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
    # read the file itself, not through rrdcached: the shutdown flush put the data there
    rows = known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:05")))
    assert rows == {epoch(f"2024-05-01 10:0{m}") + 60: (1.0, 0.0, 0.0, 60.0, 0.0) for m in range(5)}


@pytest.mark.parametrize("watcher", ["inotify", "polling"])
def test_file_watcher_wakes_the_daemon(
    dirs: tuple[Path, Path], tmp_path: Path, watcher: str
) -> None:
    """New data is read on the watcher's event, long before the 60 s rescan; --polling
    does the watching where inotify is not available (NFS, some containers)."""
    logs, rrds = dirs
    args = ["--idle-flush", "0", "--poll-interval", "60"]
    if watcher == "polling":
        args.append("--polling")
    daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d.log").start()
    try:
        daemon.wait_log("following")
        append(logs / "late.log", request(A1, 1, "2024-05-01 10:00", 1, 0, 1.0))
        append(logs / "late.log", [f"{A1} : B 2 2024-05-01 10:01:00 GET /"])
        rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
        wait_for(
            lambda: minute_of(rrd, "2024-05-01 10:00") == (1.0, 0.0, 0.0, 60.0, 0.0),
            what="the minute of a file created while polling",
        )
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
