"""How updates reach the RRD files: straight through librrd, or through rrdcached.

:class:`~graphmetrics.rrd.store.RRDStore` decides *what* to write (new files, sorted
samples, nothing at or before a file's last update); a :class:`Backend` decides *how*
it gets there, and does every file operation the store needs (last update, create,
info), so the store itself never looks at a disk.  Three backends share one
interface (which one: :func:`graphmetrics.rrd.node.open_backend`, from the address):

- :class:`LocalFiles`: librrd updates the file in this process; a write that
  returned is on disk, :meth:`LocalFiles.flush` has nothing to check.
- :class:`Rrdcached`: updates go to rrdcached (UNIX socket or TCP, librrd's address
  forms), which caches them; a round's updates for all files go as one ``BATCH``
  (the lines it refuses are mapped back to their files) and the FLUSHes are
  pipelined; in a round that ends with a flush (:meth:`Rrdcached.prepare_flush`) the
  updates go in smaller BATCHes that a thread sends in order, each followed by the
  FLUSHes of its files on one of two other connections, while the rest of the round
  is formatted: rrdcached takes the updates and writes the files on the other core
  meanwhile, and each BATCH's files are checked as soon as they are FLUSHed.
  rrdcached answers FLUSH with success even when its write failed (the file locked
  or replaced behind it: the failure is only in its log) and answers LAST from its
  cache, so :meth:`Rrdcached.flush` reads each touched file's ``last_update`` from
  the file itself: a file without its last sample lost the write.  rrdcached then
  FORGETs the file (it would otherwise keep the lost sample's time as the file's and
  refuse the same samples again) and the samples go back to the caller to be
  written again; no checkpoint passes them.  The files are on this host (a UNIX
  socket): absolute paths, checked and created here.
- :class:`~graphmetrics.rrd.node.NodeFiles`: rrdcached over TCP, on a storage node;
  the same verified writes, with every file operation sent to the daemon.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from queue import SimpleQueue
from typing import Any, Protocol

import rrdtool

from graphmetrics.rrd import cached, create, header
from graphmetrics.rrd.schema import Schema

log = logging.getLogger(__name__)

Value = float | int | None
Sample = tuple[int, Sequence[Value]]

#: librrd's client sends an update to rrdcached as one command line of at most this
#: many bytes (``RRD_CMD_MAX``), and silently drops a longer one: rrdcached never sees
#: it, and FLUSH then finds "nothing to flush".  Updates are sent in pieces below it.
COMMAND_BYTES = 4096
#: Update lines sent in one rrdcached ``BATCH`` at most (its answer comes at the end).
BATCH_LINES = 5000
#: ... in a round that ends with a flush: each BATCH's files are FLUSHed while the
#: next is formatted (:meth:`Rrdcached.prepare_flush`).
EARLY_FLUSH_LINES = 250
#: Connections FLUSHing the files of early BATCHes at once (rrdcached writes the
#: files of one connection in turn).
FLUSH_THREADS = 2
#: Files whose command-line name is remembered (:meth:`Rrdcached._name`) at most.
MAX_NAMES = 100_000
#: rrdtool's error when another process holds the file's lock.
LOCKED = "could not lock"
#: ``mkdir``/``rename`` errors meaning the name itself can never become a file.
NAME_ERRNOS = frozenset(
    {errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG, errno.EINVAL}
)

Info = Mapping[str, Any]
#: A BATCH's refused lines (index: rrdcached's message), or why it failed as a whole.
Refused = dict[int, str] | str
#: An ``UPDATE`` line's file, and which of the file's samples written since the last
#: flush it carries (the index of its first, how many).
Span = tuple[str, int, int]
#: What the batch thread did: the BATCH's refusals, and the FLUSHes it handed to a
#: flush thread (None: the BATCH failed), which answer why they failed, or "".
Sent = tuple[Refused, "Future[str] | None"]


class RRDWriteError(RuntimeError):
    """rrdtool refused to create or update a file; the message names the file.

    ``transient`` says the cause lies around the file, not in it: a new file could not
    be created (disk full, quota, permissions, I/O: rrdtool often gives no reason at
    all), an intact RRD file could not be updated, or rrdcached could not be reached.
    Collectors keep such samples and retry instead of moving on.  Otherwise the file
    itself is unusable (not an RRD, another layout, a name that cannot become a
    file): its samples are skipped.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Unverified:
    """Samples rrdcached accepted and then did not write (found by a flush)."""

    relative: str
    samples: Sequence[Sample]
    """A list, once handed back by :func:`missing_after_flush`."""
    reason: str


class Backend(Protocol):
    """Where ``rrdtool.update`` calls go, and what a flush must check afterwards."""

    name: str
    verifies: bool
    """Wants :meth:`written` calls: writes are only known durable after :meth:`flush`."""
    remote: bool
    """The files are on another host: keys are paths relative to the daemon's base
    directory, and nothing is looked up on this host's disk."""
    unflushed: int
    """Samples written since the last :meth:`flush` and not yet known to be on disk."""

    def last_update(self, key: str) -> int | None:
        """The last update the file ``key`` holds (everything written to it pushed to
        it first), or None: no such file.  Raises :class:`RRDWriteError`."""

    def create(self, key: str, start: int, schema: Schema) -> bool:
        """Create ``key`` with ``schema``, its last update ``start``; False when another
        writer created it first.  Raises :class:`RRDWriteError`."""

    def info(self, key: str) -> Info:
        """``rrdtool info`` of the file itself; raises ``rrdtool.OperationalError``."""

    def update(self, key: str, template: str, updates: list[str]) -> None:
        """One ``rrdtool update``; raises ``rrdtool.OperationalError``."""

    def written(self, key: str, relative: str, samples: Sequence[Sample]) -> None:
        """``samples`` were accepted for ``key``: remember them until the flush checks."""

    def prepare_flush(self, flush: bool) -> None:
        """Whether the updates that follow end with a :meth:`flush` (said at the start
        of each round): a backend may then start pushing them to the files early."""

    def flush(self) -> dict[str, Unverified]:
        """Push what is cached to the files; per file key, the samples that did not
        reach it (the backend has forgotten them: write them again)."""


class OnThisHost:
    """File operations on this host's disk: the files are here (absolute keys)."""

    name = "librrd"
    remote = False

    def sync(self, key: str) -> None:
        """Make the file ``key`` hold everything written to it (before reading it)."""

    def prepare_flush(self, flush: bool) -> None:
        """Nothing to push early (see :meth:`Rrdcached.prepare_flush`)."""

    def last_update(self, key: str) -> int | None:
        if not os.path.exists(key):
            return None
        try:
            self.sync(key)
        except rrdtool.OperationalError as exc:  # rrdcached down, or the file locked
            raise RRDWriteError(f"{key}: {self.name}: {exc}", transient=True) from exc
        try:
            return int(rrdtool.last(key))
        except rrdtool.OperationalError as exc:
            raise RRDWriteError(
                f"{key}: cannot read last update: {exc}", transient=LOCKED in str(exc)
            ) from exc

    def create(self, key: str, start: int, schema: Schema) -> bool:
        """Atomically: the file ``rrdtool create`` makes (:mod:`graphmetrics.rrd.create`)
        into ``.<name>.<pid>.tmp`` beside it, then rename (a file another writer made
        meanwhile is replaced: both are new)."""
        path = Path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RRDWriteError(
                f"{path}: cannot create its directory: {exc}",
                transient=exc.errno not in NAME_ERRNOS,
            ) from exc
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            create.create(str(tmp), start, schema)
            os.replace(tmp, path)
        except (rrdtool.OperationalError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            reason = str(exc) or "rrdtool gave no reason (disk full?)"
            permanent = isinstance(exc, OSError) and exc.errno in NAME_ERRNOS
            raise RRDWriteError(
                f"{path}: cannot create: {reason}", transient=not permanent
            ) from exc
        return True

    def info(self, key: str) -> Info:
        return rrdtool.info(key)


class LocalFiles(OnThisHost):
    """librrd in this process: every update that returned is in its file."""

    verifies = False
    unflushed = 0

    def update(self, key: str, template: str, updates: list[str]) -> None:
        rrdtool.update(key, "--template", template, *updates)

    def written(self, key: str, relative: str, samples: Sequence[Sample]) -> None:
        pass

    def flush(self) -> dict[str, Unverified]:
        return {}


class Rrdcached(OnThisHost):
    """Updates through rrdcached at ``address``, verified from the files at each flush;
    the files are on this host (the daemon's UNIX socket).

    A round's updates, for every file, go as one ``BATCH`` on a connection kept open
    (at the flush, or every :data:`BATCH_LINES` lines), the FLUSHes are pipelined on
    it, and each file's last update is then read from the file itself: one round trip
    per round, not three per file.  rrdcached refuses lines of a BATCH one by one
    (a file gone, a time it already has); a file refused, or unreachable, is known at
    the flush: its samples come back like a lost write's, with rrdcached's reason."""

    name = "rrdcached"
    verifies = True

    def __init__(self, address: str) -> None:
        self.address = address
        self.unflushed = 0
        self._touched: dict[str, tuple[str, list[Sequence[Sample]]]] = {}
        """Per file, its relative name and the samples written since the last flush
        (as many sequences as writes)."""
        self._queue: list[tuple[Span, str]] = []
        """(its span, ``UPDATE`` line) not sent to the daemon yet."""
        self._refusals: dict[str, str] = {}
        """Per file, why rrdcached refused (or never got) one of its update lines."""
        self._lost_lines: dict[str, list[tuple[int, int]]] = {}
        """Per file, the samples of those lines (first, how many): not in the file even
        when a later line of it arrived."""
        self._connection = cached.Connection(address)
        self._early = False
        """This round ends with a flush: each BATCH's files are FLUSHed at once."""
        self._early_flushed: dict[str, int] = {}
        """Files FLUSHed early, with no update queued for them since: the number of
        the BATCH whose FLUSHes cover them."""
        self._flushes: list[tuple[int, list[Span], list[str], Future[Sent]]] = []
        """The BATCHes handed to the batch thread: their number, the span of each line,
        the files FLUSHed after it, and the thread's answer."""
        self._batches = 0
        self._batcher: ThreadPoolExecutor | None = None
        self._flusher: ThreadPoolExecutor | None = None
        self._flush_connections: SimpleQueue[cached.Connection] = SimpleQueue()
        for _ in range(FLUSH_THREADS):
            self._flush_connections.put(cached.Connection(address))
        self._names: dict[str, tuple[str, int]] = {}

    def sync(self, key: str) -> None:
        self.send()
        for _ in self._sent():  # its BATCH taken; its files are checked with the others
            pass
        rrdtool.flushcached("--daemon", self.address, key)
        self._forget(key)

    def update(self, key: str, template: str, updates: list[str]) -> None:
        """Queue one update per command line that fits librrd's and rrdcached's line
        (:data:`COMMAND_BYTES`), values in the schema's order (as created: rrdcached
        takes no template); they are sent in the next ``BATCH``."""
        name, room = self._name(key)
        touched = self._touched.get(key)
        first = 0 if touched is None else sum(len(part) for part in touched[1])
        for values in command_pieces(key, updates, room):
            count = values.count(" ") + 1
            self._queue.append(((key, first, count), f"UPDATE {name} {values}"))
            first += count
        self._early_flushed.pop(key, None)
        if len(self._queue) >= (EARLY_FLUSH_LINES if self._early else BATCH_LINES):
            self.send()

    def _name(self, key: str) -> tuple[str, int]:
        """The file's name on a command line, and the room left for its values."""
        known = self._names.get(key)
        if known is None:
            if len(self._names) >= MAX_NAMES:
                self._names.clear()
            known = self._names[key] = (cached.escape(os.path.abspath(key)), command_room(key))
        return known

    def prepare_flush(self, flush: bool) -> None:
        """With ``flush``, from now until :meth:`flush` each BATCH is sent, and its
        files FLUSHed right after it (on a connection of their own), by a thread while
        the caller formats the next: the round's file writes, and rrdcached's reading
        of the BATCH, overlap its Python work instead of following it."""
        self._early = flush

    def send(self) -> None:
        """Send the queued updates as one ``BATCH``; remember the files refused.  In a
        round that ends with a flush the flush thread sends it, then FLUSHes its
        files, while the caller formats the next."""
        queue, self._queue = self._queue, []
        if not queue:
            return
        spans = [span for span, _ in queue]
        lines = [line for _, line in queue]
        if not self._early:
            for _ in self._sent():  # an early BATCH before this one (a round cut short)
                pass
            self._note_refused(spans, self._batch(lines))
            return
        files = list(dict.fromkeys(key for key, _, _ in spans))
        number = self._batches
        self._batches += 1
        self._early_flushed.update(dict.fromkeys(files, number))
        if self._batcher is None:
            self._batcher = ThreadPoolExecutor(1, thread_name_prefix="rrdcached-batch")
            self._flusher = ThreadPoolExecutor(FLUSH_THREADS, thread_name_prefix="rrdcached-flush")
        flushes = [f"FLUSH {self._name(key)[0]}" for key in files]
        future = self._batcher.submit(self._batch_and_flush, lines, flushes)
        self._flushes.append((number, spans, files, future))

    def _batch(self, lines: list[str]) -> Refused:
        """rrdcached's refusals by line index, or why the whole BATCH failed."""
        try:
            return self._connection.batch(lines)
        except cached.DaemonError as exc:
            return str(exc)

    def _batch_and_flush(self, lines: list[str], flushes: list[str]) -> Sent:
        """(In the batch thread: the BATCHes go in order.)  The BATCH, then, when it
        was taken, the FLUSHes of its files handed to a flush thread (rrdcached writes
        a connection's files one by one: two connections keep both cores busy)."""
        refused = self._batch(lines)
        if isinstance(refused, str) or self._flusher is None:
            return refused, None
        return refused, self._flusher.submit(self._flush_lines, flushes)

    def _flush_lines(self, flushes: list[str]) -> str:
        """(In a flush thread.)  ``flushes`` answered; why they failed, or ""."""
        connection = self._flush_connections.get()
        try:
            connection.ask_many(flushes)  # "No such file": the check says it next
        except cached.DaemonError as exc:
            return str(exc)
        finally:
            self._flush_connections.put(connection)
        return ""

    def _note_refused(self, spans: list[Span], refused: Refused) -> None:
        """Remember why lines of a BATCH (``spans``, one per line) were refused, and
        their samples."""
        if isinstance(refused, str):
            lost = [(span, refused) for span in spans]
        else:
            lost = [
                (spans[index], f"rrdcached refused: {message}")
                for index, message in sorted(refused.items())
                if 0 <= index < len(spans)
            ]
        for (key, first, count), reason in lost:
            self._refusals.setdefault(key, reason)
            self._lost_lines.setdefault(key, []).append((first, count))

    def _sent(self) -> Iterator[tuple[int, list[str]]]:
        """Wait for the BATCHes and FLUSHes of the threads in turn, yielding each one's
        number and files; those of one that failed are FLUSHed again with the others."""
        flushes, self._flushes = self._flushes, []
        for number, spans, files, future in flushes:
            refused, flushed = future.result()
            self._note_refused(spans, refused)
            flush_error = "" if flushed is None else flushed.result()
            if flush_error:
                log.warning("rrdcached early flush failed: %s", flush_error)
            if flushed is None or flush_error:
                for key in files:
                    self._early_flushed.pop(key, None)
                continue
            yield number, files

    def written(self, key: str, relative: str, samples: Sequence[Sample]) -> None:
        self.unflushed += len(samples)
        touched = self._touched.get(key)
        if touched is None:
            self._touched[key] = (relative, [samples])
        else:
            touched[1].append(samples)

    def _forget(self, key: str) -> None:
        """Drop rrdcached's idea of the file (after a flush: nothing is pending), so it
        takes the file's own last update, not a sample it lost, as the file's."""
        try:
            cached.forget(self.address, key)
        except (OSError, ValueError) as exc:
            log.warning("rrdcached %s: cannot FORGET %s: %s", self.address, key, exc)

    def flush(self) -> dict[str, Unverified]:
        self.send()
        touched, self._touched = self._touched, {}
        self.unflushed = 0
        lost: dict[str, Unverified] = {}
        checked: set[str] = set()
        # the files of each early BATCH are checked as soon as they are FLUSHed, while
        # rrdcached writes the next ones
        early = self._early_flushed
        for number, files in self._sent():
            # a file in a later BATCH too is checked after that one's FLUSH
            done = [key for key in files if early.get(key) == number and key in touched]
            self._check(done, touched, lost)
            checked.update(done)
        self._early_flushed, self._early = {}, False
        rest = [key for key in touched if key not in checked]
        if rest:
            self._flush_files(rest)
            self._check(rest, touched, lost)
        self._refusals, self._lost_lines = {}, {}
        return lost

    def _check(
        self,
        keys: list[str],
        touched: dict[str, tuple[str, list[Sequence[Sample]]]],
        lost: dict[str, Unverified],
    ) -> None:
        """Add to ``lost`` what of its ``touched`` samples each FLUSHed file lacks."""
        for key in keys:
            relative, parts = touched[key]
            samples = parts[0] if len(parts) == 1 else [s for part in parts for s in part]
            missing = missing_after_flush(
                key,
                Unverified(relative, samples, ""),
                self._file_last,
                self._lost_lines.get(key, []),
            )
            if missing is not None:
                reason = self._refusals.get(key)
                if reason is not None:
                    missing = replace(missing, reason=f"{key}: {reason}")
                lost[key] = missing
                self._forget(key)

    def _file_last(self, key: str) -> Info:
        """The file's own last update, read from its header (:mod:`~graphmetrics.rrd.header`);
        a header it does not know, or a file it cannot open, by librrd (``rrdtool.last``
        would ask the daemon's cache instead when ``RRDCACHED_ADDRESS`` is set)."""
        try:
            last = header.last_update(key)
        except OSError:
            last = None  # librrd says why
        if last is not None:
            return {"last_update": last}
        if os.environ.get("RRDCACHED_ADDRESS"):
            return self.info(key)
        return {"last_update": rrdtool.last(key)}

    def _flush_files(self, keys: list[str]) -> None:
        """FLUSH ``keys``, pipelined; what did not arrive is found from the files."""
        lines = [f"FLUSH {self._name(key)[0]}" for key in keys]
        try:
            self._connection.ask_many(lines)  # "No such file": the check says it next
        except cached.DaemonError as exc:
            log.error("rrdcached flush failed: %s", exc)


def command_room(key: str) -> int:
    """Bytes left for the values on an ``update FILE VALUE...`` line of librrd's
    (:data:`COMMAND_BYTES`), the file name counted as librrd may send it (made
    absolute, every character escaped at worst), so the pieces fit whatever the socket."""
    return COMMAND_BYTES - len("update \n") - 2 * len(os.path.abspath(key)) - 16


def command_pieces(key: str, updates: list[str], room: int | None = None) -> Iterator[str]:
    """``updates`` joined by spaces, in runs that fit ``room`` (:func:`command_room`)."""
    if room is None:
        room = command_room(key)
    # the usual case, numbers only (one byte a character) and all of them fitting: one piece
    joined = " ".join(updates)
    if len(joined) < room and joined.isascii():
        yield joined
        return
    piece: list[str] = []
    used = 0
    for update in updates:
        size = len(update.encode()) + 1
        if piece and used + size > room:
            yield " ".join(piece)
            piece, used = [], 0
        piece.append(update)
        used += size
    if piece:
        yield " ".join(piece)


def missing_after_flush(
    key: str,
    written: Unverified,
    info: Callable[[str], Info] = rrdtool.info,
    refused: Sequence[tuple[int, int]] = (),
) -> Unverified | None:
    """What of ``written`` the file lacks after the flush, or None: all there.

    Samples older than the file's last update did arrive (rrdcached may have written
    part of them on its own timer), except those of lines rrdcached refused or never
    got (``refused``: the index in ``written.samples`` of each such line's first
    sample, and how many it carried), whatever later line of the file arrived; with a
    file beyond them (replaced by a newer one) or unreadable, all are handed back, and
    the store sorts it out when they are written again (those the file is past by
    then are counted skipped, never written)."""
    samples = written.samples
    expected = samples[-1][0]
    try:
        last = int(info(key)["last_update"])
    except (rrdtool.OperationalError, KeyError, TypeError, ValueError) as exc:
        reason = f"{key}: cannot read its last update after the rrdcached flush: {exc}"
        return Unverified(written.relative, list(samples), reason)
    lost = {i for first, count in refused for i in range(first, first + count)}
    if last == expected and not lost:
        return None
    if last == expected:
        reason = f"{key}: {len(lost)} of its samples did not reach rrdcached"
    else:
        reason = f"{key}: its last update is {last}, not {expected}, after rrdcached's flush"
    if last <= expected:
        return Unverified(
            written.relative, [s for i, s in enumerate(samples) if s[0] > last or i in lost], reason
        )
    return Unverified(written.relative, list(samples), reason)
