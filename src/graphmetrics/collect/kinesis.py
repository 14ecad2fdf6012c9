"""Kinesis shard consumer: every shard, parents before children, checkpoint last.

One loop, in the spirit of arroyo: poll every readable shard (at most one GetRecords
per ``poll_interval``, which keeps under Kinesis' 5 calls/s/shard), decode into one
:class:`MetricBatch`, write the batch to the RRD store, and only then save each
shard's checkpoint.  A shard whose parents (split or merge) are not finished waits;
a shard read to its end is checkpointed as closed and never read again.  The client,
clocks and sleep are passed in, and a stop request only sets a flag: the loop
finishes the batch, writes, checkpoints and returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from graphmetrics.collect.checkpoint import Checkpoint, CheckpointStore
from graphmetrics.metrics.batch import BadRecords, MetricBatch, PathCache
from graphmetrics.rrd.store import RRDStore

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
else:
    KinesisClient = Any

log = logging.getLogger(__name__)

THROTTLED = {
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "KMSThrottlingException",
    "ThrottlingException",
}
MAX_BACKOFF = 30.0
#: With --once, a shard failing this many times in a row (about 2 minutes of back-off)
#: ends the run with an error instead of retrying forever.
ONCE_MAX_FAILURES = 8


class StreamUnavailable(RuntimeError):
    """The stream cannot be listed (missing, no access, endpoint down); says which."""


@dataclass
class Shard:
    shard_id: str
    parents: tuple[str, ...]
    position: str | None = None
    """Last sequence number read (committed once the batch holding it is written)."""
    iterator: str | None = None
    ended: bool = False
    finished: bool = False
    caught_up: bool = False
    dirty: bool = False
    next_poll: float = 0.0
    backoff: float = 0.0
    failures: int = 0
    behind_ms: int | None = None


@dataclass
class Stats:
    records: int = 0
    written: int = 0
    skipped_old: int = 0
    failed_files: int = 0
    get_records: int = 0
    throttled: int = 0
    bad: BadRecords = field(default_factory=BadRecords)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class KinesisConsumer:
    """Reads every shard of ``stream`` into ``store``; see the module docstring."""

    def __init__(
        self,
        client: KinesisClient,
        stream: str,
        store: RRDStore,
        checkpoints: CheckpointStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 0.2,
        idle_interval: float = 1.0,
        discover_interval: float = 30.0,
        status_interval: float = 60.0,
        batch_records: int = 100_000,
        batch_seconds: float = 1.0,
        records_limit: int = 10_000,
        list_page_size: int | None = None,
    ) -> None:
        self.client = client
        self.stream = stream
        self.store = store
        self.checkpoints = checkpoints
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.poll_interval = max(poll_interval, 0.2)
        self.idle_interval = max(idle_interval, self.poll_interval)
        self.discover_interval = discover_interval
        self.status_interval = status_interval
        self.batch_records = batch_records
        self.batch_seconds = batch_seconds
        self.records_limit = records_limit
        self.list_page_size = list_page_size
        self.shards: dict[str, Shard] = {}
        self.stats = Stats()
        self.paths = PathCache(store)
        self.stop_requested = False
        self._next_discovery = 0.0
        self._status_due = 0.0
        self._status_records = 0
        self._status_time = 0.0

    def request_stop(self) -> None:
        """Ask the loop to finish its batch, checkpoint and return (signal-safe)."""
        self.stop_requested = True

    # -- the loop -------------------------------------------------------------------

    def run(self, once: bool = False) -> Stats:
        """Consume until stopped, or with ``once`` until every shard is at its end."""
        self.discover()
        for shard in self.shards.values():
            shard.caught_up = False
        self._status_time = self.clock()
        self._status_due = self._status_time + self.status_interval
        batch = self._new_batch()
        started = self.clock()
        while not self.stop_requested:
            now = self.clock()
            if not once and now >= self._next_discovery:
                self._try_discover()
            polled, got, ended = self._poll_ready(batch, once)
            now = self.clock()
            idle = polled and not got
            full = batch.records >= self.batch_records or now - started >= self.batch_seconds
            if full or idle or ended:
                self.commit(batch)
                batch, started = self._new_batch(), now
            if once and self._all_caught_up():
                break
            if once:
                self._give_up_on_failing_shard(batch)
            if now >= self._status_due:
                self.log_status()
            if not got:
                self._sleep_until_next_poll(once)
        self.commit(batch)
        self.log_status(final=True)
        return self.stats

    def _new_batch(self) -> MetricBatch:
        return MetricBatch(self.paths, self.stats.bad, self.wall())

    def _readable(self, once: bool) -> list[Shard]:
        return [
            shard
            for shard in self.shards.values()
            if not shard.finished
            and not shard.ended
            and not (once and shard.caught_up)
            and self._parents_finished(shard)
        ]

    def _parents_finished(self, shard: Shard) -> bool:
        for parent_id in shard.parents:
            parent = self.shards.get(parent_id)
            if parent is not None and not parent.finished:
                return False
        return True

    def _all_caught_up(self) -> bool:
        return all(shard.finished or shard.caught_up for shard in self.shards.values())

    def _poll_ready(self, batch: MetricBatch, once: bool) -> tuple[int, int, bool]:
        """One GetRecords on each shard due: (shards polled, records read, a shard ended)."""
        polled, got, ended = 0, 0, False
        for shard in self._readable(once):
            if self.stop_requested:
                break
            if self.clock() < shard.next_poll:
                continue
            polled += 1
            got += self._poll(shard, batch)
            ended = ended or shard.ended
        return polled, got, ended

    def _give_up_on_failing_shard(self, batch: MetricBatch) -> None:
        failing = [s for s in self.shards.values() if s.failures >= ONCE_MAX_FAILURES]
        if failing:
            self.commit(batch)
            shard = failing[0]
            raise StreamUnavailable(
                f"shard {shard.shard_id} failed {shard.failures} times in a row after "
                f"sequence number {shard.position or '(start)'}; giving up this --once run "
                "(what was read before is written and checkpointed)"
            )

    def _sleep_until_next_poll(self, once: bool) -> None:
        shards = self._readable(once)
        wake = min((s.next_poll for s in shards), default=self.clock() + self.idle_interval)
        delay = min(max(wake - self.clock(), 0.0), 0.2 if once else 1.0)
        if delay > 0:
            self.sleep(delay)

    # -- one shard --------------------------------------------------------------------

    def _poll(self, shard: Shard, batch: MetricBatch) -> int:
        if shard.iterator is None and not self._acquire_iterator(shard):
            return 0
        assert shard.iterator is not None
        shard.next_poll = self.clock() + self.poll_interval
        try:
            response = self.client.get_records(
                ShardIterator=shard.iterator, Limit=self.records_limit
            )
        except ClientError as exc:
            self._on_error(shard, exc, "GetRecords")
            return 0
        except BotoCoreError as exc:
            self._back_off(shard, f"GetRecords on shard {shard.shard_id} failed: {exc}")
            return 0
        self.stats.get_records += 1
        shard.backoff, shard.failures = 0.0, 0
        records = response.get("Records", [])
        batch.add_records(shard.shard_id, records)
        if records:
            shard.position = records[-1]["SequenceNumber"]
            shard.dirty = True
        self.stats.records += len(records)
        shard.behind_ms = response.get("MillisBehindLatest")
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.ended = shard.dirty = True
            log.info("shard %s read to its end (closed by a split or merge)", shard.shard_id)
        shard.caught_up = not records and (shard.behind_ms or 0) == 0
        if shard.caught_up:
            shard.next_poll = self.clock() + self.idle_interval
        return len(records)

    def _acquire_iterator(self, shard: Shard) -> bool:
        args: dict[str, Any] = {"StreamName": self.stream, "ShardId": shard.shard_id}
        if shard.position is None:
            args["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            args["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            args["StartingSequenceNumber"] = shard.position
        try:
            shard.iterator = self.client.get_shard_iterator(**args)["ShardIterator"]
        except ClientError as exc:
            self._on_error(shard, exc, "GetShardIterator")
            return False
        except BotoCoreError as exc:
            self._back_off(shard, f"GetShardIterator on shard {shard.shard_id} failed: {exc}")
            return False
        return True

    def _on_error(self, shard: Shard, exc: ClientError, call: str) -> None:
        code = error_code(exc)
        where = f"shard {shard.shard_id} after sequence number {shard.position or '(start)'}"
        if code == "ExpiredIteratorException":
            log.info("%s: iterator expired, re-acquiring", where)
            shard.iterator = None
        elif code in THROTTLED:
            self.stats.throttled += 1
            self._back_off(shard, f"{call} throttled ({code}) on {where}", logging.INFO)
        elif code == "ResourceNotFoundException":
            self._back_off(shard, f"{call}: {where} not found: {exc}")
            self._next_discovery = self.clock()
        else:
            self._back_off(shard, f"{call} failed on {where}: {exc}")

    def _back_off(self, shard: Shard, message: str, level: int = logging.ERROR) -> None:
        shard.backoff = min(max(shard.backoff * 2, 0.5), MAX_BACKOFF)
        shard.failures += 1
        shard.next_poll = self.clock() + shard.backoff
        log.log(level, "%s; retrying in %.1fs", message, shard.backoff)

    # -- commit ---------------------------------------------------------------------

    def commit(self, batch: MetricBatch) -> None:
        """Write the batch, then checkpoint every shard it advanced (never before)."""
        result = batch.write(self.store)
        self.store.flush()
        self.stats.written += result.written
        self.stats.skipped_old += result.skipped_old
        self.stats.failed_files += result.failed_files
        for shard in list(self.shards.values()):
            if not shard.dirty:
                continue
            self.checkpoints.save(shard.shard_id, Checkpoint(shard.position, shard.ended))
            shard.dirty = False
            if shard.ended:
                shard.finished = True
                self._next_discovery = self.clock()

    # -- discovery ------------------------------------------------------------------

    def list_shards(self) -> list[dict[str, Any]]:
        """Every shard of the stream, following ListShards pagination."""
        args: dict[str, Any] = {"StreamName": self.stream}
        if self.list_page_size:
            args["MaxResults"] = self.list_page_size
        shards: list[dict[str, Any]] = []
        while True:
            response = self.client.list_shards(**args)
            shards.extend(dict(s) for s in response.get("Shards", []))
            token = response.get("NextToken")
            if not token:
                return shards
            args = {"NextToken": token}
            if self.list_page_size:
                args["MaxResults"] = self.list_page_size

    def discover(self) -> None:
        """Add new shards (from their checkpoints), forget finished ones no longer listed."""
        try:
            listed = self.list_shards()
        except (ClientError, BotoCoreError) as exc:
            raise StreamUnavailable(
                f"cannot list the shards of stream {self.stream!r}: {exc}"
            ) from exc
        self._next_discovery = self.clock() + self.discover_interval
        new = [info for info in listed if info["ShardId"] not in self.shards]
        saved = self.checkpoints.load_all() if new else {}
        for info in new:
            self._add_shard(info, saved.get(info["ShardId"]))
        listed_ids = {info["ShardId"] for info in listed}
        gone = [s for s in self.shards.values() if s.shard_id not in listed_ids]
        for shard in gone:
            del self.shards[shard.shard_id]
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
        shard = Shard(info["ShardId"], parents)
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
            self._next_discovery = self.clock() + min(self.discover_interval, 10.0)
            log.error("%s; retrying", exc)

    # -- status ---------------------------------------------------------------------

    def log_status(self, final: bool = False) -> None:
        now = self.clock()
        elapsed = max(now - self._status_time, 1e-9)
        rate = (self.stats.records - self._status_records) / elapsed
        self._status_time, self._status_records = now, self.stats.records
        self._status_due = now + self.status_interval
        behind = [
            (s.behind_ms, s.shard_id) for s in self.shards.values() if s.behind_ms is not None
        ]
        lag = "{} ms (shard {})".format(*max(behind)) if behind else "n/a"
        finished = sum(1 for s in self.shards.values() if s.finished)
        bad = self.stats.bad.counts
        log.info(
            "%s: stream %s shards=%d finished=%d records=%d (%.1f/s) written=%d skipped_old=%d "
            "failed_files=%d throttled=%d bad=%d {%s} millis_behind_latest=%s",
            "finished" if final else "status",
            self.stream,
            len(self.shards),
            finished,
            self.stats.records,
            rate,
            self.stats.written,
            self.stats.skipped_old,
            self.stats.failed_files,
            self.stats.throttled,
            sum(bad.values()),
            ", ".join(f"{reason}: {n}" for reason, n in sorted(bad.items())),
            lag,
        )
        self.stats.bad.reset_warnings()
