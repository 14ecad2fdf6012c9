"""The demo load generator feeds kinesalite and the collector turns it into RRDs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import rrdtool

from tests.functional.kinesis.conftest import daemon_env, run_once, summary


def test_demo_generator_backfills_then_runs_until_sigterm(
    kinesis: Any, kinesalite: str, tmp_path: Path
) -> None:
    stream = "demo-" + uuid.uuid4().hex[:8]
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphmetrics.demo.kinesis_load", "--endpoint-url", kinesalite]
        + ["--stream", stream, "--create", "--backfill", "--rate", "50", "--seed", "1"],
        env=daemon_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "until stopped" in line:
                break
        else:
            raise AssertionError("the generator never started its live phase")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    counts = summary(run_once(kinesalite, stream, tmp_path / "rrd", tmp_path / "cp"))
    assert counts["bad"] == 0 and counts["skipped_old"] == 0
    files = sorted((tmp_path / "rrd" / "metrics").rglob("*.rrd"))
    assert len(files) == 14
    rpm = tmp_path / "rrd" / "metrics" / "web1.example.com" / "cimaa" / "http" / "rpm.rrd"
    now = int(time.time())
    _, _, rows = rrdtool.fetch(str(rpm), "AVERAGE", "-s", str(now - 86400), "-e", str(now))
    known = [row[0] for row in rows if row[0] is not None]
    assert len(known) > 250 and all(v >= 0 for v in known)  # a day of 5-minute samples
    assert counts["written"] >= 14 * 287  # a day of backfill per series, then live samples
