"""Two KCL workers (``graphmetrics-kcl run``: the MultiLangDaemon on Java 17) share a
stream on kinesis-local, with their leases in moto server's DynamoDB.

One cluster serves the module, writing through an rrdcached (the storage node's
daemon), in order: records put with the AWS CLI are written exactly once across the
two workers; a shard split while records flow; a write lost behind rrdcached, not
checkpointed until it is written; a worker killed with SIGKILL, whose leases the other
takes over.  A producer puts one sample
of every series per round, partition key = metric name (the producer contract), so
every series is checked sample by sample at the end of each test.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rrdtool

from tests.disk import locked_by_another_process
from tests.functional.cluster import harness
from tests.functional.cluster.harness import FAILOVER, LEASE_ASSIGNMENT, T0, Cluster
from tests.rrdcached import running_rrdcached

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

NAMES = [f"node{i}.example/kcl" for i in range(40)]
#: The leader gives a new worker its share of leases once it sees the worker's
#: metrics and traffic; JVM start-up included, on 2 busy cores.
SPREAD_TIMEOUT = 150.0
WRITE_TIMEOUT = 60.0


class Producer:
    """Puts rounds of samples through the AWS CLI, in the test's thread or in the background."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.rounds = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def put_round(self) -> None:
        items = harness.round_records(NAMES, self.rounds)
        c = self.cluster
        harness.put_with_cli(c.kinesis_endpoint, c.stream, items, c.root)
        self.rounds += 1

    def start(self, pause: float = 0.5) -> None:
        self._stop.clear()

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    self.put_round()
                    self._stop.wait(pause)
            except BaseException as exc:  # reported by stop()
                self.error = exc

        self._thread = threading.Thread(target=loop, name="producer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self.error is not None:
            raise self.error

    @property
    def samples(self) -> int:
        return self.rounds * len(NAMES)


@pytest.fixture(scope="module")
def cluster(
    kinesis_local: str, moto_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    kinesis = harness.client("kinesis", kinesis_local)
    stream = harness.create_stream(kinesis, 4)
    root = tmp_path_factory.mktemp("kcl")
    with running_rrdcached(root / "rrd", root) as address:
        c = Cluster(kinesis_local, moto_server, stream, root, options={"rrdcached": address})
        try:
            c.start("w1")
            c.start("w2")
            yield c
        finally:
            c.stop()


@pytest.fixture(scope="module")
def producer(cluster: Cluster) -> Producer:
    return Producer(cluster)


def stored(rrd_dir: Path, name: str, rounds: int) -> list[tuple[int, float]]:
    path = rrd_dir / "metrics" / name / "v.rrd"
    if not path.exists():
        return []
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 300), "-e", str(T0 + 300 * rounds)
    )
    return [(start + step * (i + 1), row[0]) for i, row in enumerate(rows) if row[0] is not None]


def wait_until_written(cluster: Cluster, producer: Producer) -> None:
    """Every series holds every round's sample, exactly as put."""
    last = T0 + 300 * (producer.rounds - 1)

    def complete() -> bool:
        cluster.check_running()
        for name in NAMES:
            path = cluster.rrd_dir / "metrics" / name / "v.rrd"
            if not path.exists() or rrdtool.last(str(path)) < last:
                return False
        return True

    try:
        harness.wait_until(complete, WRITE_TIMEOUT, f"{producer.rounds} rounds written")
    except AssertionError:
        raise AssertionError(f"{cluster.leases()}\n{cluster.logs()}") from None
    rounds = range(producer.rounds)
    for name in NAMES:
        assert stored(cluster.rrd_dir, name, producer.rounds) == harness.expected(
            NAMES, rounds, name
        ), name


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[kcl] {text}", flush=True)


def test_records_put_with_the_cli_are_written_once_across_two_workers(
    cluster: Cluster, producer: Producer, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    producer.start()
    try:
        owners = cluster.wait_for_owners(2, SPREAD_TIMEOUT)
    except AssertionError:
        producer.stop()
        raise AssertionError(f"{cluster.leases()}\n{cluster.logs()}") from None
    spread = time.monotonic() - started
    try:
        harness.wait_until(
            lambda: {b.worker for b in cluster.batches() if b.written} == {"w1", "w2"},
            WRITE_TIMEOUT,
            "batches written by both workers",
        )
    finally:
        producer.stop()
    wait_until_written(cluster, producer)
    batches = cluster.batches()
    assert {b.worker for b in batches if b.written} == {"w1", "w2"}, owners
    # Each sample was written once: re-reads (a lease handed over) would only be skipped.
    assert sum(b.written for b in batches) == producer.samples
    assert sum(b.records for b in batches) >= producer.samples
    report(
        capsys,
        f"two workers holding leases {spread:.0f}s after start; {producer.samples} samples "
        f"written once; re-read and skipped: {sum(b.skipped_old for b in batches)}",
    )


def test_a_split_while_records_flow(cluster: Cluster, producer: Producer) -> None:
    kinesis = harness.client("kinesis", cluster.kinesis_endpoint)
    before = cluster.batches()
    first = producer.rounds
    producer.start()
    harness.wait_until(lambda: producer.rounds >= first + 2, 60, "two rounds put")
    parent = harness.split_first_shard(kinesis, cluster.stream)
    split_at = producer.rounds
    harness.wait_until(lambda: producer.rounds >= split_at + 3, 60, "three rounds after the split")
    producer.stop()
    wait_until_written(cluster, producer)

    leases = cluster.leases()
    assert leases[parent]["checkpoint"] == "SHARD_END"
    children = [key for key, lease in leases.items() if parent in lease.get("parentShardId", [])]
    assert len(children) == 2, leases
    batches = [b for b in cluster.batches() if b not in before]
    parent_times = [b.time for b in batches if b.shard == parent]
    child_times = [b.time for b in batches if b.shard in children]
    assert child_times, "the children were never read"
    # Parents before children: the children's records follow every parent record.
    assert not parent_times or max(parent_times) <= min(child_times)
    assert sum(b.written for b in batches) == len(NAMES) * (producer.rounds - first)


RETRYING = re.compile(r"shard (\S+): \d+ files cannot be written for now")


def log_sizes(cluster: Cluster) -> dict[str, int]:
    return {
        w.worker_id: w.processor_log.stat().st_size if w.processor_log.exists() else 0
        for w in cluster.workers.values()
    }


def retries(cluster: Cluster, since: dict[str, int]) -> list[str]:
    """The shards of the write retries logged since ``since`` (log sizes), in order."""
    found = []
    for worker in cluster.workers.values():
        with open(worker.processor_log, "rb") as log:
            log.seek(since.get(worker.worker_id, 0))
            found += RETRYING.findall(log.read().decode(errors="replace"))
    return found


def checkpoints(cluster: Cluster) -> dict[str, str]:
    return {key: lease.get("checkpoint", "") for key, lease in cluster.leases().items()}


def test_a_write_lost_behind_rrdcached_is_not_checkpointed_until_written(
    cluster: Cluster, producer: Producer
) -> None:
    """Another process holds the file's lock when rrdcached writes it: rrdcached takes
    the update and reports the flush done; the worker finds the file's last update short
    (INFO), keeps the samples and retries, and its shard's checkpoint in DynamoDB does
    not move past them until they are in the file, written once."""
    path = cluster.rrd_dir / "metrics" / NAMES[0] / "v.rrd"
    before, first, sizes = cluster.batches(), producer.rounds, log_sizes(cluster)
    written_last = T0 + 300 * (first - 1)
    assert int(rrdtool.info(str(path))["last_update"]) == written_last
    with locked_by_another_process(path):
        producer.put_round()
        shards = harness.wait_until(lambda: retries(cluster, sizes), WRITE_TIMEOUT, "a retry")
        shard = shards[0]
        assert set(shards) == {shard}
        held = checkpoints(cluster)
        producer.put_round()  # more records on every shard, this one's behind the retry

        def others_moved() -> bool:
            cluster.check_running()
            now = checkpoints(cluster)
            return any(now[key] != held.get(key) for key in now if key != shard)

        harness.wait_until(others_moved, WRITE_TIMEOUT, "the other shards checkpointed")
        harness.wait_until(
            lambda: len(retries(cluster, sizes)) >= 3, WRITE_TIMEOUT, "the write retried again"
        )
        assert checkpoints(cluster)[shard] == held[shard]
    wait_until_written(cluster, producer)  # every sample in its file, exactly as put
    harness.wait_until(
        lambda: checkpoints(cluster)[shard] != held[shard], WRITE_TIMEOUT, "the checkpoint moved"
    )
    batches = [b for b in cluster.batches() if b not in before]
    assert sum(b.written for b in batches) == len(NAMES) * (producer.rounds - first)


def test_a_killed_worker_s_leases_are_taken_over(
    cluster: Cluster, producer: Producer, capsys: pytest.CaptureFixture[str]
) -> None:
    owners = cluster.wait_for_owners(2, SPREAD_TIMEOUT)
    # The KCL 3 leader holds a DynamoDB lock of a fixed 2 minutes: losing the leader
    # delays every reassignment that long (see README); the other worker is killed.
    leader = cluster.leader()
    victim = next(owner for owner in set(owners.values()) if owner != leader)
    survivor = next(w for w in cluster.workers if w != victim)
    written_before = sum(b.written for b in cluster.batches())
    first = producer.rounds
    producer.start()
    harness.wait_until(lambda: producer.rounds > first, 30, "a round put")
    cluster.workers[victim].kill()
    killed = time.monotonic()
    cluster.wait_for_owners(1, 90)
    failover = time.monotonic() - killed
    assert set(cluster.owners().values()) == {survivor}
    round_at_takeover = producer.rounds
    harness.wait_until(lambda: producer.rounds >= round_at_takeover + 2, 60, "rounds after")
    producer.stop()
    wait_until_written(cluster, producer)  # nothing lost
    written = sum(b.written for b in cluster.batches())
    assert written - written_before <= producer.samples  # nothing written twice
    report(
        capsys,
        f"worker {victim} killed: {survivor} held all its leases after {failover:.1f}s "
        f"(failover time {FAILOVER:.0f}s, lease assignment every {LEASE_ASSIGNMENT:.0f}s)",
    )
    # measured 11-21 s here; the slack is for two JVMs sharing a loaded 2-core machine
    # (still far below the 2-minute leader lock that an unconfigured takeover waits on)
    assert failover <= FAILOVER + LEASE_ASSIGNMENT + 20
