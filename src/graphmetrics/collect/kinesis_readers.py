"""The fetch stage of the Kinesis consumer: ListShards, and one reader thread per shard
feeding one bounded queue.

Each shard the consumer starts gets a thread that calls GetRecords again at once while
the shard has more waiting (a full response, or ``MillisBehindLatest`` > 0), after
``poll_interval`` when it got the last records, after ``idle_interval`` at the tip,
and never a sixth time within one second (Kinesis' 5 calls/s/shard).  Its first call
asks for :data:`FIRST_LIMIT` records and every full response doubles the limit up to
``records_limit``: the first records arrive, and are written, early.  It backs off on
throttling and errors, re-acquires an expired iterator after the last record it
fetched, and puts every response in the shared queue as a :class:`Fetched`, in order.
Meanwhile the consumer decodes earlier responses (waiting for HTTP releases the GIL).

Overload is explicit: when the queue is full a reader waits on ``put`` and fetches
nothing more.  A reader owns only its :class:`Cursor`; shard positions and
checkpoints belong to the consumer, which learns everything through the queue.
:meth:`ShardReaders.stop` lets calls in flight finish and be delivered (SIGTERM
loses nothing fetched); :meth:`ShardReaders.close` abandons them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

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
#: Kinesis serves each shard at most this many GetRecords calls per second.
CALLS_PER_SECOND = 5
#: Records asked for by a reader's first call; each full response doubles it up to
#: ``records_limit``, so the first records are written while bigger batches come.
FIRST_LIMIT = 500
#: Longest nap of an idle reader, so a stop or cancel request is seen promptly.
MAX_NAP = 0.2


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def list_shards(
    client: KinesisClient, stream: str, page_size: int | None = None
) -> list[dict[str, Any]]:
    """Every shard of the stream, following ListShards pagination."""
    args: dict[str, Any] = {"StreamName": stream}
    if page_size:
        args["MaxResults"] = page_size
    shards: list[dict[str, Any]] = []
    while True:
        response = client.list_shards(**args)
        shards.extend(dict(s) for s in response.get("Shards", []))
        token = response.get("NextToken")
        if not token:
            return shards
        args = {"NextToken": token}
        if page_size:
            args["MaxResults"] = page_size


@dataclass(frozen=True)
class Fetched:
    """One GetRecords response of one shard."""

    shard_id: str
    records: Sequence[Mapping[str, Any]]
    ended: bool
    """No next iterator: the shard was closed by a split or merge and is read to its end."""
    behind_ms: int | None
    caught_up: bool
    """At the tip of the shard: nothing more to read at the moment."""


@dataclass
class Cursor:
    """Where a reader is in its shard; touched by the reader thread only (and ``cancelled``)."""

    shard_id: str
    position: str | None
    """Last sequence number fetched (the consumer's checkpoint may be behind it)."""
    end_early: bool = False
    """Caught up as soon as a response is at the tip (MillisBehindLatest 0 and fewer
    records than asked for), without one more, empty, call: for --once on open shards."""
    iterator: str | None = None
    limit: int = FIRST_LIMIT
    """Records asked for by the next call (doubled after every full response)."""
    calls: deque[float] = field(default_factory=lambda: deque(maxlen=CALLS_PER_SECOND))
    """When the last ``CALLS_PER_SECOND`` calls started."""
    next_poll: float = 0.0
    backoff: float = 0.0
    failures: int = 0
    cancelled: bool = False


@dataclass
class FetchCounters:
    get_records: int = 0
    throttled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, get_records: int = 0, throttled: int = 0) -> None:
        with self.lock:
            self.get_records += get_records
            self.throttled += throttled


class ShardReaders:
    """Reader threads of one consumer run; see the module docstring."""

    def __init__(
        self,
        client: KinesisClient,
        stream: str,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        poll_interval: float,
        idle_interval: float,
        records_limit: int,
        queue_size: int,
        once: bool,
        counters: FetchCounters,
        max_failures: int | None = None,
        max_in_flight: int = 4,
        on_missing: Callable[[], None] = lambda: None,
    ) -> None:
        self.client = client
        self.stream = stream
        self.clock, self.sleep = clock, sleep
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.records_limit = records_limit
        self.once = once
        self.counters = counters
        self.max_failures = max_failures
        self.on_missing = on_missing
        self.queue: queue.Queue[Fetched] = queue.Queue(max(queue_size, 1))
        self.cursors: dict[str, Cursor] = {}
        self.error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._abandoned = threading.Event()
        self._in_flight = threading.BoundedSemaphore(max(max_in_flight, 1))

    # -- what the consumer calls -----------------------------------------------------

    def start(self, shard_id: str, position: str | None, end_early: bool = False) -> None:
        """Start reading ``shard_id`` after ``position`` (None: TRIM_HORIZON); once only."""
        if shard_id in self.cursors:
            return
        cursor = Cursor(shard_id, position, end_early, limit=min(FIRST_LIMIT, self.records_limit))
        self.cursors[shard_id] = cursor
        thread = threading.Thread(
            target=self._run, args=(cursor,), name=f"kinesis-{shard_id}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def started(self, shard_id: str) -> bool:
        return shard_id in self.cursors

    def cancel(self, shard_id: str) -> None:
        """Stop reading a shard that is no longer listed."""
        cursor = self.cursors.get(shard_id)
        if cursor is not None:
            cursor.cancelled = True

    def failing(self, failures: int) -> list[Cursor]:
        return [c for c in list(self.cursors.values()) if c.failures >= failures]

    def busy(self) -> bool:
        """Some reader is still running (it may deliver more)."""
        return any(thread.is_alive() for thread in self._threads)

    def stop(self) -> None:
        """No new calls; calls in flight finish and are delivered."""
        self._stopping.set()

    def close(self, timeout: float = 1.0) -> None:
        """Stop every reader without delivering anything more."""
        self._abandoned.set()
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout / max(len(self._threads), 1))

    # -- one reader thread -----------------------------------------------------------

    def _run(self, cursor: Cursor) -> None:
        try:
            self._read(cursor)
        except BaseException as exc:  # handed to the consumer, which raises it
            self.error = exc
            self._abandoned.set()

    def _read(self, cursor: Cursor) -> None:
        while not (self._stopping.is_set() or cursor.cancelled):
            delay = self.next_call(cursor) - self.clock()
            if delay > 0:
                self.sleep(min(delay, MAX_NAP))
                continue
            fetched = self.fetch(cursor)
            if fetched is None:
                if self.max_failures and cursor.failures >= self.max_failures:
                    return  # the consumer sees it in failing() and gives up
                continue
            if not self._deliver(fetched):
                return
            if fetched.ended or (self.once and fetched.caught_up):
                return

    def _deliver(self, fetched: Fetched) -> bool:
        while not self._abandoned.is_set():
            try:
                self.queue.put(fetched, timeout=0.1)  # full: this reader pauses
                return True
            except queue.Full:
                continue
        return False

    @staticmethod
    def next_call(cursor: Cursor) -> float:
        """When the cursor may call GetRecords: at ``next_poll``, and never a sixth time
        within one second (Kinesis' limit per shard)."""
        if len(cursor.calls) == CALLS_PER_SECOND:
            return max(cursor.next_poll, cursor.calls[0] + 1.0)
        return cursor.next_poll

    def fetch(self, cursor: Cursor) -> Fetched | None:
        """One GetRecords call on the cursor's shard; None after an error (backed off)."""
        if cursor.iterator is None and not self._acquire_iterator(cursor):
            return None
        assert cursor.iterator is not None
        try:
            with self._in_flight:
                cursor.calls.append(self.clock())
                response = self.client.get_records(
                    ShardIterator=cursor.iterator, Limit=cursor.limit
                )
        except ClientError as exc:
            cursor.next_poll = self.clock() + self.poll_interval
            self._on_error(cursor, exc, "GetRecords")
            return None
        except BotoCoreError as exc:
            self._back_off(cursor, f"GetRecords on shard {cursor.shard_id} failed: {exc}")
            return None
        now = self.clock()
        self.counters.add(get_records=1)
        cursor.backoff, cursor.failures = 0.0, 0
        records = response.get("Records", [])
        if records:
            cursor.position = records[-1]["SequenceNumber"]
        cursor.iterator = response.get("NextShardIterator")
        behind = response.get("MillisBehindLatest")
        full = len(records) >= cursor.limit
        at_tip = (behind or 0) == 0 and (not records or (cursor.end_early and not full))
        fetched = Fetched(cursor.shard_id, records, cursor.iterator is None, behind, at_tip)
        if full:
            cursor.limit = min(cursor.limit * 2, self.records_limit)
        if fetched.caught_up:
            cursor.next_poll = now + self.idle_interval
        elif full or (behind or 0) > 0:
            cursor.next_poll = now  # more is waiting: as soon as the rate limit allows
        else:
            cursor.next_poll = now + self.poll_interval
        return fetched

    def _acquire_iterator(self, cursor: Cursor) -> bool:
        args: dict[str, Any] = {"StreamName": self.stream, "ShardId": cursor.shard_id}
        if cursor.position is None:
            args["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            args["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            args["StartingSequenceNumber"] = cursor.position
        try:
            cursor.iterator = self.client.get_shard_iterator(**args)["ShardIterator"]
        except ClientError as exc:
            self._on_error(cursor, exc, "GetShardIterator")
            return False
        except BotoCoreError as exc:
            self._back_off(cursor, f"GetShardIterator on shard {cursor.shard_id} failed: {exc}")
            return False
        return True

    def _on_error(self, cursor: Cursor, exc: ClientError, call: str) -> None:
        code = error_code(exc)
        where = f"shard {cursor.shard_id} after sequence number {cursor.position or '(start)'}"
        if code == "ExpiredIteratorException":
            log.info("%s: iterator expired, re-acquiring", where)
            cursor.iterator = None
        elif code in THROTTLED:
            self.counters.add(throttled=1)
            self._back_off(cursor, f"{call} throttled ({code}) on {where}", logging.INFO)
        elif code == "ResourceNotFoundException":
            self._back_off(cursor, f"{call}: {where} not found: {exc}")
            self.on_missing()
        else:
            self._back_off(cursor, f"{call} failed on {where}: {exc}")

    def _back_off(self, cursor: Cursor, message: str, level: int = logging.ERROR) -> None:
        cursor.backoff = min(max(cursor.backoff * 2, 0.5), MAX_BACKOFF)
        cursor.failures += 1
        cursor.next_poll = self.clock() + cursor.backoff
        log.log(level, "%s; retrying in %.1fs", message, cursor.backoff)
