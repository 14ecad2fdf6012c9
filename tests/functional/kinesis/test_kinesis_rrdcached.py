"""Through rrdcached, a write lost behind its back (another process holds the file's
lock when rrdcached writes; FLUSH still answers success) is found from the file's
own last update, retried, never checkpointed past, and written once (issue #9 item 3)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rrdtool

from tests.disk import locked_by_another_process
from tests.functional.kinesis.conftest import (
    DAEMON,
    T0,
    daemon_env,
    fetch,
    put_all,
    series,
    summary,
)
from tests.helpers import wait_for
from tests.rrdcached import running_rrdcached

RETRYING = "files cannot be written for now"


def checkpoints(cp: Path, stream: str) -> dict[str, str]:
    """The saved checkpoints (not a temporary file of one being saved)."""
    folder = cp / stream
    return {p.name: p.read_text() for p in folder.glob("shardId-*.json")}


def file_last(path: Path) -> int:
    """The file's own last update (INFO reads the file; LAST would ask rrdcached)."""
    return int(rrdtool.info(str(path))["last_update"]) if path.exists() else 0


def test_a_write_lost_behind_rrdcached_is_retried_and_never_checkpointed_past(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    a, b = rrd / "metrics/a/v.rrd", rrd / "metrics/b/v.rrd"
    log_path = tmp_path / "daemon.log"
    with running_rrdcached(rrd, tmp_path) as address:
        cmd = [DAEMON, "--stream", stream, "--endpoint-url", kinesalite, "--rrdcached", address]
        cmd += ["--rrd-dir", str(rrd), "--checkpoint-dir", str(cp)]
        put_all(kinesis, stream, series(["a", "b"], range(2)))
        with open(log_path, "w") as log:
            daemon = subprocess.Popen(cmd, env=daemon_env(), stderr=log)
        try:
            wait_for(
                lambda: checkpoints(cp, stream) and file_last(a) == T0 + 300,
                timeout=20,
                what="the first samples written and checkpointed",
            )
            saved = checkpoints(cp, stream)

            # rrdcached knows a.rrd now: it takes the update, then cannot write it
            with locked_by_another_process(a):
                put_all(kinesis, stream, series(["a", "b"], range(2, 4)))
                wait_for(lambda: RETRYING in log_path.read_text(), timeout=20, what="a retry")
                assert "lack samples rrdcached accepted" in log_path.read_text()
                assert checkpoints(cp, stream) == saved
            assert file_last(a) == T0 + 300  # lost behind rrdcached's back
            wait_for(
                lambda: file_last(a) == T0 + 900 and checkpoints(cp, stream) != saved,
                timeout=30,
                what="the retry to write the samples and the checkpoint to move on",
            )
            assert file_last(b) == T0 + 900

            # an obstacle lasting until the stop: exit 1, nothing checkpointed past it
            saved = checkpoints(cp, stream)
            retries = log_path.read_text().count(RETRYING)
            with locked_by_another_process(a):
                put_all(kinesis, stream, series(["a", "b"], range(4, 5)))
                wait_for(
                    lambda: log_path.read_text().count(RETRYING) > retries,
                    timeout=20,
                    what="another retry",
                )
                daemon.send_signal(signal.SIGTERM)
                assert daemon.wait(timeout=20) == 1
            assert checkpoints(cp, stream) == saved
            counts = summary(log_path.read_text())
            assert counts["unverified"] >= 2 and counts["created"] == 2
            assert counts["written"] == 9  # of 10: a's last sample is not written, nor counted
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()

        again = subprocess.run(
            [*cmd, "--once"], env=daemon_env(), capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        counts = summary(again.stderr)
        # b's last sample reached its file before the stop: re-read, it is skipped
        written = (counts["written"], counts["skipped_old"], counts["unverified"])
        assert (counts["records"], written) == (2, (1, 1, 0))
        assert fetch(a, address) == [(T0 + 300 * s, float(s * 100)) for s in range(5)]
        assert fetch(b, address) == [(T0 + 300 * s, float(s * 100 + 1)) for s in range(5)]
