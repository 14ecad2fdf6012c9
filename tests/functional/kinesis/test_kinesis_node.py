"""graphmetrics-kinesis writing to a storage node over TCP: its --rrd-dir does not
exist on this host and stays so; the files are on the node (issue #13 item 2)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.functional.kinesis.conftest import (
    DAEMON,
    T0,
    daemon_env,
    fetch,
    put_all,
    series,
    summary,
)
from tests.rrdcached import node_writing_over_tcp


def test_the_collector_writes_to_a_storage_node_with_no_local_rrd_directory(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    base, nowhere, cp = tmp_path / "node", tmp_path / "no-such-dir", tmp_path / "cp"
    work = tmp_path / "cwd"
    work.mkdir()
    with node_writing_over_tcp(base, tmp_path) as address:
        cmd = [DAEMON, "--stream", stream, "--endpoint-url", kinesalite, "--rrdcached", address]
        cmd += ["--rrd-dir", str(nowhere), "--checkpoint-dir", str(cp), "--once"]
        put_all(kinesis, stream, series(["a.b", "c"], range(3)))
        run = subprocess.run(
            cmd, env=daemon_env(), cwd=work, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        counts = summary(run.stderr)
        assert (counts["created"], counts["written"], counts["unverified"]) == (2, 6, 0)
        assert fetch(base / "metrics/a.b/v.rrd") == [
            (T0 + 300 * s, float(s * 100)) for s in range(3)
        ]
        assert fetch(base / "metrics/c/v.rrd") == [
            (T0 + 300 * s, float(s * 100 + 1)) for s in range(3)
        ]
        assert "paths relative to its base directory" in run.stderr

        # read again from the start (no checkpoint): the node's files say what is there
        for saved in cp.rglob("shardId-*.json"):
            saved.unlink()
        again = subprocess.run(
            cmd, env=daemon_env(), cwd=work, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        counts = summary(again.stderr)
        assert (counts["created"], counts["written"], counts["skipped_old"]) == (0, 0, 6)
    assert not nowhere.exists() and list(work.iterdir()) == []
