"""The consumer on kinesalite: several shards, and a split and a merge mid-stream."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import rrdtool

from graphmetrics.collect.checkpoint import Checkpoint, CheckpointStore
from graphmetrics.collect.daemon import Clock
from graphmetrics.collect.kinesis import KinesisConsumer, KinesisOptions
from graphmetrics.collect.kinesis_readers import Fetched
from graphmetrics.rrd.store import RRDStore
from tests.functional.kinesis.conftest import active, put_all, record
from tests.helpers import wait_for

T0 = 1_700_000_100  # a multiple of 300: one sample per RRD step


def consumer(kinesis: Any, stream: str, tmp_path: Path, **kw: Any) -> KinesisConsumer:
    rrd = tmp_path / "rrd"
    rrd.mkdir(exist_ok=True)
    return KinesisConsumer(
        kinesis,
        stream,
        RRDStore(rrd),
        CheckpointStore(tmp_path / "checkpoints", stream),
        KinesisOptions(**kw),
        clock=Clock(wall=lambda: T0 + 86400),
    )


def step_records(names: list[str], step: int) -> list[tuple[str, bytes]]:
    """Every name's sample of one step; value = step + index so each sample is distinct."""
    return [(n, record(f"//{n}#v", T0 + 300 * step, step * 1000 + i)) for i, n in enumerate(names)]


def stored(tmp_path: Path, name: str) -> list[tuple[int, float]]:
    path = tmp_path / "rrd" / "metrics" / name / "v.rrd"
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 300), "-e", str(T0 + 300 * 40)
    )
    return [(start + step * (i + 1), row[0]) for i, row in enumerate(rows) if row[0] is not None]


def expected(names: list[str], steps: int, name: str) -> list[tuple[int, float]]:
    i = names.index(name)
    return [(T0 + 300 * s, float(s * 1000 + i)) for s in range(steps)]


def test_every_shard_is_read_and_checkpointed(
    kinesis: Any, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(4)
    names = [f"host{i}.example/app" for i in range(24)]
    for step in range(3):
        put_all(kinesis, stream, step_records(names, step))
    stats = consumer(kinesis, stream, tmp_path).run(once=True)
    assert (stats.records, stats.written, stats.skipped_old) == (72, 72, 0)
    for name in names:
        assert stored(tmp_path, name) == expected(names, 3, name)
    saved = CheckpointStore(tmp_path / "checkpoints", stream).load_all()
    shard_ids = [s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]]
    assert sorted(saved) == sorted(shard_ids)
    assert all(c.sequence_number and not c.closed for c in saved.values())


def test_split_and_merge_while_records_flow(
    kinesis: Any, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(2)
    names = [f"node{i}" for i in range(30)]
    c = consumer(kinesis, stream, tmp_path, discover_interval=0.3, batch_seconds=0.3)
    events = record_events(c)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            c.run()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    steps = 12
    try:
        for step in range(steps):
            put_all(kinesis, stream, step_records(names, step))
            if step == 3:
                split_first_shard(kinesis, stream)
            if step == 7:
                merge_children(kinesis, stream)
            if step in (2, 5, 9):
                written = c.stats.written
                wait_for(lambda w=written: c.stats.written > w, timeout=10, what="progress")
        total = steps * len(names)
        wait_for(lambda: c.stats.written >= total or errors, timeout=20, what="all written")
    finally:
        c.request_stop()
        thread.join(timeout=10)
    assert not errors, errors
    assert not thread.is_alive()
    assert (c.stats.written, c.stats.skipped_old, c.stats.records) == (total, 0, total)
    for name in names:
        assert stored(tmp_path, name) == expected(names, steps, name)

    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    assert len(shards) == 5  # 2 + split into 2 + merged into 1
    closed = {s["ShardId"] for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]}
    saved = CheckpointStore(tmp_path / "checkpoints", stream).load_all()
    assert {sid for sid, cp in saved.items() if cp.closed} == closed
    assert all(cp.sequence_number for cp in saved.values())  # every shard carried records
    for shard in shards:
        parents = [shard.get("ParentShardId"), shard.get("AdjacentParentShardId")]
        for parent in filter(None, parents):
            closed_at = events.index(("closed", parent))
            assert closed_at < events.index(("read", shard["ShardId"])), (shard, events)


def record_events(c: KinesisConsumer) -> list[tuple[str, str]]:
    """("read", shard) when a shard yields records, ("closed", shard) when checkpointed closed."""
    events: list[tuple[str, str]] = []
    apply, save_many = c._apply, c.checkpoints.save_many

    def logged_apply(fetched: Fetched, batch: Any) -> bool:
        if fetched.records:
            events.append(("read", fetched.shard_id))
        return apply(fetched, batch)

    def logged_save(checkpoints: Mapping[str, Checkpoint]) -> None:
        save_many(checkpoints)
        events.extend(
            ("closed", sid) for sid, checkpoint in checkpoints.items() if checkpoint.closed
        )

    c._apply = logged_apply  # type: ignore[method-assign]
    c.checkpoints.save_many = logged_save  # type: ignore[method-assign]
    return events


def split_first_shard(kinesis: Any, stream: str) -> None:
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]
    low = int(shard["HashKeyRange"]["StartingHashKey"])
    high = int(shard["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(
        StreamName=stream, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((low + high) // 2)
    )
    wait_for(lambda: active(kinesis, stream), what="split done")


def merge_children(kinesis: Any, stream: str) -> None:
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    children = [
        s["ShardId"]
        for s in shards
        if s.get("ParentShardId") and not s.get("AdjacentParentShardId")
    ]
    assert len(children) == 2, shards
    kinesis.merge_shards(
        StreamName=stream, ShardToMerge=children[0], AdjacentShardToMerge=children[1]
    )
    wait_for(lambda: active(kinesis, stream), what="merge done")
