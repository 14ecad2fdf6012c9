"""The daemon on a full disk waits instead of dropping samples: nothing is
checkpointed past them, and once there is room again every sample is written once."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.disk import small_disk
from tests.functional.kinesis.conftest import (
    DAEMON,
    daemon_env,
    fetch,
    put_all,
    run_once,
    series,
    summary,
)
from tests.helpers import wait_for


def values(path: Path) -> list[float]:
    return [value for _, value in fetch(path)]


def test_full_disk_stalls_then_writes_everything_once(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    cp = tmp_path / "cp"
    old, new = ["old1", "old2"], ["new1", "new2"]
    with small_disk(tmp_path / "disk", size="1m") as disk:
        rrd = disk.path
        put_all(kinesis, stream, series(old, range(2)))
        run_once(kinesalite, stream, rrd, cp)
        saved = {p.name: p.read_text() for p in (cp / stream).glob("*.json")}

        disk.fill()
        put_all(kinesis, stream, series(old + new, range(2, 4)))
        log_path = tmp_path / "daemon.log"
        with open(log_path, "w") as log:
            daemon = subprocess.Popen(
                [DAEMON, "--stream", stream, "--endpoint-url", kinesalite]
                + ["--rrd-dir", str(rrd), "--checkpoint-dir", str(cp)]
                + ["--min-free-disk", "0"],  # the disk itself full, not the floor reached
                env=daemon_env(),
                stderr=log,
            )
        try:
            wait_for(
                lambda: "2 files cannot be written for now" in log_path.read_text(),
                timeout=20,
                what="the daemon waiting for room",
            )
            assert {p.name: p.read_text() for p in (cp / stream).glob("*.json")} == saved
            assert values(rrd / "metrics/old1/v.rrd") == [0.0, 100.0, 200.0, 300.0]  # in place
            assert not (rrd / "metrics/new1/v.rrd").exists()

            disk.free()
            wait_for(
                lambda: (
                    (rrd / "metrics/new2/v.rrd").exists()
                    and {p.name: p.read_text() for p in (cp / stream).glob("*.json")} != saved
                ),
                timeout=20,
                what="the retry to go through and the checkpoint to move on",
            )
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=15) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
        log_text = log_path.read_text()
        assert summary(log_text)["written"] == 8
        assert summary(log_text)["write_retries"] >= 1
        assert summary(run_once(kinesalite, stream, rrd, cp))["records"] == 0
        assert values(rrd / "metrics/old2/v.rrd") == [1.0, 101.0, 201.0, 301.0]
        assert values(rrd / "metrics/new1/v.rrd") == [202.0, 302.0]
        assert values(rrd / "metrics/new2/v.rrd") == [203.0, 303.0]
