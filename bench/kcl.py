"""Benchmark: the KCL path against the single-host collector, same stream, same run.

Starts moto server (DynamoDB) and kinesis-local on 127.0.0.1 and a stream of 4
shards (``--shards``).  A warm-up round of ``--names`` records (partition key = metric
name) makes every path create its files first, so what is measured is the sustained
rate of updates, with the leases settled:

1. KCL, leases balanced: ``--workers`` (2) ``graphmetrics-kcl run`` workers (the
   MultiLangDaemon on Java 17) read the warm-up; once each holds ``shards / workers``
   leases, ``--steps`` rounds are put and the rate is taken from the processors' batch
   log lines: all workers together (first to last batch of the round) and each worker
   over its own first to last batch;
2. KCL, one worker: every worker but one is killed (SIGKILL; the failover time until
   the survivor holds every lease is printed), and another ``--steps`` rounds are read
   by the survivor alone;
3. single host: ``graphmetrics-kinesis --once`` over the same stream, from its
   checkpoint after the warm-up, so it reads the records of both measured rounds,
   timed from start to exit (process start included), as many GetRecords in flight as
   shards; the KCL workers are stopped by then, so the paths never share the CPUs.

Printed in records/s with the ratios against the single host (targets: each of the
two balanced workers >= 0.8x, the two together >= 1.6x), and the load average: the
machine is shared.  New-file limits are off in every path (the warm-up creates
``--names`` files at once).

    .venv/bin/python -m bench kcl       (or: .venv/bin/python bench/kcl.py --names 2000)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the harness lives in tests/
    sys.path.insert(0, str(REPO))

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


def rate(batches: list[harness.Batch]) -> tuple[float, float]:
    """Records/s from the first to the last of ``batches`` (the first batch's own time
    unknown: its records are left out), and the span in seconds."""
    times = sorted((stamp(b.time), b.records) for b in batches)
    span = times[-1][0] - times[0][0]
    return (sum(n for _, n in times[1:]) / span if span > 0 else 0.0), span


def measured(cluster: harness.Cluster, kinesis: object, stream: str, names: list[str],
             steps: range) -> tuple[list[harness.Batch], int]:  # fmt: skip
    before = cluster.batches()
    seen = {(b.worker, b.time, b.shard) for b in before}
    count = put_all(kinesis, stream, names, steps)
    batches = through(cluster, sum(b.records for b in before) + count)
    return [b for b in batches if (b.worker, b.time, b.shard) not in seen], count


def report(label: str, batches: list[harness.Batch], single: float) -> float:
    together, span = rate(batches)
    print(f"{label}: {together:9.0f} records/s ({together / single:.2f}x single host, "
          f"{span:.1f} s)", flush=True)  # fmt: skip
    for worker in sorted({b.worker for b in batches}):
        own, span = rate([b for b in batches if b.worker == worker])
        print(f"  worker {worker}: {own:9.0f} records/s ({own / single:.2f}x single host, "
              f"{span:.1f} s)", flush=True)  # fmt: skip
    return together


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=6)
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
        many, count_many = measured(cluster, kinesis, stream, names, steps)

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
        one, count_one = measured(cluster, kinesis, stream, names, steps)
        cluster.stop()

        load = os.getloadavg()[0]
        seconds = single_host(kinesis_url, stream, root / "single", args.shards)
        single = (count_many + count_one) / seconds
        print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
        print(f"single host (graphmetrics-kinesis --once): {single:9.0f} records/s "
              f"({count_many + count_one} records, {seconds:.1f} s, process start included)",
              flush=True)  # fmt: skip
        together = report(f"KCL, {args.workers} workers x {args.shards // args.workers} shards",
                          many, single)  # fmt: skip
        report(f"KCL, 1 worker x {args.shards} shards", one, single)
        per_worker = [rate([b for b in many if b.worker == w])[0] for w in {b.worker for b in many}]
        print(f"targets: each worker >= 0.8x single host: "
              f"{'met' if min(per_worker) >= 0.8 * single else 'NOT met'}; "
              f"{args.workers} workers >= {0.8 * args.workers:.1f}x: "
              f"{'met' if together >= 0.8 * args.workers * single else 'NOT met'}",
              flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
