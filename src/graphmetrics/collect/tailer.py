"""Tails the tracelog directory and turns its lines into RRD rows.

One cycle: find the files (glob, plus gzipped ones), drain files that were rotated
away, read new whole lines oldest file first, parse and aggregate them, write the
completed minutes through the collectors' :class:`~graphmetrics.rrd.writer.RRDWriter`
(which keeps the minutes a file cannot take for now), and only then persist file
offsets and the aggregation state together, atomically.  After ``kill -9`` a restart re-reads
from the last checkpoint; the minutes it recomputes are already in the RRDs and the
store skips them, so nothing is lost or counted twice.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphmetrics.collect.files import (
    CHUNK_BYTES,
    FileState,
    LineReader,
    is_gzip,
    new_state,
    read_head,
    refresh_fingerprint,
)
from graphmetrics.collect.slowest_store import SlowestStore
from graphmetrics.collect.state import read_json, write_json_atomic
from graphmetrics.rrd.layout import instance_name, pool_relative, tracelog_relative
from graphmetrics.rrd.schema import POOL, TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import RRDWriter
from graphmetrics.tracelog.aggregate import Aggregator, LatencyRow, Row
from graphmetrics.tracelog.latency import NO_LATENCY
from graphmetrics.tracelog.parser import Parser, valid_source_name

log = logging.getLogger(__name__)

STATE_VERSION = 1
#: forget files gone for this long (a gzipped copy may still appear until then)
FORGET_AFTER = 7 * 86400.0
#: write rows once this many lines were read, even in the middle of a big file
WRITE_EVERY_LINES = 1_000_000
#: through rrdcached, flush and check the writes at least every so many minutes written
FLUSH_EVERY_SAMPLES = 100_000
#: records dated more than this many seconds ahead of the wall clock are skipped
FUTURE_TOLERANCE = 300.0
#: seconds after which a host whose input stopped no longer holds its customers'
#: pool minutes (docs/inputs.md, "Pools")
POOL_WAIT = 300.0
#: skip reason of a line refused as too long (see :meth:`LineReader.read_lines`)
LONG_LINE = "line too long"


def with_latency(
    rows: list[Row], latency: list[LatencyRow] | None
) -> list[tuple[int, tuple[float | int | None, ...]]]:
    """An instance's rows with their minutes' response times after the base values."""
    times = dict(latency) if latency else {}
    return [(ts, (*values, *times.get(ts, NO_LATENCY))) for ts, values in rows]


class StateError(RuntimeError):
    """The saved state cannot be used; the message says which file and why."""


@dataclass
class CollectorStats:
    lines: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    truncations: int = 0

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1


class TracelogCollector:
    """The work of ``graphmetrics-tracelog``, one :meth:`cycle` at a time."""

    def __init__(
        self,
        log_dir: Path,
        store: RRDStore,
        aggregator: Aggregator,
        state_path: Path,
        *,
        glob: str = "*.log",
        default_host: str = "localhost",
        default_customer: str = "default",
        idle_flush: float = 0.0,
        future_tolerance: float = FUTURE_TOLERANCE,
        clock: Callable[[], float] = time.time,
        slowest: SlowestStore | None = None,
        pool_wait: float = POOL_WAIT,
    ) -> None:
        self.log_dir = log_dir
        #: a host not read for this long no longer holds its customers' pools
        self.pool_wait = pool_wait
        #: where the minutes' slowest requests go (None: they are not kept)
        self.slowest = slowest
        self.store = store
        self.aggregator = aggregator
        self.state_path = state_path
        self.glob = glob
        self.default_host = default_host
        self.default_customer = default_customer
        self.idle_flush = idle_flush
        self.future_tolerance = future_tolerance
        self.clock = clock
        #: wall time a line was last read (the input is silent since)
        self.last_input = clock()
        self.stats = CollectorStats()
        self.files: dict[str, FileState] = {}
        self._readers: dict[str, LineReader] = {}
        self._parsers: dict[str, Parser] = {}
        #: writes the minutes; keeps those a file cannot take for now
        self.writer = RRDWriter(store)

    # -- state -------------------------------------------------------------------------

    def load_state(self) -> None:
        try:
            data = read_json(self.state_path)
            if data is None:
                return
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unknown state version {data.get('version')!r}")
            files = [FileState.load(item) for item in data["files"]]
            self.aggregator.load(data["aggregator"])
            self.writer.held.load(data.get("held"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise StateError(
                f"cannot read {self.state_path} ({exc}); move it away to start over "
                "(minutes already in the RRDs are not written twice)"
            ) from exc
        self.files = {state.key: state for state in files}
        self.aggregator.future_limit = self.clock() + self.future_tolerance
        self.aggregator.drop_future()

    def checkpoint(self) -> bool:
        """Write pending rows, then persist offsets and aggregation state together.

        While some rows cannot be written (disk full...), the state is not saved: a
        crash then re-reads from the last state that only covers written minutes.
        Minutes held for instances whose file may not be created yet are saved with
        the state (``held``) and written after a restart.  False when the state was
        not saved.
        """
        self.write_rows()
        self.writer.flush()
        if self.writer.pending:
            minutes = sum(len(rows) for _, rows in self.writer.pending.values())
            log.error(
                "%d minutes of %d instances are not written yet; the state is saved once they are",
                minutes,
                len(self.writer.pending),
            )
            return False
        try:
            write_json_atomic(
                self.state_path,
                {
                    "version": STATE_VERSION,
                    "files": [s.dump() for s in self.files.values()],
                    "aggregator": self.aggregator.dump(),
                    "held": self.writer.held.dump(),
                },
            )
        except OSError as exc:
            log.error("cannot save %s (%s); retrying at the next checkpoint", self.state_path, exc)
            return False
        return True

    def write_rows(self, host_wait: float = float("inf")) -> None:
        """Write every finished minute, after those kept from before; ``host_wait``: a
        host not read for that long no longer holds its customers' pool minutes
        (:meth:`Aggregator.close_pools`)."""
        aggregator = self.aggregator
        aggregator.close_pools(host_wait)
        rows = aggregator.take_rows()
        latency = aggregator.take_latency()
        slowest = aggregator.take_slowest()
        pools = aggregator.take_pool_rows()
        if self.slowest is not None:
            self.slowest.write(slowest)
        self.writer.write_batch(
            TRACELOG,
            {
                tracelog_relative(instance): with_latency(minutes, latency.get(instance))
                for instance, minutes in rows.items()
            },
            flush=False,
        )
        if pools:
            self.writer.write_batch(
                POOL,
                {pool_relative(customer): minutes for customer, minutes in pools.items()},
                flush=False,
            )
        if self.store.unflushed >= FLUSH_EVERY_SAMPLES:
            self.writer.flush()  # bounds what the store keeps to check

    # -- discovery ---------------------------------------------------------------------

    def _matches(self, relative: str) -> bool:
        name = relative[:-3] if relative.endswith(".gz") else relative
        return fnmatch.fnmatchcase(name, self.glob)

    def candidates(self) -> list[tuple[Path, os.stat_result]]:
        """Files matching the glob (or the glob + ``.gz``), oldest first."""
        found: list[tuple[Path, os.stat_result]] = []
        for root, dirs, names in os.walk(self.log_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names:
                path = Path(root, name)
                relative = path.relative_to(self.log_dir).as_posix()
                if name.startswith(".") or not self._matches(relative):
                    continue
                try:
                    found.append((path, path.stat()))
                except FileNotFoundError:
                    continue
            if "/" not in self.glob and "**" not in self.glob:
                break
        found.sort(key=lambda item: (item[1].st_mtime, str(item[0])))
        return found

    def _adopt(self, path: Path, st: os.stat_result) -> FileState | None:
        """The state of ``path``: known by inode, known by content, or new."""
        key = f"{'gz:' if is_gzip(path) else ''}{st.st_dev}:{st.st_ino}"
        known = self.files.get(key)
        if known is not None and known.done and known.gz:
            return known
        try:
            head = read_head(path)
        except (OSError, EOFError) as exc:
            log.warning("cannot read %s: %s", path, exc)
            return None
        if known is not None and known.matches_head(head):
            refresh_fingerprint(known, head)
            known.path = str(path)
            return known
        if known is not None:
            # same inode, other first bytes: truncated and rewritten, or inode reused
            log.warning("%s was truncated or replaced: reading it again from the start", path)
            self.stats.truncations += 1
            self._drop(key)
        if not head:
            return None  # nothing to fingerprint yet
        state = new_state(path, st, head)
        twin = self._content_twin(head, exclude=key)
        if twin is not None:
            state.offset, state.lineno = twin.offset, twin.lineno
            if twin.gz == state.gz:
                self._drop(twin.key)  # the same file moved to another device
            else:
                twin.done = True
            log.info("%s continues %s at byte %d", path, twin.path, state.offset)
        self.files[key] = state
        return state

    def _content_twin(self, head: bytes, exclude: str) -> FileState | None:
        """A known file whose fingerprinted first bytes ``head`` starts with."""
        twins = [s for s in self.files.values() if s.key != exclude and s.matches_head(head)]
        return max(twins, key=lambda s: s.fp_len, default=None)

    def _drop(self, key: str) -> None:
        self.files.pop(key, None)
        self._close_reader(key)
        self._parsers.pop(key, None)

    # -- reading -----------------------------------------------------------------------

    def _parser_for(self, state: FileState) -> Parser:
        parser = self._parsers.get(state.key)
        if parser is None:
            stem = Path(state.path).name.split(".", 1)[0]
            default = None
            if valid_source_name(stem):
                default = instance_name(self.default_host, self.default_customer, stem)
            parser = self._parsers[state.key] = Parser(default)
        return parser

    def _reader_for(self, state: FileState, path: Path) -> LineReader:
        reader = self._readers.get(state.key)
        if reader is None:
            reader = self._readers[state.key] = LineReader(state, path)
        return reader

    def _read_file(
        self, state: FileState, reader: LineReader, final: bool, stop: Callable[[], bool]
    ) -> int:
        parser = self._parser_for(state)
        feed_lines = self.aggregator.feed_lines
        stats = self.stats
        total = 0
        while not stop():
            try:
                lines = reader.read_lines(final=final)
            except OSError as exc:
                log.error("%s", exc)
                state.done = state.gz
                break
            if reader.long_lines:
                self._count_long_lines(state, reader)
            if not lines:
                break
            for lineno, error in feed_lines(parser, lines, state.lineno + 1):
                stats.skip(error.reason)
                log.debug("%s:%d: skipped: %s", state.path, lineno, error)
            state.lineno += len(lines)
            stats.lines += len(lines)
            total += len(lines)
            if total >= WRITE_EVERY_LINES:
                self.write_rows()
                total = 0
        return total

    def _count_long_lines(self, state: FileState, reader: LineReader) -> None:
        count, reader.long_lines = reader.long_lines, 0
        for _ in range(count):
            self.stats.skip(LONG_LINE)
        state.lineno += count
        self.stats.lines += count
        log.warning(
            "%s:%d: %d line(s) of %d bytes or more refused and skipped",
            state.path,
            state.lineno,
            count,
            CHUNK_BYTES,
        )

    def cycle(self, stop: Callable[[], bool] = lambda: False) -> int:
        """Read everything new once; returns the number of lines read."""
        now = self.clock()
        self.aggregator.future_limit = now + self.future_tolerance
        before = self.stats.lines
        seen: set[str] = set()
        current: list[tuple[FileState, Path]] = []
        for path, st in self.candidates():
            state = self._adopt(path, st)
            if state is None:
                continue
            seen.add(state.key)
            state.last_seen = now
            current.append((state, path))
        self._drain_rotated(seen, stop)
        for state, path in current:
            if state.done:
                continue
            reader = self._reader_for(state, path)
            size = reader.size()
            if (
                not state.gz
                and (size if size is not None else os.path.getsize(path)) < state.offset
            ):
                log.warning("%s was truncated: reading it again from the start", path)
                self.stats.truncations += 1
                reader.restart()
            self._read_file(state, reader, final=state.gz, stop=stop)
            if state.gz and not stop():
                state.done = True
                self._close_reader(state.key)
        read = self.stats.lines - before
        if read:
            self.last_input = self.clock()
            self.aggregator.update_hosts(self.last_input)
        # every file read to its end: a host silent for pool_wait is gone
        self.write_rows(float("inf") if stop() else self.pool_wait)
        self._forget_old(now)
        return read

    def close_quiet(self) -> None:
        """Close quiet instances' minutes as the input shows them over (a live daemon,
        after each :meth:`cycle`; see :meth:`Aggregator.close_quiet`)."""
        if self.idle_flush > 0:
            now = self.clock()
            self.aggregator.close_quiet(now, self.idle_flush, now - self.last_input)

    def _drain_rotated(self, seen: set[str], stop: Callable[[], bool]) -> None:
        """Finish files that left the glob (renamed or deleted) through their open handle."""
        for key, state in list(self.files.items()):
            if key in seen or state.done:
                continue
            reader = self._readers.get(key)
            if reader is None:
                path = self._find_inode(state)
                if path is None:
                    continue
                reader = self._reader_for(state, path)
            self._read_file(state, reader, final=True, stop=stop)
            if not stop():
                state.done = True
                self._close_reader(key)
                log.info("finished rotated file %s", state.path)

    def _find_inode(self, state: FileState) -> Path | None:
        """A rotated file under a name outside the glob, found by its inode."""
        if state.gz:
            return None
        try:
            entries = list(os.scandir(Path(state.path).parent))
        except OSError:
            return None
        for entry in entries:
            try:
                if entry.inode() == state.ino and entry.stat().st_dev == state.dev:
                    return Path(entry.path)
            except OSError:
                continue
        return None

    def _close_reader(self, key: str) -> None:
        reader = self._readers.pop(key, None)
        if reader is not None:
            reader.close()

    def _forget_old(self, now: float) -> None:
        for key, state in list(self.files.items()):
            if state.last_seen and now - state.last_seen > FORGET_AFTER:
                self._drop(key)

    def close(self) -> None:
        for key in list(self._readers):
            self._close_reader(key)
