"""Local engines for the KCL consumer, shared by the cluster tests and bench/kcl.py:
moto server (DynamoDB), kinesis-local (Kinesis, with the ChildShards the KCL needs
to follow a split) and ``graphmetrics-kcl run`` workers (the KCL MultiLangDaemon on
Java 17), all on 127.0.0.1 (kinesis-local binds every interface: it has no host
option).  Their command lines are :mod:`graphmetrics.demo.engines`', which
``make demo-cluster`` runs too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from graphmetrics.demo import engines
from tests.helpers import REPO, free_port, listening, wait_for

BIN = REPO / ".venv" / "bin"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
REGION = AWS_ENV["AWS_DEFAULT_REGION"]
FAILOVER = 10.0
LEASE_ASSIGNMENT = 2.0
T0 = 1_700_000_100


class EngineError(RuntimeError):
    """A local engine did not start; the message has the end of its log."""


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    return wait_for(check, timeout, interval, what)


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMETRICS_", "AWS_"))}
    values.update(AWS_ENV)
    values.update(extra or {})
    return values


def stop(proc: subprocess.Popen[Any], group: bool = False, timeout: float = 30.0) -> None:
    """SIGTERM to the process (as supervisord stops a program), then SIGKILL to it, or
    to its whole group with ``group``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if group:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def server(command: list[str], port: int, log_path: Path, what: str, **kw: Any) -> Iterator[str]:
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **kw)
    try:
        wait_until(lambda: listening(port) or proc.poll() is not None, 60, what, 0.2)
        if proc.poll() is not None:
            raise EngineError(f"{what} exited: {log_path.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=5)


@contextmanager
def moto_server(root: Path) -> Iterator[str]:
    """DynamoDB for the KCL's tables; yields its endpoint URL."""
    port = free_port()
    command = engines.moto_command(port)
    with server(command, port, root / "moto.log", "moto server", env=env()) as url:
        yield url


@contextmanager
def kinesis_local(root: Path) -> Iterator[str]:
    """kinesis-local, started from its package folder (it reads server.json there)."""
    try:
        folder = engines.kinesis_local_dir(REPO)
    except engines.SetupError as exc:
        raise EngineError(str(exc)) from None
    port = free_port()
    settings = engines.kinesis_local_env(port, free_port())
    log = root / "kinesis-local.log"
    command = ["node", "main.js"]
    with server(command, port, log, "kinesis-local", cwd=folder, env=env(settings)) as url:
        yield url


def client(service: str, endpoint: str) -> Any:
    return boto3.session.Session(
        region_name=REGION,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    ).client(service, endpoint_url=endpoint)


def active(kinesis: Any, stream: str) -> bool:
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return bool(summary["StreamStatus"] == "ACTIVE")


def create_stream(kinesis: Any, shards: int) -> str:
    name = "kcl-" + uuid.uuid4().hex[:10]
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_until(lambda: active(kinesis, name), 30, f"stream {name} ACTIVE", 0.2)
    return name


def split_first_shard(kinesis: Any, stream: str) -> str:
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]
    low = int(shard["HashKeyRange"]["StartingHashKey"])
    high = int(shard["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(
        StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((low + high) // 2)
    )
    wait_until(lambda: active(kinesis, stream), 30, "split done", 0.2)
    return str(shard["ShardId"])


def record(name: str, ts: int, value: float) -> str:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return json.dumps({"timestamp": stamp, "name": name, "value": value, "units": "n"})


def round_records(names: list[str], step: int) -> list[tuple[str, str]]:
    """(partition key, data) of every name's sample at step ``step``: the partition key
    is the metric name (the producer contract), the value says name and step."""
    return [(f"//{n}#v", record(f"//{n}#v", T0 + 300 * step, step * 1000 + i)) for i, n in
            enumerate(names)]  # fmt: skip


def expected(names: list[str], steps: range, name: str) -> list[tuple[int, float]]:
    i = names.index(name)
    return [(T0 + 300 * s, float(s * 1000 + i)) for s in steps]


def put_with_cli(endpoint: str, stream: str, items: list[tuple[str, str]], work: Path) -> None:
    """PutRecords through the AWS CLI (v1: a blob in JSON input is taken as it is)."""
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        request = work / f"put-{uuid.uuid4().hex[:8]}.json"
        records = [{"PartitionKey": key, "Data": data} for key, data in chunk]
        request.write_text(json.dumps({"StreamName": stream, "Records": records}))
        out = subprocess.run(
            [str(BIN / "aws"), "--endpoint-url", endpoint, "kinesis", "put-records"]
            + ["--cli-input-json", f"file://{request}", "--output", "json"],
            env=env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        request.unlink()
        assert json.loads(out.stdout).get("FailedRecordCount", 0) == 0, out.stdout


def table(dynamodb_endpoint: str, name: str) -> list[dict[str, Any]]:
    """The rows of a DynamoDB table, each attribute's value without its type."""
    dynamodb = client("dynamodb", dynamodb_endpoint)
    try:
        items = dynamodb.scan(TableName=name, ConsistentRead=True)
    except dynamodb.exceptions.ResourceNotFoundException:
        return []
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items["Items"]]


def leases(dynamodb_endpoint: str, application: str) -> dict[str, dict[str, Any]]:
    """A KCL application's lease table by shard id (leaseOwner, checkpoint...)."""
    return {lease["leaseKey"]: lease for lease in table(dynamodb_endpoint, application)}


@dataclass
class Worker:
    """One ``graphmetrics-kcl run`` (the JVM and its record processors) in a process
    group of its own: :meth:`kill` takes it all down at once, as a crash of its host."""

    worker_id: str
    proc: subprocess.Popen[bytes]
    daemon_log: Path
    processor_log: Path

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        stop(self.proc, group=True)


BATCH = re.compile(
    r"^\d+ (\S+ \S+) DEBUG \S+: shard (\S+): batch records=(\d+) written=(\d+) "
    r"skipped_old=(\d+) failed_files=(\d+)",
    re.MULTILINE,
)


@dataclass
class Batch:
    worker: str
    time: str
    shard: str
    records: int
    written: int
    skipped_old: int


@dataclass
class Cluster:
    """KCL workers sharing one stream and writing to one RRD directory."""

    kinesis_endpoint: str
    dynamodb_endpoint: str
    stream: str
    root: Path
    application: str = ""
    options: dict[str, str] = field(default_factory=dict)
    """More ``graphmetrics-kcl run`` options (name without ``--``: value)."""
    workers: dict[str, Worker] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.application = self.application or f"app-{self.stream}"
        self.rrd_dir.mkdir(parents=True, exist_ok=True)

    @property
    def rrd_dir(self) -> Path:
        return self.root / "rrd"

    def command(self, worker_id: str) -> list[str]:
        options = {
            "stream": self.stream,
            "application-name": self.application,
            "endpoint-url": self.kinesis_endpoint,
            "dynamodb-endpoint-url": self.dynamodb_endpoint,
            "region": REGION,
            "rrd-dir": str(self.rrd_dir),
            "state-dir": str(self.root / worker_id),
            "worker-id": worker_id,
            "failover-time": str(FAILOVER),
            "lease-assignment-interval": str(LEASE_ASSIGNMENT),
            "parent-poll-interval": "1",
            "idle-time-between-reads": "0.25",
            "log-level": "DEBUG",
            "log-file": str(self.root / f"{worker_id}.processors.log"),
            **self.options,
        }
        return [str(BIN / "graphmetrics-kcl"), "run"] + [
            part for key, value in options.items() for part in (f"--{key}", value)
        ]

    def start(self, worker_id: str) -> Worker:
        daemon_log = self.root / f"{worker_id}.daemon.log"
        with open(daemon_log, "ab") as log:
            proc = subprocess.Popen(
                self.command(worker_id),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env(),
                start_new_session=True,
            )
        worker = Worker(worker_id, proc, daemon_log, self.root / f"{worker_id}.processors.log")
        self.workers[worker_id] = worker
        return worker

    def table(self, suffix: str = "") -> list[dict[str, Any]]:
        return table(self.dynamodb_endpoint, self.application + suffix)

    def leases(self) -> dict[str, dict[str, Any]]:
        """The lease table by shard id (leaseOwner, checkpoint, parentShardId...)."""
        return leases(self.dynamodb_endpoint, self.application)

    def owners(self) -> dict[str, str]:
        """Owner of every lease of a shard not finished yet ('' when unassigned)."""
        return {
            key: lease.get("leaseOwner", "")
            for key, lease in self.leases().items()
            if lease.get("checkpoint") != "SHARD_END"
        }

    def leader(self) -> str | None:
        for item in self.table("-CoordinatorState"):
            if item.get("key") == "Leader":
                return str(item.get("ownerName"))
        return None

    def batches(self) -> list[Batch]:
        found = []
        for worker in self.workers.values():
            if worker.processor_log.exists():
                for m in BATCH.finditer(worker.processor_log.read_text()):
                    found.append(
                        Batch(worker.worker_id, m[1], m[2], int(m[3]), int(m[4]), int(m[5]))
                    )
        return found

    def check_running(self) -> None:
        for worker in self.workers.values():
            if worker.proc.poll() is not None and worker.proc.returncode != -signal.SIGKILL:
                raise AssertionError(f"worker {worker.worker_id} exited:\n{self.logs()}")

    def wait_for_owners(self, count: int, timeout: float) -> dict[str, str]:
        """Every unfinished shard leased, to ``count`` different workers."""

        def spread() -> dict[str, str] | None:
            self.check_running()
            owners = self.owners()
            taken = [owner for owner in owners.values() if owner]
            if owners and len(taken) == len(owners) and len(set(taken)) == count:
                return owners
            return None

        return wait_until(spread, timeout, f"the leases on {count} workers")  # type: ignore[no-any-return]

    def logs(self) -> str:
        out = []
        for worker in self.workers.values():
            for path in (worker.daemon_log, worker.processor_log):
                if path.exists():
                    text = path.read_text()
                    lines = [line for line in text.splitlines() if " DEBUG " not in line]
                    out.append(f"--- {path.name} (end)\n" + "\n".join(lines[-40:]))
        return "\n".join(out)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
