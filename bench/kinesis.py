"""Benchmark: Kinesis records into RRDs through the collector vs bare ``rrdtool.update``.

Runs kinesalite (scripts/kinesalite.js) on a free 127.0.0.1 port, puts records for
10 000 metric names, then measures side by side in the same run, for two shapes of
traffic (live: one sample per name per batch; catching up: five per name):

1. bare: a loop writing the same samples to existing files with one batched
   ``rrdtool.update`` call per file (the yardstick);
2. end to end: ``KinesisConsumer.run(once=True)`` with the daemon's client, writer
   process and settings (``--max-in-flight 1``, as suits kinesalite; its garbage
   collector thresholds), from kinesalite into RRD files, checkpoints included;
3. decode + write: the same records fetched from kinesalite beforehand, then only the
   collector's decode, name → path, grouping and writes are timed, one shard's
   records decoded while the writer process writes the previous shard's, as the
   consumer decodes the next batch while one is written (records are partitioned by
   name, as a producer keeping each metric in order does, so each file still gets
   one update per round).

Each is reported in records/s and as a ratio to the bare loop (best of ``--rounds``);
every contender starts after ``os.sync()``, so none pays for flushing the pages
another one dirtied.
kinesalite's GetRecords alone is printed too: end to end can never beat it.  The
exit status is 1 when the live end-to-end ratio, or either decode + write ratio, is
below 0.70; the catching-up end-to-end ratio is printed but not judged, as it is
bounded by kinesalite (about 25k records/s) far below the bare loop (about 150k).

    .venv/bin/python -m bench kinesis     (or: .venv/bin/python -m bench.kinesis --names 2000)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import rrdtool

from graphmetrics.cli.kinesis import kinesis_client
from graphmetrics.collect.checkpoint import CheckpointStore
from graphmetrics.collect.daemon import Clock
from graphmetrics.collect.instrumentation import KINESIS_GC, tune_gc
from graphmetrics.collect.kinesis import KinesisConsumer, KinesisOptions
from graphmetrics.metrics.batch import BadRecords, MetricBatch, PathCache
from graphmetrics.metrics.writer import ProcessWriter, Writer
from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore
from tests.kinesalite import create_stream, put_all, record, running_kinesalite

T0 = 1_700_000_100
STREAM = "bench"
TARGET = 0.70
#: ``--max-in-flight`` for kinesalite: one node process serves concurrent GetRecords
#: interleaved, so with 4 in flight every response arrives late and writing cannot
#: start early; one at a time they arrive staggered and writing overlaps fetching.
KINESALITE_IN_FLIGHT = 1


def make_names(count: int) -> list[str]:
    return [f"//bench{i % 100}.example/app{i // 100}#requests" for i in range(count)]


def make_samples(names: list[str], steps: range) -> list[tuple[str, int, float]]:
    """(name, timestamp, value), time-major as a stream carries them."""
    return [
        (name, T0 + 300 * s, float(s * 7 + i % 13)) for s in steps for i, name in enumerate(names)
    ]


def put(client: Any, samples: list[tuple[str, int, float]]) -> float:
    started = time.perf_counter()
    put_all(client, STREAM, [(n, record(n, t, v, units="rpm")) for n, t, v in samples])
    return time.perf_counter() - started


Record = tuple[str, str, bytes]


def prefetch(client: Any, after: dict[str, str]) -> list[Record]:
    """The records after ``after`` (shard id → sequence number), which is updated."""
    out: list[Record] = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        shard_id = shard["ShardId"]
        where: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if shard_id in after:
            where = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": after[shard_id],
            }
        it = client.get_shard_iterator(StreamName=STREAM, ShardId=shard_id, **where)[
            "ShardIterator"
        ]
        while it:
            response = client.get_records(ShardIterator=it, Limit=10_000)
            out += [(shard_id, r["SequenceNumber"], r["Data"]) for r in response["Records"]]
            if not response["Records"]:
                break
            after[shard_id] = response["Records"][-1]["SequenceNumber"]
            it = response.get("NextShardIterator")
    return out


def make_consumer(client: Any, root: Path, writer: Writer) -> KinesisConsumer:
    return KinesisConsumer(
        client,
        STREAM,
        RRDStore(root / "rrd"),
        CheckpointStore(root / "cp", STREAM),
        KinesisOptions(status_interval=3600, max_in_flight=KINESALITE_IN_FLIGHT),
        clock=Clock(wall=lambda: T0 + 86400),
        writer=writer,
    )


def timed_run(consumer: KinesisConsumer, expected: int) -> float:
    before = consumer.stats.written
    started = time.perf_counter()
    consumer.run(once=True)
    elapsed = time.perf_counter() - started
    if consumer.stats.written - before != expected or consumer.stats.bad.counts:
        sys.exit(f"consumer wrote {consumer.stats.written - before} of {expected}")
    return elapsed


def decode_write(records: list[Record], paths: PathCache, writer: Writer) -> float:
    """Decode one shard's records into a batch while the writer writes the previous
    batch, as the consumer's commit does; the time until everything is written."""
    started = time.perf_counter()
    written, in_flight = 0, False
    for shard_id, shard_records in groupby(records, key=lambda r: r[0]):
        batch = MetricBatch(paths, BadRecords(), T0 + 86400)
        batch.add_records(shard_id, [{"Data": d, "SequenceNumber": s} for _, s, d in shard_records])
        if in_flight:
            written += writer.wait().written
        writer.start(batch.samples)
        in_flight = True
    if in_flight:
        written += writer.wait().written
    elapsed = time.perf_counter() - started
    if written != len(records):
        sys.exit(f"decode+write wrote {written} of {len(records)}")
    return elapsed


def create_files(samples: list[tuple[str, int, float]], root: Path) -> None:
    store = RRDStore(root)
    for name, ts, value in samples:
        store.write("metrics/" + name[2:].replace("#", "/"), METRICS, [(ts, (value,))])


def bare_updates(samples: list[tuple[str, int, float]], root: Path) -> float:
    """The yardstick: one batched ``rrdtool.update`` per existing file with its samples."""
    by_file: dict[str, list[str]] = {}
    for name, ts, value in samples:
        by_file.setdefault(name, []).append(f"{ts}:{value!r}")
    started = time.perf_counter()
    for name, updates in by_file.items():
        path = root / "metrics" / (name[2:].replace("#", "/") + ".rrd")
        rrdtool.update(str(path), *updates)
    return time.perf_counter() - started


@dataclass
class Bench:
    client: Any
    names: list[str]
    consumer: KinesisConsumer
    writer: Writer
    paths: PathCache
    baseline_root: Path
    after: dict[str, str]
    next_step: int = 1

    def round(self, steps: int) -> dict[str, float]:
        """New samples for every name, written by the three paths; their times."""
        samples = make_samples(self.names, range(self.next_step, self.next_step + steps))
        self.next_step += steps
        put(self.client, samples)
        times = {}
        started = time.perf_counter()
        records = prefetch(self.client, self.after)
        times["fetch"] = time.perf_counter() - started
        # Each contender starts with no dirty pages of another one's writes to flush.
        os.sync()
        times["base"] = bare_updates(samples, self.baseline_root)
        os.sync()
        times["e2e"] = timed_run(self.consumer, len(samples))
        os.sync()
        times["dw"] = decode_write(records, self.paths, self.writer)
        return times


@dataclass
class Shape:
    name: str
    steps: int
    records: int
    best: dict[str, float]

    def rate(self, key: str) -> float:
        return self.records / self.best[key]

    def ratio(self, key: str) -> float:
        return self.best["base"] / self.best[key]


def print_table(shapes: list[Shape], rounds: int) -> None:
    print(f"records/s, best of {rounds}; ratio = against the bare loop in the same run")
    print(
        f"{'shape':<22} {'records':>8} {'bare update':>12} {'end to end':>18} "
        f"{'decode + write':>18} {'GetRecords':>11}"
    )
    for shape in shapes:
        e2e = f"{shape.rate('e2e'):.0f} ({shape.ratio('e2e'):.2f})"
        dw = f"{shape.rate('dw'):.0f} ({shape.ratio('dw'):.2f})"
        print(
            f"{shape.name:<22} {shape.records:>8} {shape.rate('base'):>12.0f} {e2e:>18} "
            f"{dw:>18} {shape.rate('fetch'):>11.0f}"
        )


def verdicts(shapes: list[Shape]) -> list[tuple[str, float, bool]]:
    """(what, ratio, met) for every ratio the exit status judges."""
    live = shapes[0]
    judged = [(f"{live.name}: end to end", live.ratio("e2e"))]
    judged += [(f"{shape.name}: decode + write", shape.ratio("dw")) for shape in shapes]
    return [(what, ratio, ratio >= TARGET) for what, ratio in judged]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="best of this many rounds")
    args = parser.parse_args([] if argv is None else argv)  # None: `python -m bench`
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(key, value)
    tune_gc(KINESIS_GC)  # as graphmetrics-kinesis does
    names = make_names(args.names)
    first = make_samples(names, range(1))
    with ExitStack() as stack:
        endpoint = stack.enter_context(running_kinesalite())
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gm-bench-")))
        # Both write as graphmetrics-kinesis does: from a process of their own.
        writers = [ProcessWriter(root / where / "rrd") for where in ("consumer", "dw")]
        for writer in writers:
            stack.callback(writer.close)
        client = kinesis_client(endpoint, "us-east-1")
        create_stream(client, STREAM, args.shards)

        # Warm-up, untimed: the first sample of every name creates its file everywhere.
        put(client, first)
        consumer = make_consumer(client, root / "consumer", writers[0])
        started = time.perf_counter()
        consumer.run(once=True)
        cold = time.perf_counter() - started
        paths = PathCache(RRDStore(root / "dw" / "rrd"))
        after: dict[str, str] = {}
        decode_write(prefetch(client, after), paths, writers[1])
        create_files(first, root / "baseline" / "rrd")
        bench = Bench(client, names, consumer, writers[1], paths, root / "baseline" / "rrd", after)

        print(f"{args.names} metric names on {args.shards} kinesalite shards")
        print(f"first sample of each name (creates the files): {args.names / cold:.0f} records/s")
        shapes = []
        for steps, what in ((1, "live (1/name)"), (5, "catching up (5/name)")):
            best: dict[str, float] = {}
            for _ in range(args.rounds):
                times = bench.round(steps)
                best = {k: min(v, best.get(k, v)) for k, v in times.items()}
            shapes.append(Shape(what, steps, args.names * steps, best))
        print_table(shapes, args.rounds)
        judged = verdicts(shapes)
        for what, ratio, met in judged:
            print(f"target {what} >= {TARGET:.2f}: {ratio:.2f} {'met' if met else 'MISSED'}")
        e2e = shapes[1]
        print(
            f"not judged: {e2e.name}: end to end {e2e.ratio('e2e'):.2f}, bounded by "
            f"kinesalite's GetRecords ({e2e.best['fetch'] / e2e.best['e2e']:.2f} of it)"
        )
    return 0 if all(met for _, _, met in judged) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
