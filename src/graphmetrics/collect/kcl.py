"""The KCL record processor: one process per leased shard, run by the MultiLangDaemon.

Several consumer hosts share a stream's shards through the Kinesis Client Library
(KCL 3, Java): its MultiLangDaemon keeps the leases and checkpoints in DynamoDB,
reads the shards it holds, parents to ``SHARD_END`` before their children, and feeds
each shard to a child process speaking the ``amazon_kclpy`` protocol on stdin/stdout.
This module is that child: it decodes records with the single-host collector's rules
(:class:`~graphmetrics.metrics.batch.MetricBatch`: same decoding, same name → path,
same bad-record counters) and writes them with the same write path
(:class:`~graphmetrics.rrd.writer.RRDWriter` through an
:class:`~graphmetrics.metrics.writer.InlineWriter`: one ``rrdtool.update`` per file,
rrdcached flushed and verified), keeping and retrying what cannot be written for now.

A checkpoint moves only after the batch's writes are done: files that cannot be
written for now are retried with back-off (0.5 s up to 30 s) before anything is
checkpointed; the KCL keeps the lease meanwhile and sends nothing new.  Samples of
files the creation limits do not allow yet are held in memory (a lease may move to
another host, so they are not saved here): the checkpoint stays before the first
batch whose samples are still held, so a restart or another worker reads them again.
Held files are created oldest first as the budget allows, so the checkpoint trails by
at most the time the budget needs for them.
``shard_ended`` checkpoints ``SHARD_END`` (the children start after it);
``lease_lost`` never checkpoints (another worker owns the shard now);
``shutdown_requested`` checkpoints what is written.  Records re-read after a lease
moved are skipped by the store (timestamps at or before a file's last update).

The protocol owns stdout: everything this process says goes to stderr, which the
MultiLangDaemon copies into its log, or to ``log_file``.  An unexpected error ends
the process (exit 1): the MultiLangDaemon then exits too and its supervisor restarts
it from the last checkpoint, rather than going on past a batch that was not written.
"""

from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Protocol

from amazon_kclpy import kcl
from amazon_kclpy.v3 import processor

from graphmetrics.collect.daemon import Clock
from graphmetrics.collect.instrumentation import Backoff, Throughput
from graphmetrics.metrics.batch import FUTURE_TOLERANCE, BadRecords, MetricBatch, PathCache
from graphmetrics.metrics.writer import InlineWriter, Samples, Writer
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import WriteCounters, WriteResult

log = logging.getLogger(__name__)

#: Checkpoint errors worth another try, with this pause (seconds) and this many times.
CHECKPOINT_RETRYABLE = frozenset({"ThrottlingException", "KinesisClientLibDependencyException"})
CHECKPOINT_ATTEMPTS = 5
CHECKPOINT_PAUSE = 1.0


class HeldAtShardEnd(RuntimeError):
    """A shard ended while some of its samples may not be written (the disk floor):
    the processor ends without checkpointing SHARD_END."""


class Checkpointer(Protocol):
    def checkpoint(
        self, sequence_number: str | None = None, sub_sequence_number: int | None = None
    ) -> None: ...


@dataclass
class ShardStats(WriteCounters):
    records: int = 0
    checkpoints: int = 0


class MetricRecordProcessor(processor.RecordProcessorBase):
    """Writes one shard's records to ``store``; see the module docstring.

    ``writer`` defaults to writing in this process (the processor runs one thread: the
    reason the single-host daemon writes from a child process does not apply here).
    The clock is passed in for tests.
    """

    def __init__(
        self,
        store: RRDStore,
        *,
        writer: Writer | None = None,
        status_interval: float = 60.0,
        clock: Clock | None = None,
        future_tolerance: float = FUTURE_TOLERANCE,
    ) -> None:
        self.future_tolerance = future_tolerance
        self.store = store
        self.writer: Writer = writer if writer is not None else InlineWriter(store)
        self.paths = PathCache(store)
        self.bad = BadRecords()
        self.stats = ShardStats()
        clock = clock or Clock()
        self.clock, self.wall, self.sleep = clock.monotonic, clock.wall, clock.sleep
        self._status = Throughput(status_interval, self.clock)
        self.shard_id = "?"
        self.position: str | None = None
        """Last sequence number whose batch was handed to the writer."""
        self.checkpointed: str | None = None
        """Last sequence number checkpointed."""
        self._held_since: dict[str, str | None] = {}
        """Per held file, the position before the first batch it was held in."""

    # -- the amazon_kclpy v3 interface ------------------------------------------------

    def initialize(self, initialize_input: Any) -> None:
        self.shard_id = initialize_input.shard_id
        self._status.restart()
        self.position = self.checkpointed = initialize_input.sequence_number
        start = initialize_input.sequence_number or "(start)"
        log.info("shard %s: starting after checkpoint %s", self.shard_id, start)

    def process_records(self, process_records_input: Any) -> None:
        records = process_records_input.records
        if records or self._held_since:
            before, last = self.position, records[-1].sequence_number if records else None
            result = self.write_batch(
                [{"Data": r.binary_data, "SequenceNumber": r.sequence_number} for r in records]
            )
            log.debug(
                "shard %s: batch records=%d written=%d skipped_old=%d failed_files=%d "
                "held_files=%d checkpoint=%s",
                self.shard_id,
                len(records),
                result.written,
                result.skipped_old,
                result.failed_files,
                result.held_files,
                last,
            )
            self.position = last or self.position
            self._note_held(before)
            self.checkpoint_safe(process_records_input.checkpointer)
        if self._status.due():
            self.log_status(process_records_input.millis_behind_latest)

    def _held(self) -> set[str]:
        rrd = getattr(self.writer, "rrd", None)
        return set(rrd.held.files) if rrd is not None else set()

    def _note_held(self, before: str | None) -> None:
        """Remember, for each file newly held, the position before this batch."""
        held = self._held()
        for relative in [r for r in self._held_since if r not in held]:
            del self._held_since[relative]
        for relative in held:
            self._held_since.setdefault(relative, before)

    def safe_position(self) -> str | None:
        """The furthest position every sample before which is in its file."""
        for position in self._held_since.values():
            return position  # the oldest: positions only grow in insertion order
        return self.position

    def checkpoint_safe(self, checkpointer: Checkpointer, again: bool = False) -> None:
        """Checkpoint at :meth:`safe_position` when it moved (``again``: even if not)."""
        safe = self.safe_position()
        if safe is not None and (again or safe != self.checkpointed) and safe.isdigit():
            self.checkpoint(checkpointer, safe)

    def lease_lost(self, lease_lost_input: Any) -> None:
        log.info("shard %s: lease lost (another worker holds it now); no checkpoint", self.shard_id)
        self.log_status(final=True)

    def shard_ended(self, shard_ended_input: Any) -> None:
        if not self.write_held():
            log.error(
                "shard %s: read to its end, but %d new files may not be created (%s); not "
                "checkpointing SHARD_END, so their records are read again",
                self.shard_id,
                len(self._held_since),
                self.store.disk_note() or "the disk floor",
            )
            self.log_status(final=True)
            raise HeldAtShardEnd(f"shard {self.shard_id}: samples held at its end")
        log.info("shard %s: read to its end; checkpointing SHARD_END", self.shard_id)
        self.checkpoint(shard_ended_input.checkpointer, None)
        self.log_status(final=True)

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        log.info("shard %s: shutdown requested; checkpointing what is written", self.shard_id)
        self.checkpoint_safe(shutdown_requested_input.checkpointer, again=True)
        self.log_status(final=True)

    def write_held(self) -> bool:
        """Wait for the creation budget and write the held samples (the shard's end);
        False when the disk floor keeps some from being written."""
        while self._held_since:
            wait = self.writer_wait()
            if wait > 0:
                log.info(
                    "shard %s: waiting %.1fs for the creation budget: held_files=%d",
                    self.shard_id,
                    wait,
                    len(self._held_since),
                )
                self.sleep(wait)
            before = len(self._held_since)
            self.stats.add_writes(self.write({}))
            self._note_held(self.position)
            if len(self._held_since) == before and self.writer_wait() <= 0:
                return False
        return True

    def writer_wait(self) -> float:
        rrd = getattr(self.writer, "rrd", None)
        return float(rrd.creation_wait()) if rrd is not None else 0.0

    # -- writing and checkpointing ----------------------------------------------------

    def write_batch(self, records: list[dict[str, Any]]) -> WriteResult:
        """Decode and write one batch; returns once every file is written (or unusable)."""
        batch = MetricBatch(self.paths, self.bad, self.wall(), self.future_tolerance)
        batch.add_records(self.shard_id, records)
        self.stats.records += batch.records
        total = WriteResult()
        result = self.write(batch.samples)
        total.add_writes(result)
        backoff = Backoff()
        while result.retry:
            delay = backoff.next()
            log.error(
                "shard %s: %d files cannot be written for now (%s); not checkpointing, "
                "retrying in %.1fs",
                self.shard_id,
                len(result.retry),
                result.error,
                delay,
            )
            self.sleep(delay)
            result = self.write({})  # the writer writes what it kept first
            total.add_writes(result)
        self.stats.add_writes(total)
        return total

    def write(self, samples: Samples) -> WriteResult:
        """The one call site of the collectors' write path: write, flush (rrdcached) and
        whatever checks the writer makes before a write counts as durable."""
        self.writer.start(samples)
        return self.writer.wait()

    def checkpoint(self, checkpointer: Checkpointer, sequence_number: str | None) -> bool:
        """Checkpoint at ``sequence_number`` (None: the shard's end); False when the
        lease is gone or the KCL refused, which the next checkpoint makes up for."""
        where = sequence_number or "SHARD_END"
        for attempt in range(1, CHECKPOINT_ATTEMPTS + 1):
            try:
                checkpointer.checkpoint(sequence_number)
            except kcl.CheckpointError as exc:
                error = str(exc.value)
                if error == "ShutdownException":
                    log.info("shard %s: lease gone, checkpoint at %s skipped", self.shard_id, where)
                    return False
                if error in CHECKPOINT_RETRYABLE and attempt < CHECKPOINT_ATTEMPTS:
                    log.warning(
                        "shard %s: checkpoint at %s: %s; retrying", self.shard_id, where, error
                    )
                    self.sleep(CHECKPOINT_PAUSE * attempt)
                    continue
                log.error("shard %s: checkpoint at %s failed: %s", self.shard_id, where, error)
                return False
            self.stats.checkpoints += 1
            if sequence_number is not None:
                self.checkpointed = sequence_number
            return True
        return False

    # -- status -----------------------------------------------------------------------

    def log_status(self, behind_ms: int | None = None, final: bool = False) -> None:
        rate = self._status.rate(self.stats.records)
        s, bad = self.stats, self.bad.counts
        log.info(
            "%s: shard %s records=%d (%.1f/s) %s checkpoints=%d bad=%d {%s} "
            "millis_behind_latest=%s",
            "finished" if final else "status",
            self.shard_id,
            s.records,
            rate,
            s.status(),
            s.checkpoints,
            sum(bad.values()),
            ", ".join(f"{reason}: {n}" for reason, n in sorted(bad.items())),
            "n/a" if behind_ms is None else behind_ms,
        )
        self.bad.reset_warnings()


class FailFastProcess(kcl.KCLProcess):
    """amazon_kclpy's protocol loop, except that an error in the processor ends the
    process: amazon_kclpy would log it and report the action done, and the KCL would
    then send the next batch, whose checkpoint would cover the one not written."""

    def _perform_action(self, action: Any) -> None:
        try:
            action.dispatch(self.checkpointer, self.processor)
        except Exception:
            log.critical(
                "%s failed; exiting so the MultiLangDaemon stops and nothing after the last "
                "checkpoint counts as written:\n%s",
                getattr(action, "action", "action"),
                traceback.format_exc(),
            )
            sys.exit(1)


def run_processor(record_processor: MetricRecordProcessor) -> None:
    """Speak the MultiLangDaemon protocol on stdin/stdout until the daemon closes stdin."""
    FailFastProcess(record_processor).run()
