"""Where the Kinesis collector's RRD writes run: here, or in a child process of their own.

librrd maps every file it updates (``mmap`` ... ``munmap``).  Unmapping makes the
kernel flush that range from the TLB of every CPU running a thread of the same
process, so while any other thread of the writing process runs (the collector's
GetRecords readers receive and decode responses while it writes), each
``rrdtool.update`` waits for those CPUs: on this project's 2-core test machine one
busy sibling thread made updates 2.2× slower (26 → 58 µs), when a busy *process*
changed nothing.  :class:`ProcessWriter` therefore writes from a child process that
runs no other thread; the daemon uses it.  :class:`InlineWriter` writes in the
calling thread (tests, embedding, small tools).

Both run the collectors' one writer, :class:`~graphmetrics.rrd.writer.RRDWriter`
(a round of :meth:`~graphmetrics.rrd.writer.RRDWriter.write_batch` with the metrics
schema, rrdcached flushed and verified), and split a write in two calls:
:meth:`start` hands a batch over, :meth:`wait` returns its :class:`WriteResult`.
Between the two the consumer decodes the next batch, so decoding and writing
overlap.  One write is in flight at a time.  Samples that could not be written for
now stay in the writer (and are listed in the result's ``retry``): the next round,
even of an empty batch, writes them again first.
"""

from __future__ import annotations

import logging
import marshal
import multiprocessing
import signal
import traceback
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from graphmetrics.rrd.held import HeldFileError, load_held_file, save_held_file
from graphmetrics.rrd.limits import CreateLimits
from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore, Sample
from graphmetrics.rrd.writer import RRDWriter, WriteResult

log = logging.getLogger(__name__)

#: How long :meth:`ProcessWriter.close` waits for the child to exit before killing it.
CLOSE_TIMEOUT = 10.0
Samples = Mapping[str, list[Sample]]


class WriterFailed(RuntimeError):
    """The writer process died or failed unexpectedly; nothing of the write in flight
    may be taken as written."""


class Writer(Protocol):
    held_at_start: bool
    """Samples were held when the writer started (saved by an earlier run)."""

    def start(self, samples: Samples) -> None: ...
    def wait(self) -> WriteResult: ...
    def close(self) -> None: ...


class InlineWriter:
    """Writes in the calling thread, during :meth:`start`.

    With ``held_path``, the samples held for files that may not be created yet are
    loaded from it and saved to it after every round that changed them (before the
    round's result is returned, so before the caller checkpoints past them).
    """

    def __init__(self, store: RRDStore, held_path: Path | None = None) -> None:
        self.store = store
        self.rrd = RRDWriter(store)
        self.held_path = held_path
        if held_path is not None:
            load_held_file(self.rrd.held, held_path)
        self.held_at_start = bool(self.rrd.held)
        self._result: WriteResult | None = None

    def start(self, samples: Samples) -> None:
        if self._result is not None:
            raise RuntimeError("a write is already in flight")
        self._result = write_round(self.rrd, samples, self.held_path)

    def wait(self) -> WriteResult:
        result, self._result = self._result, None
        if result is None:
            raise RuntimeError("no write in flight")
        return result

    def close(self) -> None:
        self._result = None
        self.store.close()


def write_round(writer: RRDWriter, samples: Samples, held_path: Path | None) -> WriteResult:
    """One round of the metrics writer; the held samples saved when they changed."""
    result = writer.write_batch(METRICS, samples)
    if held_path is not None:
        save_held_file(writer.held, held_path)
    return result


class ProcessWriter:
    """Writes in a child process (started with ``spawn``: no threads or locks of this
    process are inherited) owning its own :class:`RRDWriter` on ``root``.

    The child ignores SIGINT and SIGTERM: a stop request is the parent's to handle,
    and the child must not die in the middle of a batch.  It exits when the parent
    closes the pipe, or dies (end of file).  An error in the child, or its death,
    is raised by :meth:`wait` as :class:`WriterFailed`.
    """

    def __init__(
        self,
        root: Path,
        rrdcached: str | None = None,
        limits: CreateLimits | None = None,
        held_path: Path | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=serve,
            args=(
                child_conn,
                str(root),
                rrdcached,
                limits or CreateLimits(),
                held_path,
                *logging_setup(),
            ),
            name="graphmetrics-rrd-writer",
            daemon=True,
        )
        # Blocked until the child ignores them: a Ctrl-C reaching the whole process
        # group while the child starts must not kill it (the mask survives exec).
        stop_signals = {signal.SIGINT, signal.SIGTERM}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child_conn.close()
        self._in_flight = False
        self.held_at_start = held_path is not None and held_path.exists()

    def start(self, samples: Samples) -> None:
        if self._in_flight:
            raise RuntimeError("a write is already in flight")
        # marshal, not pickle: samples are plain str/int/float/tuple/list, which it
        # serializes about ten times faster (2.8 against 27 ms for 50 000 samples).
        payload = marshal.dumps(samples if type(samples) is dict else dict(samples))
        try:
            self._conn.send_bytes(payload)
        except (OSError, EOFError) as exc:
            raise WriterFailed(f"the RRD writer process is gone: {exc}") from exc
        self._in_flight = True

    def wait(self) -> WriteResult:
        if not self._in_flight:
            raise RuntimeError("no write in flight")
        self._in_flight = False
        try:
            reply = self._conn.recv()
        except (OSError, EOFError) as exc:
            code = self._process.exitcode
            raise WriterFailed(
                f"the RRD writer process died (exit code {code}) during a write"
            ) from exc
        if isinstance(reply, WriteResult):
            return reply
        raise WriterFailed(f"the RRD writer process failed: {reply}")

    def close(self) -> None:
        """Let the child finish what it is writing and exit."""
        self._conn.close()
        self._process.join(CLOSE_TIMEOUT)
        if self._process.is_alive():
            log.error("the RRD writer process did not exit; killing it")
            self._process.kill()
            self._process.join()

    @property
    def pid(self) -> int | None:
        return self._process.pid


def logging_setup() -> tuple[int, str | None]:
    """This process' root logger level and format, for the child to log alike."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.formatter is not None:
            return root.level, handler.formatter._fmt
    return root.level, None


def serve(
    conn: Connection,
    root: str,
    rrdcached: str | None,
    limits: CreateLimits,
    held_path: Path | None,
    level: int,
    fmt: str | None,
) -> None:
    """The child: write every batch received, answer its result (or the error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if fmt is not None:
        logging.basicConfig(level=level, format=fmt)
    else:
        logging.getLogger().setLevel(level)
    writer = RRDWriter(RRDStore(Path(root), rrdcached=rrdcached, limits=limits))
    if held_path is not None:
        try:
            load_held_file(writer.held, held_path)
        except HeldFileError as exc:
            conn.send(str(exc))  # the first wait() raises it
            return
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the parent closed the pipe, or died
        reply: Any
        try:
            reply = write_round(writer, marshal.loads(payload), held_path)
        except Exception:  # anything unforeseen goes back to the parent, which stops
            reply = traceback.format_exc(limit=5)
        try:
            conn.send(reply)
        except (OSError, EOFError):
            return
