"""The shard consumer loop against an in-memory Kinesis and a fake clock.

Only AWS itself is faked here (throttling, expired iterators, pagination cannot be
provoked on kinesalite); tests/functional/kinesis runs the same code on kinesalite.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rrdtool
from botocore.exceptions import ClientError

from graphmetrics.collect.checkpoint import Checkpoint, CheckpointStore
from graphmetrics.collect.daemon import Clock
from graphmetrics.collect.kinesis import (
    KinesisConsumer,
    KinesisOptions,
    StreamUnavailable,
    WritesFailing,
)
from graphmetrics.metrics.writer import InlineWriter, Samples
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import WriteResult
from tests.disk import locked_by_another_process

T0 = 1_700_000_100  # a multiple of 300


def data(name: str, ts: int, value: float) -> bytes:
    iso = datetime.fromtimestamp(ts, UTC).isoformat()
    return json.dumps({"timestamp": iso, "name": name, "value": value}).encode()


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Op")


@dataclass
class FakeShard:
    records: list[bytes]
    parents: tuple[str | None, str | None] = (None, None)
    closed: bool = False


@dataclass
class FakeKinesis:
    """ListShards (paged), GetShardIterator and GetRecords over in-memory shards."""

    clock: FakeClock
    shards: dict[str, FakeShard] = field(default_factory=dict)
    page_size: int = 100
    errors: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[float, str, str]] = field(default_factory=list)
    limits: dict[str, list[int]] = field(default_factory=dict)

    def _fail(self, op: str) -> None:
        pending = self.errors.get(op)
        if pending:
            raise client_error(pending.pop(0))

    def list_shards(self, **args: Any) -> dict[str, Any]:
        self._fail("list_shards")
        ids = sorted(self.shards)
        start = int(args["NextToken"]) if "NextToken" in args else 0
        page = ids[start : start + self.page_size]
        out: list[dict[str, Any]] = []
        for sid in page:
            parent, adjacent = self.shards[sid].parents
            info: dict[str, Any] = {"ShardId": sid}
            if parent:
                info["ParentShardId"] = parent
            if adjacent:
                info["AdjacentParentShardId"] = adjacent
            out.append(info)
        response: dict[str, Any] = {"Shards": out}
        if start + self.page_size < len(ids):
            response["NextToken"] = str(start + self.page_size)
        return response

    def get_shard_iterator(self, **args: Any) -> dict[str, Any]:
        self._fail("get_shard_iterator")
        sid = args["ShardId"]
        self.calls.append((self.clock.now, "iterator", f"{sid}:{args['ShardIteratorType']}"))
        start = 0
        if args["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER":
            start = int(args["StartingSequenceNumber"]) + 1
        return {"ShardIterator": f"{sid}:{start}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        sid, start_text = ShardIterator.split(":")
        self.calls.append((self.clock.now, "records", sid))
        self.limits.setdefault(sid, []).append(Limit)
        self._fail("get_records")
        shard, start = self.shards[sid], int(start_text)
        chunk = shard.records[start : start + Limit]
        records = [{"Data": d, "SequenceNumber": str(start + i)} for i, d in enumerate(chunk)]
        end = start + len(chunk)
        response: dict[str, Any] = {"Records": records, "MillisBehindLatest": 0}
        if not (shard.closed and not chunk and end >= len(shard.records)):
            response["NextShardIterator"] = f"{sid}:{end}"
        return response


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        time.sleep(0.0002)  # reader threads nap here: let the consumer keep pace


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kinesis(clock: FakeClock) -> FakeKinesis:
    return FakeKinesis(clock)


def consumer(kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path, **kw: Any) -> KinesisConsumer:
    (tmp_path / "rrd").mkdir(exist_ok=True)
    return KinesisConsumer(
        kinesis,  # type: ignore[arg-type]
        "s",
        RRDStore(tmp_path / "rrd"),
        CheckpointStore(tmp_path / "cp", "s"),
        KinesisOptions(**kw),
        clock=Clock(clock, lambda: T0 + 86400, clock.sleep),  # after every sample
    )


def values(tmp_path: Path, name: str) -> list[float | None]:
    path = tmp_path / "rrd" / "metrics" / f"{name}.rrd"
    (start, end, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-s", str(T0 - 300), "-e", str(T0 + 3000)
    )
    return [row[0] for row in rows if row[0] is not None]


def series(name: str, n: int, first: int = 0) -> list[bytes]:
    return [data(f"//{name}", T0 + 300 * i, float(i)) for i in range(first, first + n)]


def test_all_shards_listed_through_pagination(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.page_size = 2
    for i in range(5):
        kinesis.shards[f"shard-{i}"] = FakeShard(series(f"m{i}", 3))
    stats = consumer(kinesis, clock, tmp_path, list_page_size=2).run(once=True)
    assert stats.records == 15 and stats.written == 15
    for i in range(5):
        assert values(tmp_path, f"m{i}") == [0.0, 1.0, 2.0]


def test_parents_are_drained_before_children(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    # a split (p → c1, c2) then a merge (c1 + c2 → m); one metric moves along.
    kinesis.shards["p"] = FakeShard(series("x", 2), closed=True)
    kinesis.shards["c1"] = FakeShard(series("x", 2, first=2), ("p", None), closed=True)
    kinesis.shards["c2"] = FakeShard(series("y", 2), ("p", None), closed=True)
    kinesis.shards["m"] = FakeShard(series("x", 2, first=4) + series("y", 1, 2), ("c1", "c2"))
    stats = consumer(kinesis, clock, tmp_path).run(once=True)
    assert stats.skipped_old == 0 and stats.written == 9
    assert values(tmp_path, "x") == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    first_read = {}
    for _, kind, sid in kinesis.calls:
        if kind == "records":
            first_read.setdefault(sid, len(first_read))
    assert first_read["p"] < first_read["c1"] < first_read["m"]
    assert first_read["p"] < first_read["c2"] < first_read["m"]
    saved = CheckpointStore(tmp_path / "cp", "s").load_all()
    assert saved["p"] == Checkpoint("1", closed=True)
    assert saved["m"] == Checkpoint("2", closed=False)


def test_restart_goes_on_after_the_checkpoint_and_skips_finished_shards(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["p"] = FakeShard(series("x", 2), closed=True)
    kinesis.shards["c"] = FakeShard(series("x", 2, first=2), ("p", None))
    consumer(kinesis, clock, tmp_path).run(once=True)
    kinesis.shards["c"].records += series("x", 1, first=4)
    kinesis.calls.clear()
    stats = consumer(kinesis, clock, tmp_path).run(once=True)
    assert stats.records == 1 and stats.written == 1 and stats.skipped_old == 0
    assert ("iterator", "c:AFTER_SEQUENCE_NUMBER") in [(k, s) for _, k, s in kinesis.calls]
    assert all(sid != "p" for _, kind, sid in kinesis.calls if kind == "records")


def test_get_records_rate_stays_under_five_per_second_per_shard(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 40))
    kinesis.shards["b"] = FakeShard(series("b", 40))
    consumer(kinesis, clock, tmp_path, records_limit=3).run(once=True)
    for sid in "ab":
        times = [t for t, kind, s in kinesis.calls if kind == "records" and s == sid]
        assert len(times) >= 14
        # a shard with more waiting is read again at once, but never a sixth time in a second
        assert times[4] - times[0] < 1.0
        assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[5:], strict=False))


def test_first_calls_ask_for_few_records_then_double_while_responses_are_full(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard([data("//a", T0 + 300 * (i % 200), i) for i in range(5000)])
    kinesis.shards["b"] = FakeShard(series("b", 250))
    stats = consumer(kinesis, clock, tmp_path, records_limit=2000).run(once=True)
    assert stats.records == 5250 and not stats.bad.counts
    # 500 + 1000 + 2000 + 2000 (1500 left: fewer than asked, at the tip: --once is done)
    assert kinesis.limits["a"] == [500, 1000, 2000, 2000]
    assert kinesis.limits["b"] == [500]
    assert stats.written == 200 + 250  # a's 200 timestamps, then its re-sent ones skipped


def test_throttling_backs_off_and_expired_iterators_are_reacquired(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 6))
    kinesis.errors["get_records"] = [
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceededException",
    ]
    c = consumer(kinesis, clock, tmp_path, records_limit=2)
    original = kinesis.get_records
    expired_once = iter([True])

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        if ShardIterator == "a:2" and next(expired_once, False):
            kinesis.calls.append((clock.now, "records", "a"))
            raise client_error("ExpiredIteratorException")
        return original(ShardIterator, Limit)

    kinesis.get_records = get_records  # type: ignore[method-assign]
    stats = c.run(once=True)
    assert stats.throttled == 2 and stats.written == 6
    times = [t for t, kind, _ in kinesis.calls if kind == "records"]
    assert times[1] - times[0] >= 0.5 and times[2] - times[1] >= 1.0  # exponential back-off
    iterators = [s for _, kind, s in kinesis.calls if kind == "iterator"]
    assert iterators == ["a:TRIM_HORIZON", "a:AFTER_SEQUENCE_NUMBER"]
    assert values(tmp_path, "a") == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_checkpoint_is_saved_only_after_the_rrd_write(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 3))
    c = consumer(kinesis, clock, tmp_path)
    order: list[str] = []
    write, save = c.store.write, c.checkpoints.save_many
    c.store.write = lambda *a, **k: order.append("write") or write(*a, **k)  # type: ignore[method-assign]
    c.checkpoints.save_many = lambda *a, **k: order.append("save") or save(*a, **k)  # type: ignore[method-assign]
    c.run(once=True)
    assert order == ["write", "save"]

    def broken(*args: Any, **kw: Any) -> None:
        raise KeyboardInterrupt  # a crash in the middle of the write

    kinesis.shards["a"].records += series("a", 1, first=3)
    c2 = consumer(kinesis, clock, tmp_path)
    c2.store.write = broken  # type: ignore[method-assign, assignment]
    with pytest.raises(KeyboardInterrupt):
        c2.run(once=True)
    assert c2.checkpoints.load_all()["a"] == Checkpoint("2")


class DeferredWriter(InlineWriter):
    """Writes in ``wait``, so a write really is in flight between ``start`` and ``wait``."""

    def __init__(self, store: RRDStore, on_wait: Callable[[], None]) -> None:
        super().__init__(store)
        self.on_wait = on_wait
        self.samples: Samples | None = None

    def start(self, samples: Samples) -> None:
        assert self.samples is None
        self.samples = samples

    def wait(self) -> WriteResult:
        assert self.samples is not None
        self.on_wait()
        samples, self.samples = self.samples, None
        super().start(samples)
        return super().wait()


def test_the_next_batch_is_decoded_while_one_is_written_and_checkpoints_trail_the_writes(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 40))
    # (records decoded when a write started, when it was waited for)
    decoded: list[tuple[int, int]] = []
    c = consumer(
        kinesis,
        clock,
        tmp_path,
        records_limit=5,
        write_records=5,
        prefetch=1,
        checkpoint_interval=0,
    )
    started_at = [0]
    writer = DeferredWriter(c.store, lambda: decoded.append((started_at[0], c.stats.records)))
    original_start = writer.start

    def start(samples: Samples) -> None:
        started_at[0] = c.stats.records
        original_start(samples)

    writer.start = start  # type: ignore[method-assign]
    c.writer = writer
    save = c.checkpoints.save_many
    saved: list[tuple[int, int]] = []

    def checked_save(checkpoints: dict[str, Checkpoint]) -> None:
        sequence = int(checkpoints["a"].sequence_number or -1)
        written = int(rrdtool.last(str(tmp_path / "rrd/metrics/a.rrd")))
        saved.append((sequence, written))
        save(checkpoints)

    c.checkpoints.save_many = checked_save  # type: ignore[method-assign]
    stats = c.run(once=True)
    assert stats.written == 40
    assert c.checkpoints.load_all() == {"a": Checkpoint("39")}
    # record i holds timestamp T0 + 300 i: a checkpoint never passes what the file holds
    assert saved and all(written >= T0 + 300 * sequence for sequence, written in saved)
    assert any(later > before for before, later in decoded)
    assert len(saved) >= 4


def test_stop_request_finishes_the_batch_and_checkpoints(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 3))
    c = consumer(kinesis, clock, tmp_path)
    original = kinesis.get_records

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        c.request_stop()  # as the SIGTERM handler would, in the middle of a batch
        return original(ShardIterator, Limit)

    kinesis.get_records = get_records  # type: ignore[method-assign]
    stats = c.run()  # not --once: only the stop request ends it
    assert stats.written == 3
    assert c.checkpoints.load_all() == {"a": Checkpoint("2")}


def test_bad_records_are_counted_and_consumption_goes_on(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = series("ok", 2)
    future = data("//ok", T0 + 10 * 86400, 1.0)
    kinesis.shards["a"] = FakeShard(
        [good[0], b"{", data("//../x", T0, 1.0), future, b'{"name": "//a"}', good[1]]
    )
    stats = consumer(kinesis, clock, tmp_path).run(once=True)
    assert stats.written == 2
    assert dict(stats.bad.counts) == {
        "not_json": 1,
        "bad_name": 1,
        "future_timestamp": 1,
        "missing_timestamp": 1,
    }
    assert "shard a sequence number 2" in caplog.text
    assert not (tmp_path / "x.rrd").exists() and not (tmp_path / "rrd" / "x.rrd").exists()


def test_once_gives_up_on_a_shard_that_keeps_failing_after_saving_the_rest(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 2))
    kinesis.shards["b"] = FakeShard(series("b", 2))
    c = consumer(kinesis, clock, tmp_path)
    original = kinesis.get_records

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        if ShardIterator.startswith("b:"):
            raise client_error("InternalFailure")
        return original(ShardIterator, Limit)

    kinesis.get_records = get_records  # type: ignore[method-assign]
    with pytest.raises(StreamUnavailable, match="shard b failed 8 times in a row"):
        c.run(once=True)
    assert c.checkpoints.load_all() == {"a": Checkpoint("1")}
    assert values(tmp_path, "a") == [0.0, 1.0]


def test_status_line_every_interval_with_rate_lag_and_bad_reasons(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kinesis.shards["a"] = FakeShard([*series("a", 3), b"nope"])
    c = consumer(kinesis, clock, tmp_path, status_interval=5.0)
    original = kinesis.get_records

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        response = original(ShardIterator, Limit)
        response["MillisBehindLatest"] = 1234 if clock.now < 1006 else 0
        if clock.now > 1012:
            c.request_stop()
        return response

    kinesis.get_records = get_records  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="graphmetrics.collect.kinesis"):
        c.run()
    lines = [r.getMessage() for r in caplog.records if "stream s shards=" in r.getMessage()]
    assert len(lines) >= 3 and lines[-1].startswith("finished:")
    first = lines[0]
    # the first line comes at the first step >= 5 s after the start; the fake clock
    # ticks as the reader threads nap, so on a loaded machine the consumer's thread
    # may see it a few fake seconds late: 4 records over 5 to 10 s
    assert first.startswith("status:")
    rate = re.search(r"records=4 \((\d+\.\d)/s\)", first)
    assert rate is not None, first
    assert 0.4 <= float(rate.group(1)) <= 0.8, first
    assert "bad=1 {not_json: 1}" in first
    assert "millis_behind_latest=1234 ms (shard a)" in first
    assert "millis_behind_latest=0 ms (shard a)" in lines[-1]


def test_checkpoints_of_finished_shards_past_retention_are_removed(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["p"] = FakeShard(series("x", 2), closed=True)
    kinesis.shards["c"] = FakeShard(series("x", 2, first=2), ("p", None))
    consumer(kinesis, clock, tmp_path).run(once=True)
    saved = CheckpointStore(tmp_path / "cp", "s")
    assert sorted(saved.load_all()) == ["c", "p"]

    del kinesis.shards["p"]  # trimmed: Kinesis lists it no more
    stats = consumer(kinesis, clock, tmp_path).run(once=True)
    assert stats.records == 0
    assert saved.load_all() == {"c": Checkpoint("1")}


def test_once_ends_an_open_shard_on_a_response_at_its_tip(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 5))  # MillisBehindLatest 0, fewer than asked
    kinesis.shards["b"] = FakeShard(series("b", 4))  # exactly as many as asked: maybe more
    stats = consumer(kinesis, clock, tmp_path, records_limit=4).run(once=True)
    assert stats.written == 9
    calls = [sid for _, kind, sid in kinesis.calls if kind == "records"]
    assert sorted(calls) == ["a", "a", "b", "b"]


def test_readers_pause_while_the_queue_is_full(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 10))
    c = consumer(kinesis, clock, tmp_path, records_limit=1, prefetch=1, write_records=1)
    write = c.store.write
    fetched_during_write: list[int] = []
    decoded_before_write: list[int] = []

    def slow_write(*args: Any, **kw: Any) -> int:
        if not fetched_during_write:
            decoded_before_write.append(c.stats.records)  # 1, or 2 if both were waiting
            time.sleep(0.3)  # real time: the reader thread runs meanwhile
            fetched_during_write.append(sum(k == "records" for _, k, _ in kinesis.calls))
        return write(*args, **kw)

    c.store.write = slow_write  # type: ignore[method-assign]
    stats = c.run(once=True)
    assert stats.written == 10 and stats.records == 10
    # responses decoded and being written, one queued, one waiting to be queued
    assert fetched_during_write == [decoded_before_write[0] + 2]
    assert values(tmp_path, "a") == [float(i) for i in range(10)]


def test_get_records_in_flight_are_bounded_over_all_shards(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    for sid in "abcd":
        kinesis.shards[sid] = FakeShard(series(sid, 6))
    original = kinesis.get_records
    in_flight, most = [0], [0]

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        time.sleep(0.005)  # real time: other reader threads try to call meanwhile
        in_flight[0] -= 1
        return original(ShardIterator, Limit)

    kinesis.get_records = get_records  # type: ignore[method-assign]
    stats = consumer(kinesis, clock, tmp_path, records_limit=2, max_in_flight=2).run(once=True)
    assert stats.written == 24
    assert most[0] == 2


def test_a_file_that_cannot_be_written_for_now_is_retried_before_checkpointing(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 2))
    consumer(kinesis, clock, tmp_path).run(once=True)
    kinesis.shards["a"].records += series("a", 2, first=2) + series("b", 1)
    c = consumer(kinesis, clock, tmp_path)
    seen: list[dict[str, Checkpoint]] = []
    with ExitStack() as lock:
        lock.enter_context(locked_by_another_process(tmp_path / "rrd/metrics/a.rrd"))
        pause = c._pause

        def pause_then_unlock(seconds: float) -> None:
            seen.append(c.checkpoints.load_all())
            pause(seconds)
            if len(seen) == 2:
                lock.close()  # the other process lets go during the second pause

        c._pause = pause_then_unlock  # type: ignore[method-assign]
        stats = c.run(once=True)
    assert seen == [{"a": Checkpoint("1")}] * 2  # nothing checkpointed while a waited
    assert (stats.written, stats.write_retries, stats.failed_files) == (3, 2, 0)
    assert c.checkpoints.load_all() == {"a": Checkpoint("4")}
    assert values(tmp_path, "a") == [0.0, 1.0, 2.0, 3.0]


def test_once_ends_with_an_error_and_no_checkpoint_when_writes_keep_failing(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.shards["a"] = FakeShard(series("a", 2))
    consumer(kinesis, clock, tmp_path).run(once=True)
    kinesis.shards["a"].records += series("a", 1, first=2) + series("b", 1)
    c = consumer(kinesis, clock, tmp_path)
    with (
        locked_by_another_process(tmp_path / "rrd/metrics/a.rrd"),
        pytest.raises(WritesFailing, match="1 files could not be written.*could not lock"),
    ):
        c.run(once=True)
    assert c.checkpoints.load_all() == {"a": Checkpoint("1")}
    assert c.stats.written == 1  # b, which the next run skips as already written
    again = consumer(kinesis, clock, tmp_path).run(once=True)
    assert (again.written, again.skipped_old) == (1, 1)
    assert values(tmp_path, "a") == [0.0, 1.0, 2.0]
    assert values(tmp_path, "b") == [0.0]


def test_the_daemon_waits_for_a_stream_that_is_not_there_yet(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kinesis.errors["list_shards"] = ["ResourceNotFoundException"] * 3
    kinesis.shards["a"] = FakeShard(series("a", 2))
    c = consumer(kinesis, clock, tmp_path)
    with pytest.raises(StreamUnavailable):
        c.run(once=True)  # --once does not wait
    original = kinesis.get_records

    def get_records(ShardIterator: str, Limit: int) -> dict[str, Any]:
        c.request_stop()
        return original(ShardIterator, Limit)

    kinesis.get_records = get_records  # type: ignore[method-assign]
    stats = c.run()
    assert stats.written == 2 and kinesis.errors["list_shards"] == []
    assert caplog.text.count("cannot list the shards of stream 's'") == 2  # --once: raised
    assert "retrying in 1s" in caplog.text and "retrying in 2s" in caplog.text


def test_a_stop_request_ends_the_wait_for_the_stream(
    kinesis: FakeKinesis, clock: FakeClock, tmp_path: Path
) -> None:
    kinesis.errors["list_shards"] = ["ResourceNotFoundException"] * 1000
    c = consumer(kinesis, clock, tmp_path)
    sleep = clock.sleep

    def sleep_then_stop(seconds: float) -> None:
        sleep(seconds)
        if clock.now > 1100:
            c.request_stop()

    c.sleep = sleep_then_stop  # type: ignore[method-assign]
    assert c.run().records == 0
    assert 900 < len(kinesis.errors["list_shards"]) < 1000
