"""New metric files are delayed, never dropped (issue #19): a first start on 2 500
names under the defaults writes every one, exactly as one uncapped run does; a kill -9
while samples are held loses nothing; a flood of invented names is capped and bounded
while the genuine names go on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.kinesis.conftest import (
    DAEMON,
    T0,
    daemon_env,
    fetch,
    put_all,
    record,
    series,
    summary,
)
from tests.helpers import wait_for


def once(endpoint: str, stream: str, rrd: Path, cp: Path, *args: str, code: int = 0) -> str:
    proc = subprocess.run(
        [DAEMON, "--once", "--stream", stream, "--endpoint-url", endpoint]
        + ["--rrd-dir", str(rrd), "--checkpoint-dir", str(cp), *args],
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == code, proc.stderr
    return proc.stderr


def everything(rrd: Path) -> dict[str, list[tuple[int, float]]]:
    return {str(p.relative_to(rrd)): fetch(p) for p in sorted(rrd.rglob("*.rrd"))}


@pytest.fixture
def start_daemon(kinesalite: str) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(stream: str, rrd: Path, cp: Path, log: Path, *args: str) -> subprocess.Popen[str]:
        with open(log, "a") as out:
            proc = subprocess.Popen(
                [DAEMON, "--stream", stream, "--endpoint-url", kinesalite]
                + ["--rrd-dir", str(rrd), "--checkpoint-dir", str(cp), *args],
                env=daemon_env(),
                stderr=out,
                text=True,
            )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_a_first_start_on_2500_names_writes_every_one(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    """Defaults (1 000 new files a minute, the 5 % floor), the minute shortened to 4 s."""
    stream = make_stream(2)
    names = [f"host{i // 50}/m{i}" for i in range(2500)]
    put_all(kinesis, stream, series(names, range(2)))
    capped, uncapped = tmp_path / "capped", tmp_path / "uncapped"
    log = once(kinesalite, stream, capped, tmp_path / "cp1", "--new-files-window", "4")
    counts = summary(log)
    assert (counts["created"], counts["refused_files"], counts["held_files"]) == (2500, 0, 0)
    assert counts["written"] == 5000 and "for the creation budget" in log
    once(kinesalite, stream, uncapped, tmp_path / "cp2", "--max-new-files-per-minute", "0")
    got = everything(capped)
    assert len(got) == 2500 and got == everything(uncapped)


def test_kill_9_while_samples_are_held_loses_nothing(
    kinesis: Any,
    kinesalite: str,
    make_stream: Callable[[int], str],
    start_daemon: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    stream = make_stream(1)
    names = [f"web{i}" for i in range(30)]
    put_all(kinesis, stream, series(names, range(3)))
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    limits = ["--max-new-files-per-minute", "10", "--new-files-window", "600"]
    daemon = start_daemon(stream, rrd, cp, tmp_path / "d.log", *limits)
    held = cp / stream / "held.state"
    checkpoint = cp / stream / "shardId-000000000000.json"

    def saved() -> bool:
        if not (held.exists() and checkpoint.exists()):
            return False
        return len(json.loads(held.read_text())["files"]) == 20

    wait_for(saved, timeout=30, what="20 names held and the shard checkpointed")
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait(timeout=10)
    assert len(list(rrd.rglob("*.rrd"))) == 10
    # the restart's budget is the saved one: nothing more within the window
    again = once(kinesalite, stream, rrd, cp, "--new-files-window", "1")
    assert summary(again)["records"] == 0  # the checkpoint moved past them: they were saved
    want = {
        f"metrics/{n}/v.rrd": [(T0 + 300 * s, float(s * 100 + i)) for s in range(3)]
        for i, n in enumerate(names)
    }
    assert everything(rrd) == want


def test_a_flood_of_invented_names_under_the_defaults_is_capped_and_bounded(
    kinesis: Any,
    kinesalite: str,
    make_stream: Callable[[int], str],
    start_daemon: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    put_all(kinesis, stream, [("k", record("//h#m", T0, 1))])
    once(kinesalite, stream, rrd, cp, "--max-new-files-per-minute", "0")
    flood = [("k", record(f"//invented{i}#m", T0, i)) for i in range(1500)]
    flood += [("k", record("//h#m", T0 + 300, 2))]
    put_all(kinesis, stream, flood)
    log = tmp_path / "d.log"
    # the defaults but a smaller bound on held samples (200 000 takes 200 000 names)
    daemon = start_daemon(stream, rrd, cp, log, "--max-held-samples", "300")
    wait_for(lambda: fetch(rrd / "metrics/h/m.rrd")[-1:] == [(T0 + 300, 2.0)], timeout=30)
    wait_for(lambda: (cp / stream / "held.state").exists(), timeout=10)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0
    counts = summary(log.read_text())
    assert counts["created"] == 1000  # the minute's budget, though the flood is bigger
    assert (counts["held_files"], counts["held_samples"]) == (300, 300)
    assert (counts["refused_files"], counts["refused_samples"]) == (200, 200)
    assert len(list(rrd.rglob("*.rrd"))) == 1001
    assert len(json.loads((cp / stream / "held.state").read_text())["files"]) == 300
