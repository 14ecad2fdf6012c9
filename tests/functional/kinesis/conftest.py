"""A real Kinesis-compatible server (kinesalite from npm) for the collector's tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rrdtool

from graphmetrics.cli.kinesis import kinesis_client
from tests.conftest import REPO
from tests.helpers import free_port, wait_for

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def kinesalite() -> Iterator[str]:
    """The endpoint URL of a kinesalite bound to 127.0.0.1 on a free port."""
    script = REPO / "scripts" / "kinesalite.js"
    if not (REPO / "node_modules" / "kinesalite").is_dir():
        pytest.fail("kinesalite is not installed: run `npm install` at the repository root")
    port = free_port()
    proc = subprocess.Popen(
        ["node", str(script), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening" not in line:
            pytest.fail(f"kinesalite did not start: {line}{proc.stdout.read()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the script exits when its stdin closes
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    return AWS_ENV


@pytest.fixture
def kinesis(kinesalite: str, aws_env: dict[str, str]) -> Any:
    """The daemon's own client (GetRecords decoded by graphmetrics.collect.kinesis_wire)."""
    return kinesis_client(kinesalite, "us-east-1")


@pytest.fixture
def make_stream(kinesis: Any) -> Callable[[int], str]:
    """Create a fresh ACTIVE stream with ``shards`` shards; returns its name."""

    def make(shards: int) -> str:
        name = "test-" + uuid.uuid4().hex[:12]
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        wait_for(lambda: active(kinesis, name), what=f"stream {name} ACTIVE")
        return name

    return make


def active(kinesis: Any, stream: str) -> bool:
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return bool(summary["StreamStatus"] == "ACTIVE")


T0 = 1_700_000_100


def fetch(path: Path, daemon: str | None = None) -> list[tuple[int, float]]:
    args = ["--daemon", daemon] if daemon else []
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", *args, "-r", "300", "-s", str(T0 - 600), "-e", str(T0 + 300 * 60)
    )
    return [(start + step * (i + 1), row[0]) for i, row in enumerate(rows) if row[0] is not None]


def series(names: list[str], steps: range) -> list[tuple[str, bytes]]:
    return [
        (n, record(f"//{n}#v", T0 + 300 * s, s * 100 + i))
        for s in steps
        for i, n in enumerate(names)
    ]


def record(name: str, ts: int, value: float) -> bytes:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return json.dumps({"timestamp": stamp, "name": name, "value": value, "units": "n"}).encode()


def put_all(kinesis: Any, stream: str, items: list[tuple[str, bytes]]) -> None:
    """PutRecords in chunks of 500, partition key first, failing on any rejected record."""
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        response = kinesis.put_records(
            StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk]
        )
        assert response.get("FailedRecordCount", 0) == 0, response


def daemon_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMETRICS_")}
    env.update(AWS_ENV)
    env.update(extra or {})
    return env


DAEMON = str(REPO / ".venv" / "bin" / "graphmetrics-kinesis")


def run_once(endpoint: str, stream: str, rrd_dir: Path, checkpoint_dir: Path) -> str:
    """Run ``graphmetrics-kinesis --once``; returns its log, failing on a non-zero exit."""
    proc = subprocess.run(
        [
            DAEMON,
            "--once",
            "--stream",
            stream,
            "--endpoint-url",
            endpoint,
            "--rrd-dir",
            str(rrd_dir),
            "--checkpoint-dir",
            str(checkpoint_dir),
        ],
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def summary(log: str) -> dict[str, int]:
    """The counters of the daemon's last ``finished:`` status line."""
    lines = [line for line in log.splitlines() if "finished: stream" in line]
    assert lines, log
    return {k: int(v) for k, v in re.findall(r"\b(\w+)=(\d+)\b", lines[-1])}
