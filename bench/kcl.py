"""Benchmark: the KCL path against the single-host collector, same stream, same run.

Starts moto server (DynamoDB) and kinesis-local on 127.0.0.1, puts ``--names`` ×
``--steps`` records (partition key = metric name) into a stream of ``--shards``
shards, then reads that stream twice into separate RRD directories:

1. single host: ``graphmetrics-kinesis --once``, as many GetRecords in flight as
   there are shards (as the KCL reads them), timed from start to exit (process start
   included);
2. KCL: ``--workers`` ``graphmetrics-kcl run`` workers (the MultiLangDaemon on Java
   17), timed from the first record processor's start to the last batch written (JVM
   start and lease assignment excluded; printed apart), from the processors' logs.

Both are printed in records/s with their ratio.  Then the failover time: every
worker but the KCL leader is killed with SIGKILL, and the time until a survivor holds
all their leases is printed.  Nothing is judged (exit 0 unless something fails):
the KCL path adds a JVM, JSON and base64 on pipes, and a checkpoint per batch in
DynamoDB, and its figure is what it costs.

    .venv/bin/python -m bench kcl       (or: .venv/bin/python bench/kcl.py --names 2000)
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the harness lives in tests/
    sys.path.insert(0, str(REPO))

from tests.functional.cluster import harness  # noqa: E402


def put_all(kinesis: object, stream: str, names: list[str], steps: int) -> int:
    items = [item for step in range(steps) for item in harness.round_records(names, step)]
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        response = kinesis.put_records(  # type: ignore[attr-defined]
            StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk]
        )
        assert response.get("FailedRecordCount", 0) == 0, response
    return len(items)


def single_host(kinesis_endpoint: str, stream: str, root: Path, in_flight: int) -> float:
    command = [str(harness.BIN / "graphmetrics-kinesis"), "--once", "--stream", stream]
    command += ["--endpoint-url", kinesis_endpoint, "--max-in-flight", str(in_flight)]
    command += ["--rrd-dir", str(root / "rrd"), "--checkpoint-dir", str(root / "cp")]
    started = time.perf_counter()
    subprocess.run(command, env=harness.env(), check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def first_processor_start(cluster: harness.Cluster) -> float:
    starts = []
    for worker in cluster.workers.values():
        if not worker.processor_log.exists():  # it never held a lease
            continue
        for line in worker.processor_log.read_text().splitlines():
            if ": starting after checkpoint" in line:
                starts.append(stamp(" ".join(line.split()[1:3])))
    return min(starts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--max-records", default="1000", help="per GetRecords (kinesis-local is slow at 10 000)"
    )
    args = parser.parse_args([] if argv is None else argv)  # None: `python -m bench`
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))  # clean up the engines
    names = [f"bench{i}.example/kcl" for i in range(args.names)]
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-kcl-")))
        dynamodb = stack.enter_context(harness.moto_server(root))
        kinesis_url = stack.enter_context(harness.kinesis_local(root))
        kinesis = harness.client("kinesis", kinesis_url)
        stream = harness.create_stream(kinesis, args.shards)
        total = put_all(kinesis, stream, names, args.steps)
        print(f"{total} records in {args.shards} shards", flush=True)

        single = single_host(kinesis_url, stream, root / "single", args.shards)
        print(f"single host (graphmetrics-kinesis --once): {total / single:9.0f} records/s "
              f"({single:.1f} s, process start included)", flush=True)  # fmt: skip

        options = {"max-records": args.max_records}
        cluster = harness.Cluster(kinesis_url, dynamodb, stream, root / "kcl", options=options)
        stack.callback(cluster.stop)
        launched = time.time()
        for n in range(1, args.workers + 1):
            cluster.start(f"w{n}")

        def done() -> bool:
            cluster.check_running()
            return sum(b.records for b in cluster.batches()) >= total

        harness.wait_until(done, 600, f"{total} records through the KCL workers", 1.0)
        batches = cluster.batches()
        first = first_processor_start(cluster)
        last = max(stamp(b.time) for b in batches)
        kcl = last - first
        workers = len({b.worker for b in batches})
        print(f"KCL ({args.workers} workers, {workers} wrote):      {total / kcl:9.0f} records/s "
              f"({kcl:.1f} s from the first processor's start; {first - launched:.0f} s of JVM "
              f"start and lease assignment before it)", flush=True)  # fmt: skip
        print(f"ratio KCL / single host: {single / kcl:.2f} (with the JVM start and lease "
              f"assignment: {single / (last - launched):.2f})", flush=True)  # fmt: skip

        owners = cluster.wait_for_owners(min(args.workers, args.shards), 180)
        leader = cluster.leader()
        victims = {o for o in owners.values() if o != leader}
        for victim in victims:
            cluster.workers[victim].kill()
        killed = time.monotonic()
        cluster.wait_for_owners(1, 300)
        failover = time.monotonic() - killed
        print(f"failover: {', '.join(sorted(victims))} killed (not the leader {leader}); all "
              f"leases held by the survivor after {failover:.1f} s (failover time "
              f"{harness.FAILOVER:.0f} s, lease assignment every {harness.LEASE_ASSIGNMENT:.0f} "
              "s)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
