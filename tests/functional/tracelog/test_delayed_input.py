"""Input that arrives late, in bursts or in pieces is counted as one ``--once`` pass counts it.

The live daemon closes a quiet instance's minute by the input's own clock (the newest
record of the same host), and by the wall clock only when all input has been silent;
these tests feed it backfills, pauses longer than ``--idle-flush`` and ``kill -9``, and
compare every minute with a ``--once`` run over the same lines.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.tracelog.synth import default_instances, generate
from tests.functional.tracelog.conftest import (
    ALL_DS,
    Daemon,
    Values,
    collector_cmd,
    known,
    minutes,
    run_once,
)
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import wait_for

STATUS = re.compile(r"status: .* lines=(\d+) .* late=(\d+) future=(\d+) ")


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def last_status(daemon: Daemon) -> tuple[int, int, int]:
    """(lines, late, future) of the daemon's last status line."""
    found = STATUS.findall(daemon.log())
    assert found, daemon.log()
    lines, late, future = found[-1]
    return int(lines), int(late), int(future)


def line_count(logs: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in logs.glob("*.log"))


def upto(rows: dict[int, Values], end: int) -> dict[int, Values]:
    """The minutes ending by ``end``: ``rrdtool fetch -e end`` also gives the one after
    it, which the daemon may have closed (a quiet instance's) and ``--once`` not."""
    return {ts: row for ts, row in rows.items() if ts <= end}


def assert_same_minutes(got_dir: Path, ref_dir: Path, start: int) -> int:
    """Every minute the reference wrote is in ``got_dir``, the same for AVERAGE and MAX;
    returns the number of requests compared.  The daemon may have written more: the
    last minute of a quiet instance, which ``--once`` keeps open."""
    names = sorted(p.name for p in (ref_dir / "tracelog").iterdir())
    assert names == sorted(p.name for p in (got_dir / "tracelog").iterdir())
    requests = 0
    for name in names:
        ref, got = ref_dir / "tracelog" / name, got_dir / "tracelog" / name
        end = rrdtool.last(str(ref))
        assert rrdtool.last(str(got)) >= end
        for cf in ("AVERAGE", "MAX"):
            expected = upto(minutes(ref, start, end, cf, ALL_DS), end)
            assert upto(minutes(got, start, end, cf, ALL_DS), end) == expected, (name, cf)
        requests += int(sum(row[0] or 0 for row in minutes(ref, start, end).values()))
    return requests


def test_demo_backfill_written_while_tailing_is_all_counted(tmp_path: Path) -> None:
    """The demo's generator backfills while the collector (the demo's settings) tails the
    directory, then writes live: nothing is late, and every minute is the one a single
    ``--once`` pass over the same lines gives."""
    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
    daemon = Daemon(
        collector_cmd(logs, rrds, "--status-interval", "0.5"), tmp_path / "daemon.log"
    ).start()
    gen_log = tmp_path / "generator.log"
    try:
        daemon.wait_log("following")
        with open(gen_log, "wb") as out:
            generator = subprocess.Popen(
                [sys.executable, "-m", "graphmetrics.demo.tracelog_load", "--log-dir", str(logs)]
                + ["--backfill-hours", "2", "--instances", "12"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(
                lambda: "writing live now" in gen_log.read_text(), timeout=120, what="backfill"
            )
            live_from = line_count(logs)
            wait_for(lambda: line_count(logs) > live_from + 20, what="some live lines")
        finally:
            generator.send_signal(signal.SIGTERM)
            assert generator.wait(timeout=30) == 0
        total = line_count(logs)
        wait_for(lambda: last_status(daemon)[0] == total, timeout=60, what="every line read")
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
    lines, late, future = last_status(daemon)
    assert (lines, late, future) == (total, 0, 0)

    ref = tmp_path / "ref"
    result = run_once(logs, ref)
    assert " late=0 " in result.stderr
    start = int(time.time()) - 3 * 3600
    assert assert_same_minutes(rrds, ref, start) > 1000


def run_generator_until_live(logs: Path, out: Path, *args: str) -> None:
    """The demo's tracelog generator until it writes live, then SIGTERM."""
    with open(out, "wb") as f:
        generator = subprocess.Popen(
            [sys.executable, "-m", "graphmetrics.demo.tracelog_load", "--log-dir", str(logs)]
            + list(args),
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "writing live now" in out.read_text(), timeout=120, what="live")
    finally:
        generator.send_signal(signal.SIGTERM)
        assert generator.wait(timeout=30) == 0


def test_demo_generator_started_again_goes_on_after_what_is_there(tmp_path: Path) -> None:
    """A second ``make demo`` (or supervisord restarting the generator) does not write
    the backfill hours again: they would all be late."""
    logs = tmp_path / "logs"
    run_generator_until_live(logs, tmp_path / "first.log", "--backfill-hours", "0.1")
    with open(next(logs.glob("*.log")), "ab") as f:
        f.write(b"app1 acme inst1-1 : B 99 2024")  # killed in the middle of a line
    run_generator_until_live(logs, tmp_path / "second.log", "--backfill-hours", "0.1")
    assert "going on from there" in (tmp_path / "second.log").read_text()
    result = run_once(logs, tmp_path / "rrd")
    assert " late=0 future=0 " in result.stderr
    assert " skipped=1 " in result.stderr  # the cut line, ended so the next one is whole


def _synthetic_lines(hosts_and_instances: int, minutes_long: int) -> list[str]:
    sims = default_instances(hosts_and_instances, seed=3)
    start = float(epoch("2024-05-01 10:00"))
    return [line for _, line in generate(sims, start, start + 60 * minutes_long, seed=3)]


def test_pieces_with_pauses_and_kill9_give_exact_minutes(tmp_path: Path) -> None:
    """A syslog-format log fed in pieces, with pauses longer than --idle-flush and the
    daemon killed hard between pieces, gives every minute exactly as --once does."""
    lines = _synthetic_lines(7, 12)  # two hosts
    ref_logs, ref = tmp_path / "ref-logs", tmp_path / "ref"
    ref_logs.mkdir()
    append(ref_logs / "t.log", lines)
    run_once(ref_logs, ref)

    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
    log, state = logs / "t.log", rrds / ".state" / "tracelog.json"
    args = ("--idle-flush", "1", "--poll-interval", "0.2", "--checkpoint-interval", "0.1")
    daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d.log")
    size = len(lines) // 9
    try:
        for piece, n in enumerate(range(0, len(lines), size)):
            if daemon.proc is None or daemon.proc.poll() is not None:
                daemon.start()
            append(log, lines[n : n + size])
            if piece % 3 == 1:
                daemon.kill9()  # in the middle of reading it, or before
                continue
            # the piece is read and checkpointed, then nothing comes for longer than
            # --idle-flush: the input is paused, not over
            wait_for(
                lambda: state.exists() and f'"offset":{log.stat().st_size},' in state.read_text(),
                timeout=30,
                what="the piece read and checkpointed",
            )
            time.sleep(2.5)  # the pause itself is what is tested
            if piece % 3 == 0:
                daemon.kill9()
        if daemon.proc is None or daemon.proc.poll() is not None:
            starts = daemon.log().count("following")
            daemon.start()
            wait_for(lambda: daemon.log().count("following") > starts, 30, what="restarted")
        wait_for(lambda: f'"offset":{log.stat().st_size},' in state.read_text(), 30, what="all")
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
    assert {late for _, late, _ in STATUS.findall(daemon.log())} == {"0"}
    assert assert_same_minutes(rrds, ref, epoch("2024-05-01 10:00")) > 500


def test_one_hosts_replay_after_the_others_moved_on_is_counted(
    dirs: tuple[Path, Path], daemon_idle: Daemon
) -> None:
    """A host's records arrive minutes after the other hosts' (syslog-ng replaying its
    disk buffer): its instances' minutes wait for them, judged by that host's clock."""
    logs, rrds = dirs
    log = logs / "t.log"
    h1, h2 = "app1 acme inst1", "app2 acme inst2"
    append(log, request(h1, 1, "2024-05-01 10:00", 1, 0, 1.0))
    append(log, request(h2, 1, "2024-05-01 10:00", 1, 0, 1.0))
    daemon_idle.start()
    daemon_idle.wait_log("following")
    for m in range(1, 6):
        append(log, request(h1, 1 + m, f"2024-05-01 10:0{m}", 1, 0, 1.0))
    rrd1 = rrds / "tracelog" / "app1__acme__inst1.rrd"
    wait_for(lambda: holds(rrd1, epoch("2024-05-01 10:05")))
    # host 2's rest of minute 10:00 arrives now, long after host 1's 10:05
    append(log, request(h2, 2, "2024-05-01 10:00", 30, 0, 1.0))
    append(log, [f"{h2} : B 3 2024-05-01 10:01:00 GET /"])
    rrd2 = rrds / "tracelog" / "app2__acme__inst2.rrd"
    wait_for(lambda: rrd2.exists(), what="host 2's minute")
    assert daemon_idle.terminate() == 0
    assert known(minutes(rrd2, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (2.0, 0.0, 0.0, 60.0, 0.0)
    }
    assert " late=0 " in daemon_idle.log()


def test_quiet_instance_closed_by_its_hosts_newer_records(
    dirs: tuple[Path, Path], daemon_idle: Daemon
) -> None:
    """Old records (a replay): a quiet instance's last minute is written once another
    instance of its host is --idle-flush seconds past that minute."""
    logs, rrds = dirs
    log = logs / "t.log"
    quiet, busy = "app1 acme quiet", "app1 acme busy"
    append(log, request(quiet, 1, "2024-05-01 10:00", 1, 0, 1.0))
    daemon_idle.start()
    daemon_idle.wait_log("following")
    rrd = rrds / "tracelog" / "app1__acme__quiet.rrd"
    append(log, request(busy, 1, "2024-05-01 10:01", 0, 0, 0.5))  # 10:01:00.5 < 10:01 + 1 s
    wait_for(lambda: "lines=10 " in daemon_idle.log(), what="the busy records read")
    state = rrds / ".state" / "tracelog.json"
    seen = state.stat().st_mtime_ns if state.exists() else 0
    wait_for(lambda: state.exists() and state.stat().st_mtime_ns > seen, what="a checkpoint")
    assert not rrd.exists()
    append(log, request(busy, 2, "2024-05-01 10:01", 5, 0, 0.5))
    wait_for(rrd.exists, what="the quiet instance's minute")
    assert known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (1.0, 0.0, 0.0, 60.0, 0.0)
    }
    assert daemon_idle.terminate() == 0


@pytest.mark.slow
def test_live_quiet_instance_minute_appears_idle_flush_after_it_ends(
    dirs: tuple[Path, Path], daemon_idle: Daemon
) -> None:
    """Live records, then the whole input goes silent: the last minute is written about
    --idle-flush seconds after it ends (here 1 s; a minute of real time at most)."""
    logs, rrds = dirs
    daemon_idle.start()
    daemon_idle.wait_log("following")
    now = datetime.now(UTC)
    minute = now.strftime("%Y-%m-%d %H:%M")
    append(logs / "t.log", request("app1 acme inst1", 1, minute, now.second, 0, 0.5))
    end = epoch(minute) + 60
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    # the file is created before its first row is written: wait for the row
    wait_for(lambda: holds(rrd, end), timeout=end - time.time() + 20, what="the quiet minute")
    assert time.time() >= end + 1
    assert known(minutes(rrd, end - 60, end)) == {end: (1.0, 0.0, 0.0, 120.0, 0.0)}
    assert daemon_idle.terminate() == 0


def holds(rrd: Path, end: int) -> bool:
    """The RRD exists and has been updated through ``end`` (not only created)."""
    try:
        return rrd.exists() and rrdtool.last(str(rrd)) >= end
    except rrdtool.OperationalError:  # caught between its creation and first update
        return False


@pytest.fixture
def daemon_idle(tmp_path: Path, dirs: tuple[Path, Path]) -> Iterator[Daemon]:
    """A live collector closing quiet minutes 1 s after the input shows them over."""
    logs, rrds = dirs
    d = Daemon(
        collector_cmd(
            logs,
            rrds,
            "--idle-flush",
            "1",
            "--poll-interval",
            "0.2",
            "--checkpoint-interval",
            "0.2",
            "--status-interval",
            "0.3",
        ),
        tmp_path / "daemon.log",
    )
    yield d
    d.stop()
