"""The KCL record processor: the collector's decoding and writes, checkpoints after them.

Driven with amazon_kclpy's own message classes and a recording checkpointer; the
protocol itself (JSON lines on stdin/stdout) is exercised against the real
``graphmetrics-kcl process`` at the end.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import rrdtool
from amazon_kclpy import messages
from amazon_kclpy.kcl import CheckpointError

from graphmetrics.collect.daemon import Clock
from graphmetrics.collect.kcl import MetricRecordProcessor
from graphmetrics.rrd.limits import CreateLimits
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import WriteResult
from tests.disk import small_disk
from tests.functional.kinesis.conftest import T0, record


class Checkpoints:
    def __init__(self, errors: list[str] | None = None) -> None:
        self.saved: list[str | None] = []
        self.errors = list(errors or [])

    def checkpoint(self, sequence_number: str | None = None, sub: int | None = None) -> None:
        if self.errors:
            raise CheckpointError(self.errors.pop(0))
        self.saved.append(sequence_number)


def records_input(items: list[tuple[str, bytes]], checkpointer: Checkpoints) -> Any:
    """A processRecords message as amazon_kclpy decodes it from the daemon's JSON."""
    line = json.dumps(
        {
            "action": "processRecords",
            "millisBehindLatest": 0,
            "records": [
                {
                    "action": "record",
                    "data": base64.b64encode(data).decode(),
                    "partitionKey": "k",
                    "sequenceNumber": seq,
                    "subSequenceNumber": None,
                    "approximateArrivalTimestamp": 1,
                }
                for seq, data in items
            ],
        }
    )
    from amazon_kclpy.dispatch import message_decode

    message = json.loads(line, object_hook=message_decode)
    message._checkpointer = checkpointer
    return message


def initialized(store: RRDStore, **kwargs: Any) -> MetricRecordProcessor:
    processor = MetricRecordProcessor(store, **kwargs)
    processor.initialize(
        messages.InitializeInput(
            {
                "action": "initialize",
                "shardId": "shardId-000000000001",
                "sequenceNumber": "TRIM_HORIZON",
                "subSequenceNumber": None,
            }
        )
    )
    return processor


def values(path: Path) -> list[float]:
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 600), "-e", str(T0 + 3000)
    )
    return [row[0] for row in rows if row[0] is not None]


def test_writes_the_batch_then_checkpoints_its_last_record(rrd_dir: Path) -> None:
    processor = initialized(RRDStore(rrd_dir))
    checkpoints = Checkpoints()
    items = [
        ("1", record("//h/a#x", T0, 1)),
        ("2", record("//h/b#x", T0, 2)),
        ("3", b"not json"),
        ("4", record("//h/a#x", T0 + 300, 3)),
    ]
    processor.process_records(records_input(items, checkpoints))
    assert checkpoints.saved == ["4"]
    assert values(rrd_dir / "metrics/h/a/x.rrd") == [1.0, 3.0]
    assert values(rrd_dir / "metrics/h/b/x.rrd") == [2.0]
    assert processor.stats.written == 3
    assert processor.bad.counts == {"not_json": 1}

    # Read again after a lease moved: skipped, checkpointed again, nothing doubled.
    again = initialized(RRDStore(rrd_dir))
    again.process_records(records_input(items, checkpoints))
    assert again.stats.written == 0 and again.stats.skipped_old == 3
    assert values(rrd_dir / "metrics/h/a/x.rrd") == [1.0, 3.0]


def test_shard_end_checkpoints_and_lease_loss_does_not(rrd_dir: Path) -> None:
    processor = initialized(RRDStore(rrd_dir))
    checkpoints = Checkpoints()
    ended = messages.ShardEndedInput({"action": "shardEnded"})
    ended._checkpointer = checkpoints
    processor.shard_ended(ended)
    assert checkpoints.saved == [None]  # no sequence number: SHARD_END

    other = initialized(RRDStore(rrd_dir))
    other.process_records(records_input([("9", record("//h/a#x", T0, 1))], checkpoints))
    other.lease_lost(messages.LeaseLostInput({"action": "leaseLost"}))
    assert checkpoints.saved == [None, "9"]


def test_shutdown_requested_checkpoints_only_what_was_written(rrd_dir: Path) -> None:
    checkpoints = Checkpoints()
    request = messages.ShutdownRequestedInput({"action": "shutdownRequested"})
    request._checkpointer = checkpoints
    initialized(RRDStore(rrd_dir)).shutdown_requested(request)
    assert checkpoints.saved == []  # nothing processed: nothing to checkpoint

    processor = initialized(RRDStore(rrd_dir))
    processor.process_records(records_input([("5", record("//h/a#x", T0, 1))], checkpoints))
    processor.shutdown_requested(request)
    assert checkpoints.saved == ["5", "5"]


def test_checkpoint_retries_throttling_and_stops_at_a_lost_lease(rrd_dir: Path) -> None:
    pauses: list[float] = []
    processor = initialized(RRDStore(rrd_dir), clock=Clock(sleep=pauses.append))
    throttled = Checkpoints(["ThrottlingException"])
    assert processor.checkpoint(throttled, "7") is True
    assert throttled.saved == ["7"] and len(pauses) == 1
    assert processor.checkpoint(Checkpoints(["ShutdownException"]), "8") is False


def test_files_that_cannot_be_written_are_retried_before_any_checkpoint(
    tmp_path: Path,
) -> None:
    checkpoints = Checkpoints()
    with small_disk(tmp_path / "disk", size="1m") as disk:
        store = RRDStore(disk.path)
        waits: list[float] = []

        def pause(seconds: float) -> None:
            waits.append(seconds)
            assert checkpoints.saved == []  # nothing checkpointed while it waits
            if len(waits) == 3:
                disk.free()

        processor = initialized(store, clock=Clock(sleep=pause))
        disk.fill()
        processor.process_records(records_input([("3", record("//h/a#x", T0, 1))], checkpoints))
        assert waits == [0.5, 1.0, 2.0]
        assert checkpoints.saved == ["3"]
        assert processor.stats.write_retries == 3
        assert values(disk.path / "metrics/h/a/x.rrd") == [1.0]


def test_the_write_goes_through_the_writer(rrd_dir: Path) -> None:
    class Recording:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def start(self, samples: Any) -> None:
            self.calls.append(dict(samples))

        def wait(self) -> WriteResult:
            return WriteResult(written=1)

        def close(self) -> None:
            pass

    writer = Recording()
    processor = initialized(RRDStore(rrd_dir), writer=writer)
    processor.process_records(records_input([("1", record("//h/a#x", T0, 1))], Checkpoints()))
    assert writer.calls == [{"metrics/h/a/x": [(T0, (1,))]}]


def protocol_line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, "the processor closed its stdout"
        if line.strip():
            return dict(json.loads(line))


def send(proc: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


@pytest.fixture
def processor_process(rrd_dir: Path, tmp_path: Path) -> Any:
    env = {"GRAPHMETRICS_RRD_DIR": str(rrd_dir), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphmetrics.cli.kcl", "process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "processor.log", "w"),  # noqa: SIM115
        text=True,
        env=env,
    )
    yield proc
    proc.kill()
    proc.wait()


def test_the_process_speaks_the_multilang_protocol(processor_process: Any, rrd_dir: Path) -> None:
    proc = processor_process
    send(proc, {"action": "initialize", "shardId": "shardId-1", "sequenceNumber": None,
                "subSequenceNumber": None})  # fmt: skip
    assert protocol_line(proc) == {"action": "status", "responseFor": "initialize"}
    data = base64.b64encode(record("//h/a#x", T0, 4)).decode()
    send(proc, {"action": "processRecords", "millisBehindLatest": 0, "records": [
        {"action": "record", "data": data, "partitionKey": "h/a", "sequenceNumber": "42",
         "subSequenceNumber": None, "approximateArrivalTimestamp": 1}]})  # fmt: skip
    # The checkpoint is asked for only once the file is written.
    assert protocol_line(proc) == {
        "action": "checkpoint",
        "sequenceNumber": "42",
        "subSequenceNumber": None,
    }
    assert values(rrd_dir / "metrics/h/a/x.rrd") == [4.0]
    send(proc, {"action": "checkpoint", "sequenceNumber": "42", "subSequenceNumber": None})
    assert protocol_line(proc) == {"action": "status", "responseFor": "processRecords"}
    send(proc, {"action": "shardEnded"})
    assert protocol_line(proc)["action"] == "checkpoint"
    send(proc, {"action": "checkpoint", "sequenceNumber": "SHARD_END", "subSequenceNumber": None})
    assert protocol_line(proc) == {"action": "status", "responseFor": "shardEnded"}
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0


def test_an_unexpected_error_ends_the_process(processor_process: Any, rrd_dir: Path) -> None:
    proc = processor_process
    send(proc, {"action": "initialize", "shardId": "shardId-1", "sequenceNumber": None,
                "subSequenceNumber": None})  # fmt: skip
    protocol_line(proc)
    send(proc, {"action": "processRecords", "millisBehindLatest": 0, "records": [
        {"action": "record", "data": "not base64!", "partitionKey": "k", "sequenceNumber": "1",
         "subSequenceNumber": None, "approximateArrivalTimestamp": 1}]})  # fmt: skip
    # amazon_kclpy alone would report the batch done; this one exits, checkpointing nothing.
    assert proc.wait(timeout=10) == 1
    assert proc.stdout is not None
    assert proc.stdout.read().strip() == ""


def test_held_samples_keep_the_checkpoint_before_them_until_written(rrd_dir: Path) -> None:
    """One new file per 0.4 s: the others' samples wait in memory (a lease may move to
    another host), and the checkpoint stays before the first batch still held."""
    store = RRDStore(rrd_dir, limits=CreateLimits(max_per_minute=1, window=0.4))
    processor = initialized(store)
    checkpoints = Checkpoints()
    first = [("1", record("//h/a#x", T0, 1)), ("2", record("//h/b#x", T0, 2))]
    processor.process_records(records_input(first, checkpoints))
    assert processor.stats.held_files == 1 and checkpoints.saved == []
    processor.process_records(records_input([("3", record("//h/a#x", T0 + 300, 3))], checkpoints))
    assert checkpoints.saved == []  # b is still held: a restart must read record 2 again
    time.sleep(0.45)
    more = [("4", record("//h/a#x", T0 + 600, 4)), ("5", record("//h/c#x", T0, 5))]
    processor.process_records(records_input(more, checkpoints))
    # b is written now, c held since the batch after record 3
    assert values(rrd_dir / "metrics/h/b/x.rrd") == [2.0]
    assert checkpoints.saved == ["3"] and processor.stats.held_files == 1
    ended = messages.ShardEndedInput({"action": "shardEnded"})
    ended._checkpointer = checkpoints
    processor.shard_ended(ended)  # waits for the budget, writes c, then SHARD_END
    assert values(rrd_dir / "metrics/h/c/x.rrd") == [5.0]
    assert checkpoints.saved == ["3", None] and processor.stats.held_files == 0
