"""A real Kinesis-compatible server (kinesalite from npm) for the collector's tests."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rrdtool

from graphmetrics.cli.kinesis import kinesis_client
from tests.helpers import REPO
from tests.kinesalite import (
    Kinesalite,
    active,
    create_stream,
    put_all,
    record,
    running_kinesalite,
)

__all__ = ["active", "put_all", "record"]

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def kinesalite() -> Iterator[Kinesalite]:
    """The endpoint URL of a kinesalite bound to 127.0.0.1 on a free port."""
    if not (REPO / "node_modules" / "kinesalite").is_dir():
        pytest.fail("kinesalite is not installed: run `npm install` at the repository root")
    with running_kinesalite() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def kinesalite_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that finds kinesalite gone says so, with what kinesalite printed, instead
    of a connection error; one that leaves it dead fails too."""
    if "kinesalite" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("kinesalite")
    server.check_alive()
    yield
    server.check_alive()


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
        return create_stream(kinesis, "test-" + uuid.uuid4().hex[:12], shards)

    return make


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
