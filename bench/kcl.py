"""Benchmark: the KCL path against the single-host collector, same stream, same run.

Starts moto server (DynamoDB) and kinesis-local on 127.0.0.1 and a stream of 4
shards (``--shards``).  A warm-up round of ``--names`` records (partition key = metric
name) makes every path create its files first, so what is measured is the sustained
rate of updates, with the leases settled:

1. KCL, leases balanced: ``--workers`` (2) ``graphmetrics-kcl run`` workers (the
   MultiLangDaemon on Java 17) read the warm-up; once each holds ``shards / workers``
   leases, their record processors are stopped (SIGSTOP; the JVMs keep renewing the
   leases), ``--steps`` rounds are put, and the processors let go at once: the rate
   is the backlog's records from then to the last batch (the processors' batch log
   lines), all workers together and each worker alone (to its own last batch);
2. KCL, one worker: every worker but one is killed (SIGKILL; the failover time until
   the survivor holds every lease is printed), and another ``--steps`` rounds are read
   by the survivor alone, the same way;
3. single host: ``graphmetrics-kinesis --once`` over the same stream, from its
   checkpoint after the warm-up, so it reads the records of both measured rounds,
   timed from start to exit (process start included), as many GetRecords in flight as
   shards; the KCL workers are stopped by then, so the paths never share the CPUs.

4. the ceiling: bare readers (boto3 GetRecords, one process per shard, nothing done
   with the records) over the whole stream, with kinesis-local's CPU time.  One Node
   process serves every shard here (on AWS each shard is served on its own): at
   about 100 % of a core it is the limit of any set of consumers on this machine.

Printed in records/s with the ratios against the single host (targets: each of the
two balanced workers >= 0.8x, the two together >= 1.6x), and the load average: the
machine is shared.  New-file limits are off in every path (the warm-up creates
``--names`` files at once).

    .venv/bin/python -m bench kcl       (or: .venv/bin/python bench/kcl.py --names 2000)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the harness lives in tests/
    sys.path.insert(0, str(REPO))

from graphmetrics.demo import engines  # noqa: E402
from tests.functional.cluster import harness  # noqa: E402


def put_all(kinesis: object, stream: str, names: list[str], steps: range) -> int:
    items = [item for step in steps for item in harness.round_records(names, step)]
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        response = kinesis.put_records(  # type: ignore[attr-defined]
            StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk]
        )
        assert response.get("FailedRecordCount", 0) == 0, response
    return len(items)


UNCAPPED = ["--max-new-files-per-minute", "0"]


def single_host(kinesis_endpoint: str, stream: str, root: Path, in_flight: int) -> float:
    command = [str(harness.BIN / "graphmetrics-kinesis"), "--once", "--stream", stream]
    command += ["--endpoint-url", kinesis_endpoint, "--max-in-flight", str(in_flight)]
    command += ["--rrd-dir", str(root / "rrd"), "--checkpoint-dir", str(root / "cp"), *UNCAPPED]
    started = time.perf_counter()
    subprocess.run(command, env=harness.env(), check=True, capture_output=True, timeout=900)
    return time.perf_counter() - started


def node_cpu_seconds(folder: Path) -> float:
    """CPU seconds used so far by the ``node`` processes running in ``folder``."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.readlink(proc / "cwd") != str(folder) or (proc / "comm").read_text() != "node\n":
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def read_shard(kinesis_url: str, stream: str, shard: str, limit: int) -> int:
    """Records of ``shard`` from its start, read and dropped (a bare consumer)."""
    kinesis = harness.client("kinesis", kinesis_url)
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    count = 0
    while iterator:
        answer = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        count += len(answer["Records"])
        iterator = answer.get("NextShardIterator")
        if not answer["Records"] and not answer.get("MillisBehindLatest"):
            break
    return count


def ceiling(kinesis_url: str, stream: str, limit: int) -> tuple[int, float, float]:
    """Bare readers over the whole stream, one process per shard: (records, seconds,
    kinesis-local's CPU seconds meanwhile)."""
    kinesis = harness.client("kinesis", kinesis_url)
    shards = [s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]]
    folder = engines.kinesis_local_dir(REPO)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(len(shards), mp_context=context) as pool:
        pool.submit(int).result()  # the processes started before the clock does
        cpu = node_cpu_seconds(folder)
        started = time.perf_counter()
        count = len(shards)
        counts = list(pool.map(read_shard, [kinesis_url] * count, [stream] * count, shards,
                               [limit] * count))  # fmt: skip
        seconds = time.perf_counter() - started
    return sum(counts), seconds, node_cpu_seconds(folder) - cpu


def stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def balanced(cluster: harness.Cluster, workers: int, timeout: float) -> dict[str, str]:
    """Every lease held, the same number by each of ``workers`` workers."""

    def even() -> dict[str, str] | None:
        cluster.check_running()
        owners = cluster.owners()
        held = Counter(owner for owner in owners.values() if owner)
        fair = len(owners) // workers
        if sum(held.values()) == len(owners) and sorted(held.values()) == [fair] * workers:
            return owners
        return None

    return harness.wait_until(even, timeout, f"the leases balanced over {workers} workers", 1.0)  # type: ignore[no-any-return]


def through(cluster: harness.Cluster, total: int, timeout: float = 900) -> list[harness.Batch]:
    """Wait until ``total`` records are in the batch logs; returns those batches."""

    def done() -> bool:
        cluster.check_running()
        return sum(b.records for b in cluster.batches()) >= total

    harness.wait_until(done, timeout, f"{total} records through the KCL workers", 0.5)
    return cluster.batches()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def record_processors(cluster: harness.Cluster) -> list[int]:
    return [p for w in cluster.workers.values() if w.proc.poll() is None
            for p in descendants(w.proc.pid)]  # fmt: skip


def rate(batches: list[harness.Batch], since: float) -> tuple[float, float]:
    """Records/s of ``batches`` from ``since`` to the last one, and that span (s)."""
    span = max(stamp(b.time) for b in batches) - since
    return sum(b.records for b in batches) / span, span


def measured(cluster: harness.Cluster, kinesis: object, stream: str, names: list[str],
             steps: range, shards: int) -> tuple[list[harness.Batch], int, float]:  # fmt: skip
    """Put ``steps`` rounds while the record processors are stopped (SIGSTOP: the
    workers keep their leases), then let them go at once: the backlog is read with the
    leases as they are.  Returns the new batches, the records put and when they went."""
    before = cluster.batches()
    seen = {(b.worker, b.time, b.shard) for b in before}
    processors = harness.wait_until(
        lambda: (found := record_processors(cluster)) and len(found) >= shards and found,
        180,
        f"a record processor per shard ({shards})",
    )
    for pid in processors:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        count = put_all(kinesis, stream, names, steps)
        print(f"  {count} records put in {time.perf_counter() - started:.1f} s while "
              f"{len(processors)} processes of the workers' record processors are stopped",
              flush=True)  # fmt: skip
        time.sleep(2)  # the workers' next GetRecords see them
    finally:
        went = time.time()
        for pid in processors:
            os.kill(pid, signal.SIGCONT)
    batches = through(cluster, sum(b.records for b in before) + count)
    return [b for b in batches if (b.worker, b.time, b.shard) not in seen], count, went


def report(label: str, batches: list[harness.Batch], since: float, single: float) -> float:
    together, span = rate(batches, since)
    print(f"{label}: {together:9.0f} records/s ({together / single:.2f}x single host, "
          f"{span:.1f} s)", flush=True)  # fmt: skip
    for worker in sorted({b.worker for b in batches}):
        mine = [b for b in batches if b.worker == worker]
        own, span = rate(mine, since)
        print(f"  worker {worker}: {own:9.0f} records/s ({own / single:.2f}x single host, "
              f"{span:.1f} s, shards {', '.join(sorted({b.shard[-4:] for b in mine}))})",
              flush=True)  # fmt: skip
    return together


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--max-records", default="1000", help="per GetRecords (kinesis-local is slow at 10 000)"
    )
    args = parser.parse_args([] if argv is None else argv)  # None: `python -m bench`
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))  # clean up the engines
    names = [f"bench{i}.example/kcl" for i in range(args.names)]
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared)", flush=True)
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-kcl-")))
        dynamodb = stack.enter_context(harness.moto_server(root))
        kinesis_url = stack.enter_context(harness.kinesis_local(root))
        kinesis = harness.client("kinesis", kinesis_url)
        stream = harness.create_stream(kinesis, args.shards)
        warm = put_all(kinesis, stream, names, range(1))
        single_host(kinesis_url, stream, root / "single", args.shards)  # its files, created

        options = {"max-records": args.max_records, "max-new-files-per-minute": "0"}
        cluster = harness.Cluster(kinesis_url, dynamodb, stream, root / "kcl", options=options)
        stack.callback(cluster.stop)
        launched = time.time()
        for n in range(1, args.workers + 1):
            cluster.start(f"w{n}")
        through(cluster, warm)
        owners = balanced(cluster, args.workers, 300)
        print(f"{args.workers} KCL workers, leases balanced after {time.time() - launched:.0f} s "
              f"(JVM start, warm-up, lease assignment)", flush=True)  # fmt: skip

        steps = range(1, 1 + args.steps)
        many, count_many, went_many = measured(cluster, kinesis, stream, names, steps, args.shards)

        leader = cluster.leader()
        survivor = leader if leader in cluster.workers else sorted(cluster.workers)[0]
        victims = {o for o in owners.values() if o != survivor}
        for victim in victims:
            cluster.workers[victim].kill()
        killed = time.monotonic()
        cluster.wait_for_owners(1, 300)
        failover = time.monotonic() - killed
        print(f"failover: {', '.join(sorted(victims))} killed (not {survivor}, the leader: "
              f"{leader}); all leases held by the survivor after {failover:.1f} s (failover "
              f"time {harness.FAILOVER:.0f} s, lease assignment every "
              f"{harness.LEASE_ASSIGNMENT:.0f} s)", flush=True)  # fmt: skip
        steps = range(1 + args.steps, 1 + 2 * args.steps)
        one, count_one, went_one = measured(cluster, kinesis, stream, names, steps, args.shards)
        cluster.stop()

        load = os.getloadavg()[0]
        seconds = single_host(kinesis_url, stream, root / "single", args.shards)
        single = (count_many + count_one) / seconds
        print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
        print(f"single host (graphmetrics-kinesis --once): {single:9.0f} records/s "
              f"({count_many + count_one} records, {seconds:.1f} s, process start included)",
              flush=True)  # fmt: skip
        together = report(f"KCL, {args.workers} workers x {args.shards // args.workers} shards",
                          many, went_many, single)  # fmt: skip
        report(f"KCL, 1 worker x {args.shards} shards", one, went_one, single)
        per_worker = [
            rate([b for b in many if b.worker == w], went_many)[0] for w in {b.worker for b in many}
        ]
        records, seconds, cpu = ceiling(kinesis_url, stream, int(args.max_records))
        top = records / seconds
        print(f"ceiling: bare GetRecords readers, one process per shard: {top:9.0f} records/s "
              f"({top / single:.2f}x single host; {records} records, {seconds:.1f} s), "
              f"kinesis-local (one Node process for every shard) at "
              f"{100 * cpu / seconds:.0f}% of a core", flush=True)  # fmt: skip
        print(f"targets: each worker >= 0.8x single host: "
              f"{'met' if min(per_worker) >= 0.8 * single else 'NOT met'}; "
              f"{args.workers} workers >= {0.8 * args.workers:.1f}x: "
              f"{'met' if together >= 0.8 * args.workers * single else 'NOT met'}",
              flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
