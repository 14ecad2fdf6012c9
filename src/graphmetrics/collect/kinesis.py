"""Kinesis shard consumer: every shard, parents before children, checkpoint last.

In the spirit of arroyo, chained steps: reader threads fetch the readable shards into
a bounded queue (:mod:`graphmetrics.collect.kinesis_readers`: ≤ 5 GetRecords/s/shard,
back-off); this loop decodes what they delivered into one :class:`MetricBatch` and
hands it to a writer (:mod:`graphmetrics.metrics.writer`; the daemon's writes in a
process of their own), decodes the next batch while that one is written, then saves
the checkpoints of what is written.  A batch is written once nothing more is waiting and it holds
``write_records`` records, or a shard had nothing new or ended, or it is
``batch_seconds`` old: small when the source is the bottleneck, larger (more samples
per ``rrdtool.update``) when the writes are.  Checkpoints follow a write at most every
``checkpoint_interval``, at once when a shard ended (its children wait for it), and
at the end.  A shard whose parents (split or merge) are not finished is not started;
a shard read to its end is checkpointed as closed and never read again.  The client
and clocks are passed in; a stop request only sets a flag: the loop lets the calls
in flight finish, writes, checkpoints and returns.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from graphmetrics.collect.checkpoint import Checkpoint, CheckpointStore
from graphmetrics.collect.daemon import Clock, DaemonLoop, EventWake, LoopOptions
from graphmetrics.collect.instrumentation import Backoff, Throughput
from graphmetrics.collect.kinesis_readers import (
    FetchCounters,
    Fetched,
    ShardReaders,
    list_shards,
)
from graphmetrics.metrics.batch import FUTURE_TOLERANCE, BadRecords, MetricBatch, PathCache
from graphmetrics.metrics.writer import InlineWriter, Writer
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import WriteCounters

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
else:
    KinesisClient = Any

log = logging.getLogger(__name__)

#: With --once, a shard failing this many times in a row (about 2 minutes of back-off)
#: ends the run with an error instead of retrying forever.
ONCE_MAX_FAILURES = 8
#: Longest wait for the readers before the loop looks at its clocks again (real time).
MAX_WAIT = 0.2
#: On a stop request, how long calls in flight may take to be delivered (real time).
STOP_TIMEOUT = 10.0
#: With --once, attempts at such files before the run ends with an error (~30 s).
ONCE_WRITE_ATTEMPTS = 6
#: Held samples whose files the disk floor refused are tried again this often (s).
HELD_RETRY = 5.0
#: A daemon waiting for its stream to exist: first pause (doubling up to 30 s).
LIST_RETRY_FIRST = 1.0


class StreamUnavailable(RuntimeError):
    """The stream cannot be listed (missing, no access, endpoint down); says which."""


class WritesFailing(RuntimeError):
    """Samples could not be written (disk full...) and the run had to end before they
    were; nothing after them is checkpointed, so the next run reads them again."""


class HeldAtEnd(RuntimeError):
    """``--once`` read everything but some new files may not be created (the disk at
    its floor): their samples are saved with the held samples, not written."""


@dataclass
class Shard:
    """The consumer's view of a shard: what was decoded, written and checkpointed."""

    shard_id: str
    parents: tuple[str, ...]
    closed: bool = False
    """Listed with an ending sequence number (split or merged)."""
    position: str | None = None
    """Last sequence number decoded (checkpointed once the batch holding it is written)."""
    ended: bool = False
    finished: bool = False
    caught_up: bool = False
    dirty: bool = False
    """Decoded into the batch being built (its write has not started)."""
    written: Checkpoint | None = None
    """Progress covered by finished writes and not saved yet."""
    behind_ms: int | None = None


@dataclass
class Stats(FetchCounters, WriteCounters):
    records: int = 0
    bad: BadRecords = field(default_factory=BadRecords)


@dataclass(frozen=True)
class KinesisOptions:
    """How the consumer paces its reads, batches and checkpoints (seconds, records)."""

    poll_interval: float = 0.2
    """Between two GetRecords calls on a shard with records (at least 0.2: 5 calls/s)."""
    idle_interval: float = 1.0
    """Between two GetRecords calls on a caught-up shard."""
    discover_interval: float = 30.0
    status_interval: float = 60.0
    batch_records: int = 100_000
    """Records decoded into one batch, at most."""
    batch_seconds: float = 1.0
    write_records: int = 1000
    checkpoint_interval: float = 1.0
    records_limit: int = 10_000
    """GetRecords ``Limit``."""
    prefetch: int = 8
    """Responses fetched ahead and not yet decoded, at most (then readers pause)."""
    max_in_flight: int = 4
    """GetRecords calls made at the same time, at most (over all shards)."""
    list_page_size: int | None = None
    future_tolerance: float = FUTURE_TOLERANCE
    """Samples dated further ahead of the wall clock are refused (seconds)."""


class KinesisConsumer:
    """Reads every shard of ``stream`` into ``store``; see the module docstring."""

    def __init__(
        self,
        client: KinesisClient,
        stream: str,
        store: RRDStore,
        checkpoints: CheckpointStore,
        options: KinesisOptions | None = None,
        *,
        clock: Clock | None = None,
        writer: Writer | None = None,
    ) -> None:
        self.client = client
        self.stream = stream
        self.store = store
        self.writer: Writer = writer if writer is not None else InlineWriter(store)
        """Writes the batches (:mod:`graphmetrics.metrics.writer`); ``store`` names files."""
        self.checkpoints = checkpoints
        clock = clock or Clock()
        self.clock, self.wall, self.sleep = clock.monotonic, clock.wall, clock.sleep
        options = options or KinesisOptions()
        self.options = options
        self.poll_interval = max(options.poll_interval, 0.2)
        self.idle_interval = max(options.idle_interval, self.poll_interval)
        self.shards: dict[str, Shard] = {}
        self.stats = Stats()
        self.paths = PathCache(store)
        self.stop_requested = False
        self._once = False
        self._next_discovery = 0.0
        self._status = Throughput(options.status_interval, self.clock)
        self._checkpoint_due = 0.0
        self._in_flight: dict[str, Checkpoint] | None = None
        """Progress per shard that the write in flight covers (None: no write)."""
        self.readers: ShardReaders | None = None
        self._loop: DaemonLoop | None = None
        self._batch = self._new_batch()
        self._started = 0.0
        self._creation_wait = 0.0
        """From the last write: seconds until a held file may be created."""
        self._disk_note = ""
        self._ahead: dict[str, float] = {}
        """Per shard, the furthest ahead of the clock a sample was since the last status."""
        self._held_known = not getattr(self.writer, "held_at_start", False)
        """A write told how many samples are held (the writer loads them at start)."""
        self._held_due = 0.0
        """When to write the held samples again though no record came."""

    def request_stop(self) -> None:
        """Ask the loop to finish its batch, checkpoint and return (signal-safe)."""
        self.stop_requested = True
        if self._loop is not None:
            self._loop.request_stop()

    # -- the loop -------------------------------------------------------------------

    def run(self, once: bool = False) -> Stats:
        """Consume until stopped, or with ``once`` until every shard is at its end."""
        self._once = once
        if not self._first_discovery():
            return self.stats  # stopped before the stream could be listed
        for shard in self.shards.values():
            shard.caught_up = False
        self._status.restart()
        self._checkpoint_due = self.clock() + self.options.checkpoint_interval
        self.readers = ShardReaders(
            self.client,
            self.stream,
            clock=self.clock,
            sleep=self.sleep,
            poll_interval=self.poll_interval,
            idle_interval=self.idle_interval,
            records_limit=self.options.records_limit,
            queue_size=self.options.prefetch,
            once=once,
            counters=self.stats,
            max_failures=ONCE_MAX_FAILURES if once else None,
            max_in_flight=self.options.max_in_flight,
            on_missing=self._discover_soon,
        )
        self._batch, self._started = self._new_batch(), self.clock()
        # The readers' queue is the wake source: poll waits on it (MAX_WAIT at most),
        # so the loop itself never sleeps; checkpoints are considered every step.
        options = LoopOptions(poll_interval=0.0, checkpoint_interval=0.0, min_cycle=0.0)
        clock = Clock(self.clock, self.wall, self.sleep)
        self._loop = DaemonLoop(self, EventWake(), options, clock)
        if self.stop_requested:
            self._loop.request_stop()
        try:
            self._loop.run(once)
        finally:
            self._loop = None
        return self.stats

    # -- the loop's Processor ---------------------------------------------------------

    def poll(self, stop: Callable[[], bool]) -> bool:
        """Start the readable shards, decode what the readers delivered, write the batch
        when it is due; True (with ``--once``) when every shard is at its end."""
        readers, once = self._readers(), self._once
        now = self.clock()
        if not once and now >= self._next_discovery:
            self._try_discover()
        for shard in self._startable(readers, once):
            # A closed shard or a parent is read until Kinesis says it ended.
            end_early = once and not shard.closed and not self._is_parent(shard)
            readers.start(shard.shard_id, shard.position, end_early)
        batch = self._batch
        idle = self._collect(readers, batch)
        now = self.clock()
        ended = any(s.ended and not s.finished for s in self.shards.values())
        full = (
            batch.records >= self.options.write_records
            or now - self._started >= self.options.batch_seconds
        )
        unsaved = now >= self._checkpoint_due and self._unsaved()
        held = (
            (self.stats.held_files > 0 or not self._held_known)
            and now >= self._held_due
            and self._in_flight is None
        )
        if (batch.records and (full or idle)) or ended or unsaved or held:
            self.commit(batch, force=ended, write_empty=held)
            self._batch, self._started = self._new_batch(), now
        if once and self._all_caught_up():
            return self._held_written()
        if once:
            self._give_up_on_failing_shard(readers, self._batch)
        return False

    def _held_written(self) -> bool:
        """``--once`` at the end of the input: True once no sample is held for a file
        that may not be created yet; meanwhile it waits for the creation budget (a
        status line saying so) and writes what it allows."""
        self.commit(self._batch, force=True, write_empty=not self._held_known)
        self._batch = self._new_batch()
        while self.stats.held_files and not self.stop_requested:
            wait = self._creation_wait
            if wait > 0:
                log.info(
                    "waiting %.1fs for the creation budget (max_new_files_per_minute): "
                    "held_files=%d held_samples=%d",
                    wait,
                    self.stats.held_files,
                    self.stats.held_samples,
                )
                self._pause(min(wait, 5.0))
            before = self.stats.held_files
            self.commit(self._new_batch(), force=True, write_empty=True)
            if self.stats.held_files == before and self._creation_wait <= 0:
                raise HeldAtEnd(
                    f"{self.stats.held_samples} samples of {self.stats.held_files} new files "
                    "are held: the disk is at its floor (min_free_disk); they are saved and "
                    "the next run writes them"
                )
        return True

    def checkpoint(self) -> None:
        """Checkpoints follow the writes (:meth:`commit`, called by :meth:`poll`)."""

    def join(self) -> bool:
        """No new calls; what is in flight is delivered, written and checkpointed."""
        readers = self._readers()
        readers.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        while (readers.busy() or not readers.queue.empty()) and time.monotonic() < deadline:
            self._collect(readers, self._batch)
        self.commit(self._batch, force=True)
        return True

    def report(self, final: bool = False) -> None:
        if final or self._status.due():
            self.log_status(final)

    def close(self) -> None:
        self._readers().close()

    def _readers(self) -> ShardReaders:
        assert self.readers is not None, "run() starts the readers"
        return self.readers

    def _unsaved(self) -> bool:
        """Some progress is decoded, being written or written, and not checkpointed."""
        return self._in_flight is not None or any(
            shard.dirty or shard.written is not None for shard in self.shards.values()
        )

    def _new_batch(self) -> MetricBatch:
        return MetricBatch(self.paths, self.stats.bad, self.wall(), self.options.future_tolerance)

    def _collect(self, readers: ShardReaders, batch: MetricBatch) -> bool:
        """Decode what the readers delivered (waiting a little for the first response),
        up to ``batch_records``; True when a shard had nothing new."""
        idle = False
        try:
            fetched = readers.queue.get(timeout=MAX_WAIT)
            while True:
                idle = self._apply(fetched, batch) or idle
                if batch.records >= self.options.batch_records:
                    break
                fetched = readers.queue.get_nowait()
        except queue.Empty:
            pass
        if readers.error is not None:
            raise readers.error
        return idle

    def _apply(self, fetched: Fetched, batch: MetricBatch) -> bool:
        """Decode one response into the batch and advance its shard; True when caught up."""
        shard = self.shards.get(fetched.shard_id)
        if shard is None:  # no longer listed
            return False
        records = fetched.records
        if records:
            batch.add_records(shard.shard_id, records)
            shard.position = records[-1]["SequenceNumber"]
            shard.dirty = True
            self.stats.records += len(records)
        shard.behind_ms = fetched.behind_ms
        shard.caught_up = fetched.caught_up
        if fetched.ended:
            shard.ended = shard.dirty = True
            log.info("shard %s read to its end (closed by a split or merge)", shard.shard_id)
        return shard.caught_up

    def _startable(self, readers: ShardReaders, once: bool) -> list[Shard]:
        return [
            shard
            for shard in self.shards.values()
            if not shard.finished
            and not shard.ended
            and not (once and shard.caught_up)
            and not readers.started(shard.shard_id)
            and self._parents_finished(shard)
        ]

    def _is_parent(self, shard: Shard) -> bool:
        return any(shard.shard_id in other.parents for other in self.shards.values())

    def _parents_finished(self, shard: Shard) -> bool:
        for parent_id in shard.parents:
            parent = self.shards.get(parent_id)
            if parent is not None and not parent.finished:
                return False
        return True

    def _all_caught_up(self) -> bool:
        return all(shard.finished or shard.caught_up for shard in self.shards.values())

    def _give_up_on_failing_shard(self, readers: ShardReaders, batch: MetricBatch) -> None:
        failing = readers.failing(ONCE_MAX_FAILURES)
        if failing:
            self.commit(batch, force=True)
            cursor = failing[0]
            raise StreamUnavailable(
                f"shard {cursor.shard_id} failed {cursor.failures} times in a row after "
                f"sequence number {cursor.position or '(start)'}; giving up this --once run "
                "(what was read before is written and checkpointed)"
            )

    # -- commit ---------------------------------------------------------------------

    def commit(self, batch: MetricBatch, force: bool = False, write_empty: bool = False) -> None:
        """Finish the write in flight, start writing ``batch``, checkpoint what is written.

        The consumer decodes the next batch while this one is written (with a
        :class:`~graphmetrics.metrics.writer.ProcessWriter`, in another process), so
        checkpoints trail the writes: a shard's checkpoint only ever moves to progress
        whose write has finished.  Saving may wait for a later commit
        (``checkpoint_interval``) unless ``force``, which also waits for ``batch`` to be
        written: at the end of a run, and when a shard ended (its children wait for it).
        """
        self._finish_write()
        for shard_id, ahead in batch.ahead.items():
            self._ahead[shard_id] = max(ahead, self._ahead.get(shard_id, 0.0))
        snapshot: dict[str, Checkpoint] = {}
        for shard in self.shards.values():
            if shard.dirty:
                snapshot[shard.shard_id] = Checkpoint(shard.position, shard.ended)
                shard.dirty = False
        if batch.records or write_empty:
            self.writer.start(batch.samples)
            self._in_flight = snapshot
        else:  # nothing to write (a shard ended with an empty response)
            self._mark_written(snapshot)
        if force:
            self._finish_write()
        now = self.clock()
        if force or now >= self._checkpoint_due:
            self._checkpoint_due = now + self.options.checkpoint_interval
            self._save_checkpoints()

    def _finish_write(self) -> None:
        """Wait for the write in flight; retry its files that cannot be written for now.

        Files that cannot be written for now (disk full, locked) are retried, with
        back-off, before their shards' progress counts as written; meanwhile nothing
        new is written and the readers fill the bounded queue and pause.
        """
        snapshot, self._in_flight = self._in_flight, None
        if snapshot is None:
            return
        result = self.writer.wait()
        self.stats.add_writes(result)
        attempts, backoff = 1, Backoff()
        while result.retry:
            if self.stop_requested or (self._once and attempts >= ONCE_WRITE_ATTEMPTS):
                raise WritesFailing(
                    f"{len(result.retry)} files could not be written ({result.error}); "
                    "nothing after them is checkpointed: the next run reads them again"
                )
            delay = backoff.next()
            log.error(
                "%d files cannot be written for now (%s); checkpoints wait; retrying in %.1fs",
                len(result.retry),
                result.error,
                delay,
            )
            self._pause(delay)
            attempts += 1
            self.writer.start({})  # the writer writes what it kept first
            result = self.writer.wait()
            self.stats.add_writes(result)
        self._creation_wait, self._disk_note = result.creation_wait, result.disk_note
        self._held_due = self.clock() + (result.creation_wait or HELD_RETRY)
        self._held_known = True
        self._mark_written(snapshot)

    def _mark_written(self, snapshot: dict[str, Checkpoint]) -> None:
        for shard_id, progress in snapshot.items():
            shard = self.shards.get(shard_id)
            if shard is not None:
                shard.written = progress

    def _save_checkpoints(self) -> None:
        written = {s.shard_id: s.written for s in self.shards.values() if s.written is not None}
        if not written:
            return
        self.checkpoints.save_many(written)
        for shard_id, progress in written.items():
            shard = self.shards[shard_id]
            shard.written = None
            if progress.closed:
                shard.finished = True
                self._next_discovery = self.clock()

    def _pause(self, seconds: float) -> None:
        """Sleep, waking up early for a stop request."""
        deadline = self.clock() + seconds
        while not self.stop_requested and (left := deadline - self.clock()) > 0:
            self.sleep(min(left, MAX_WAIT))

    def _first_discovery(self) -> bool:
        """List the shards; the daemon waits for a stream that is not there yet (or an
        endpoint that is down) with back-off, --once fails at once.  False: stopped."""
        backoff = Backoff(first=LIST_RETRY_FIRST)
        while not self.stop_requested:
            try:
                self.discover()
                return True
            except StreamUnavailable as exc:
                if self._once:
                    raise
                delay = backoff.next()
                log.error("%s; retrying in %.0fs", exc, delay)
                self._pause(delay)
        return False

    def _discover_soon(self) -> None:
        self._next_discovery = self.clock()

    # -- discovery ------------------------------------------------------------------

    def discover(self) -> None:
        """Add new shards (from their checkpoints), forget finished ones no longer listed."""
        try:
            listed = list_shards(self.client, self.stream, self.options.list_page_size)
        except (ClientError, BotoCoreError) as exc:
            raise StreamUnavailable(
                f"cannot list the shards of stream {self.stream!r}: {exc}"
            ) from exc
        self._next_discovery = self.clock() + self.options.discover_interval
        new = [info for info in listed if info["ShardId"] not in self.shards]
        saved = self.checkpoints.load_all() if new else {}
        for info in new:
            self._add_shard(info, saved.get(info["ShardId"]))
        listed_ids = {info["ShardId"] for info in listed}
        gone = [s for s in self.shards.values() if s.shard_id not in listed_ids]
        for shard in gone:
            del self.shards[shard.shard_id]
            if self.readers is not None:
                self.readers.cancel(shard.shard_id)
            if not shard.finished:
                log.warning(
                    "shard %s is no longer listed (past retention?); stopped reading it after "
                    "sequence number %s",
                    shard.shard_id,
                    shard.position,
                )
        # A finished shard past the stream's retention is never listed again: its
        # checkpoint can go, so years of resharding do not pile up files.
        expired = [s.shard_id for s in gone if s.finished]
        expired += [sid for sid, cp in saved.items() if cp.closed and sid not in listed_ids]
        for shard_id in expired:
            self.checkpoints.remove(shard_id)
            log.info("shard %s is past retention: removed its checkpoint", shard_id)

    def _add_shard(self, info: dict[str, Any], checkpoint: Checkpoint | None) -> None:
        parents = tuple(
            p for p in (info.get("ParentShardId"), info.get("AdjacentParentShardId")) if p
        )
        closed = bool(info.get("SequenceNumberRange", {}).get("EndingSequenceNumber"))
        shard = Shard(info["ShardId"], parents, closed)
        if checkpoint is not None:
            shard.position = checkpoint.sequence_number
            shard.finished = checkpoint.closed
        self.shards[shard.shard_id] = shard
        state = "finished" if shard.finished else f"from {shard.position or 'TRIM_HORIZON'}"
        log.info("shard %s (parents: %s) %s", shard.shard_id, ", ".join(parents) or "-", state)

    def _try_discover(self) -> None:
        try:
            self.discover()
        except StreamUnavailable as exc:
            self._next_discovery = self.clock() + min(self.options.discover_interval, 10.0)
            log.error("%s; retrying", exc)

    # -- status ---------------------------------------------------------------------

    def log_status(self, final: bool = False) -> None:
        rate = self._status.rate(self.stats.records)
        behind = [
            (s.behind_ms, s.shard_id) for s in self.shards.values() if s.behind_ms is not None
        ]
        lag = "{} ms (shard {})".format(*max(behind)) if behind else "n/a"
        finished = sum(1 for s in self.shards.values() if s.finished)
        bad = self.stats.bad.counts
        log.info(
            "%s: stream %s shards=%d finished=%d records=%d (%.1f/s) %s throttled=%d "
            "bad=%d {%s} millis_behind_latest=%s%s",
            "finished" if final else "status",
            self.stream,
            len(self.shards),
            finished,
            self.stats.records,
            rate,
            self.stats.status(),
            self.stats.throttled,
            sum(bad.values()),
            ", ".join(f"{reason}: {n}" for reason, n in sorted(bad.items())),
            lag,
            self._status_notes(),
        )
        self.stats.bad.reset_warnings()

    def _status_notes(self) -> str:
        notes = [f"next_create_in={self._creation_wait:.0f}s"] if self.stats.held_files else []
        if self._ahead:
            ahead, shard_id = max((a, s) for s, a in self._ahead.items())
            notes.append(f"clock_ahead={ahead:.0f}s shard {shard_id}")
            self._ahead.clear()
        notes += [self._disk_note] if self._disk_note else []
        return "".join(f" ({note})" for note in notes)
