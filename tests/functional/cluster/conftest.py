"""Real engines for the KCL consumer: moto server (DynamoDB), kinesis-local (Kinesis)
and KCL MultiLangDaemon workers (Java 17) running ``graphmetrics-kcl``.

The servers start once per session and JVM start-ups are the cost, so one cluster of
two workers on one stream is shared by every test of the session (a test module
that needs its own starts it with :func:`start_cluster`).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import REPO
from tests.functional.kinesis.conftest import AWS_ENV, active, daemon_env
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.cluster

BIN = REPO / ".venv" / "bin"
KINESIS_LOCAL = REPO / "node_modules" / "kinesis-local"
FAILOVER = 10.0
LEASE_ASSIGNMENT = 2.0
REGION = AWS_ENV["AWS_DEFAULT_REGION"]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(proc: subprocess.Popen[Any], group: bool = False) -> None:
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait()


def server(
    command: list[str], port: int, log_path: Path, what: str, **kw: Any
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **kw)
    try:
        wait_for(
            lambda: listening(port) or proc.poll() is not None, timeout=60, interval=0.2, what=what
        )
        if proc.poll() is not None:
            pytest.fail(f"{what} exited: {log_path.read_text()[-2000:]}")
        yield proc
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DynamoDB (moto server) on 127.0.0.1: the KCL's lease tables."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    yield from server(command, port, log, "moto server", env=daemon_env())


@pytest.fixture(scope="session")
def kinesis_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """kinesis-local (kinesis-mock) on a free port: returns ChildShards at a shard's end,
    which the KCL needs to follow a split.  It binds every interface (no host option)."""
    if not (KINESIS_LOCAL / "main.js").is_file():
        pytest.fail("kinesis-local is not installed: run `npm install` at the repository root")
    port = free_port()
    env = dict(
        os.environ,
        KINESIS_MOCK_PLAIN_PORT=str(port),
        KINESIS_MOCK_TLS_PORT=str(free_port()),
        CREATE_STREAM_DURATION="0ms",
        DELETE_STREAM_DURATION="0ms",
        SPLIT_SHARD_DURATION="0ms",
        MERGE_SHARDS_DURATION="0ms",
        UPDATE_SHARD_COUNT_DURATION="0ms",
        LOG_LEVEL="WARN",
    )
    log = tmp_path_factory.mktemp("kinesis-local") / "kinesis-local.log"
    command = ["node", "main.js"]
    yield from server(command, port, log, "kinesis-local", cwd=KINESIS_LOCAL, env=env)


def kinesis_client(endpoint: str) -> Any:
    return boto3.session.Session(region_name=REGION).client(
        "kinesis",
        endpoint_url=endpoint,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def dynamodb_client(endpoint: str) -> Any:
    return boto3.session.Session(region_name=REGION).client(
        "dynamodb",
        endpoint_url=endpoint,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def create_stream(kinesis: Any, shards: int) -> str:
    name = "kcl-" + uuid.uuid4().hex[:10]
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_for(lambda: active(kinesis, name), timeout=30, what=f"stream {name} ACTIVE")
    return name


@dataclass
class Worker:
    """One ``graphmetrics-kcl run``: the JVM and its record processors, in a process
    group of their own (``kill`` takes the whole host down, as a crash would)."""

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
    r"shard (\S+): batch records=(\d+) written=(\d+) skipped_old=(\d+) failed_files=(\d+) "
    r"checkpoint=(\d+)"
)


@dataclass
class Cluster:
    kinesis_endpoint: str
    dynamodb_endpoint: str
    stream: str
    application: str
    rrd_dir: Path
    root: Path
    workers: dict[str, Worker] = field(default_factory=dict)

    def command(self, worker_id: str) -> list[str]:
        return [
            str(BIN / "graphmetrics-kcl"),
            "run",
            "--stream",
            self.stream,
            "--application-name",
            self.application,
            "--endpoint-url",
            self.kinesis_endpoint,
            "--dynamodb-endpoint-url",
            self.dynamodb_endpoint,
            "--region",
            REGION,
            "--rrd-dir",
            str(self.rrd_dir),
            "--state-dir",
            str(self.root / worker_id),
            "--worker-id",
            worker_id,
            "--failover-time",
            str(FAILOVER),
            "--lease-assignment-interval",
            str(LEASE_ASSIGNMENT),
            "--parent-poll-interval",
            "1",
            "--idle-time-between-reads",
            "0.25",
            "--log-level",
            "DEBUG",
            "--log-file",
            str(self.root / f"{worker_id}.processors.log"),
        ]

    def start(self, worker_id: str) -> Worker:
        daemon_log = self.root / f"{worker_id}.daemon.log"
        with open(daemon_log, "ab") as log:
            proc = subprocess.Popen(
                self.command(worker_id),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=daemon_env(),
                start_new_session=True,
            )
        worker = Worker(worker_id, proc, daemon_log, self.root / f"{worker_id}.processors.log")
        self.workers[worker_id] = worker
        return worker

    def leases(self) -> list[dict[str, Any]]:
        """The lease table: one item per shard (leaseKey, leaseOwner, checkpoint...)."""
        client = dynamodb_client(self.dynamodb_endpoint)
        try:
            items = client.scan(TableName=self.application, ConsistentRead=True)["Items"]
        except client.exceptions.ResourceNotFoundException:
            return []
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    def owners(self) -> dict[str, str]:
        return {
            lease["leaseKey"]: lease.get("leaseOwner", "")
            for lease in self.leases()
            if lease.get("checkpoint") != "SHARD_END"
        }

    def batches(self) -> list[tuple[str, str, int, int, int]]:
        """(worker, shard, records, written, skipped_old) of every batch written."""
        found = []
        for worker in self.workers.values():
            if worker.processor_log.exists():
                for m in BATCH.finditer(worker.processor_log.read_text()):
                    found.append((worker.worker_id, m[1], int(m[2]), int(m[3]), int(m[4])))
        return found

    def written(self) -> int:
        return sum(b[3] for b in self.batches())

    def logs(self) -> str:
        out = []
        for worker in self.workers.values():
            for path in (worker.daemon_log, worker.processor_log):
                if path.exists():
                    out.append(f"--- {path.name} (end)\n{path.read_text()[-3000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()


def start_cluster(
    kinesis_local: str, moto_server: str, root: Path, shards: int, workers: int = 2
) -> Cluster:
    """A stream of ``shards`` shards and ``workers`` workers sharing it, once every shard
    has a lease (the KCL made its tables and took them)."""
    kinesis = kinesis_client(kinesis_local)
    stream = create_stream(kinesis, shards)
    rrd = root / "rrd"
    rrd.mkdir(parents=True)
    cluster = Cluster(kinesis_local, moto_server, stream, f"app-{stream}", rrd, root)
    for n in range(1, workers + 1):
        cluster.start(f"w{n}")
    return cluster


def wait_for_leases(cluster: Cluster, owners: int, timeout: float = 120.0) -> dict[str, str]:
    def spread() -> dict[str, str] | None:
        for worker in cluster.workers.values():
            if worker.proc.poll() is not None:
                pytest.fail(f"worker {worker.worker_id} exited:\n{cluster.logs()}")
        leases = cluster.owners()
        taken = [o for o in leases.values() if o]
        if leases and len(taken) == len(leases) and len(set(taken)) >= owners:
            return leases
        return None

    try:
        return wait_for(spread, timeout=timeout, interval=0.5, what=f"leases on {owners} workers")
    except AssertionError:
        raise AssertionError(f"leases: {cluster.leases()}\n{cluster.logs()}") from None
