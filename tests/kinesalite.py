"""kinesalite (a Kinesis-compatible server from npm) and its streams, for the Kinesis
tests and ``bench/kinesis.py``."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.helpers import REPO, free_port, wait_for


class Kinesalite(str):
    """The endpoint URL of a running kinesalite, which can say whether it still runs
    and what it printed (its output is read all along, so it never blocks on it)."""

    proc: subprocess.Popen[str]
    output: list[str]

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(
                f"kinesalite exited with {self.proc.returncode}; it printed:\n"
                + "".join(self.output[-50:])
            )


@contextmanager
def running_kinesalite() -> Iterator[Kinesalite]:
    """The endpoint URL of a kinesalite bound to 127.0.0.1 on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        ["node", str(REPO / "scripts" / "kinesalite.js"), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening" not in line:
            raise AssertionError(
                f"kinesalite did not start (`npm install` at the repository root?): "
                f"{line}{proc.stdout.read()}"
            )
        endpoint = Kinesalite(f"http://127.0.0.1:{port}")
        endpoint.proc, endpoint.output = proc, [line]
        threading.Thread(target=_drain, args=(proc, endpoint.output), daemon=True).start()
        yield endpoint
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the script exits when its stdin closes
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drain(proc: subprocess.Popen[str], output: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)


def active(kinesis: Any, stream: str) -> bool:
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return bool(summary["StreamStatus"] == "ACTIVE")


def create_stream(kinesis: Any, name: str, shards: int) -> str:
    """Create the stream ``name`` with ``shards`` shards and wait until it is ACTIVE."""
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_for(lambda: active(kinesis, name), what=f"stream {name} ACTIVE")
    return name


def record(name: str, ts: int, value: float, units: str = "n") -> bytes:
    """A metric record as the producers write it (JSON, ISO timestamp in UTC)."""
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return json.dumps({"timestamp": stamp, "name": name, "value": value, "units": units}).encode()


def put_all(kinesis: Any, stream: str, items: list[tuple[str, bytes]]) -> None:
    """PutRecords in chunks of 500, partition key first, failing on any rejected record."""
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        response = kinesis.put_records(
            StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk]
        )
        assert response.get("FailedRecordCount", 0) == 0, response
