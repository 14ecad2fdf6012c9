"""The only code that creates or updates RRD files.

Callers hand over samples per file; the store creates missing files (atomically, with
the schema), sorts samples, keeps the last of equal timestamps, drops timestamps at
or before the file's last update (rrdtool would refuse the whole call) and writes the
rest in one ``rrdtool.update`` call per file.  New files are created only as far
as the :class:`~graphmetrics.rrd.limits.CreationGate` allows.

Optionally the updates go through rrdcached, and :meth:`RRDStore.flush` pushes them
to disk.  rrdcached answers FLUSH with success even when its write failed (the file
locked or replaced behind it: the failure is only in its log) and answers LAST from
its cache, so after the flush the store reads each file's ``last_update`` with INFO,
from the file itself: a file that does not have its last sample lost the write, and
:meth:`RRDStore.flush` hands those samples back to be written again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rrdtool

from graphmetrics.rrd import cached
from graphmetrics.rrd.layout import UnsafePath, resolve_inside
from graphmetrics.rrd.limits import CreateLimits, CreationGate
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.updates import format_updates

log = logging.getLogger(__name__)

Value = float | int | None
Sample = tuple[int, Sequence[Value]]


#: A relative RRD path that is empty, absolute, or leaves the RRD directory.
RRDPathError = UnsafePath


class RRDWriteError(RuntimeError):
    """rrdtool refused to create or update a file; the message names the file.

    ``transient`` says the cause lies around the file, not in it: a new file could not
    be created (disk full, quota, permissions, I/O: rrdtool often gives no reason at
    all) or an intact RRD file could not be updated.  Collectors keep such samples
    and retry instead of moving on.  Otherwise the file itself is unusable (not an
    RRD, another layout, a name that cannot become a file): its samples are skipped.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RRDCreateRefused(RRDWriteError):
    """A new file the creation limits refused (too many new files this minute, or
    too little free space): not created, its samples not written.  Counted in
    ``StoreStats.refused`` and logged by the store, a few times a minute at most."""


@dataclass(frozen=True)
class Unverified:
    """Samples rrdcached accepted and then did not write (found by :meth:`RRDStore.flush`)."""

    relative: str
    samples: list[Sample]
    reason: str


@dataclass
class StoreStats:
    created: int = 0
    written: int = 0
    skipped_old: int = 0
    failed: int = 0
    updates: int = 0
    refused: int = 0
    """New files not created (creation limits); their samples are in ``refused_samples``."""
    refused_samples: int = 0
    unverified: int = 0
    """Files whose write through rrdcached did not reach the file (taken back from
    ``written``, to be written again)."""

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


#: rrdtool's error when another process holds the file's lock.
LOCKED = "could not lock"
#: Refused creations are logged at most once per this many seconds.
REFUSAL_LOG_SECONDS = 10.0
#: ``mkdir``/``rename`` errors meaning the name itself can never become a file.
NAME_ERRNOS = frozenset(
    {errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG, errno.EINVAL}
)


@dataclass
class RRDStore:
    """Writes RRD files below ``root``; ``rrdcached`` is an rrdcached address or None.

    A collector calls :meth:`write` for thousands of files per batch, so per-file
    bookkeeping is kept to dictionary look-ups keyed by the path string.
    """

    root: Path
    rrdcached: str | None = None
    limits: CreateLimits = field(default_factory=CreateLimits)
    stats: StoreStats = field(default_factory=StoreStats)
    _last: dict[str, int] = field(default_factory=dict, repr=False)
    _touched: dict[str, Unverified] = field(default_factory=dict, repr=False)
    """Through rrdcached: per file, what was written since the last flush."""
    unflushed: int = field(default=0, init=False)
    """Samples written through rrdcached since the last :meth:`flush` (kept until it)."""
    _paths: dict[str, Path] = field(default_factory=dict, repr=False)
    _gate: CreationGate = field(init=False, repr=False)
    _refusals_unlogged: int = field(default=0, repr=False)
    _refusal_log_due: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._gate = CreationGate(self.limits)

    def path_for(self, relative: str) -> Path:
        """The file for ``relative`` (without ``.rrd``), refusing path tricks."""
        path = self._paths.get(relative)
        if path is None:
            path = resolve_inside(self.root, relative + ".rrd")
            if len(self._paths) >= 100_000:
                self._paths.clear()
            self._paths[relative] = path
        return path

    def _daemon_args(self) -> list[str]:
        return ["--daemon", self.rrdcached] if self.rrdcached else []

    def last_update(self, path: Path | str) -> int | None:
        """The file's last update time, or None when the file does not exist yet."""
        key = str(path)
        cached = self._last.get(key)
        if cached is not None:
            return cached
        if not os.path.exists(key):
            return None
        if self.rrdcached:
            try:
                rrdtool.flushcached(*self._daemon_args(), key)
            except rrdtool.OperationalError as exc:  # rrdcached down, or the file locked
                raise RRDWriteError(f"{key}: rrdcached: {exc}", transient=True) from exc
            self._forget(key)
        try:
            last = int(rrdtool.last(key))
        except rrdtool.OperationalError as exc:
            raise RRDWriteError(
                f"{key}: cannot read last update: {exc}", transient=LOCKED in str(exc)
            ) from exc
        self._last[key] = last
        return last

    def _forget(self, key: str) -> None:
        """Drop rrdcached's idea of the file (after a flush: nothing is pending), so it
        takes the file's own last update, not a sample it lost, as the file's."""
        assert self.rrdcached is not None
        try:
            cached.forget(self.rrdcached, key)
        except (OSError, ValueError) as exc:
            log.warning("rrdcached %s: cannot FORGET %s: %s", self.rrdcached, key, exc)

    def _refuse(self, path: Path, reason: str, samples: int) -> RRDCreateRefused:
        stats = self.stats
        stats.refused += 1
        stats.refused_samples += samples
        self._refusals_unlogged += 1
        now = time.monotonic()
        if now >= self._refusal_log_due:
            log.warning(
                "not creating %s: %s; its %d samples are dropped (%d new files refused "
                "since the last such message, %d in all)",
                path,
                reason,
                samples,
                self._refusals_unlogged,
                stats.refused,
            )
            self._refusals_unlogged = 0
            self._refusal_log_due = now + REFUSAL_LOG_SECONDS
        return RRDCreateRefused(f"{path}: not created: {reason}")

    def _create(self, path: Path, schema: Schema, first: int, samples: int) -> None:
        refusal = self._gate.refusal(path, schema)
        if refusal is not None:
            raise self._refuse(path, refusal, samples)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RRDWriteError(
                f"{path}: cannot create its directory: {exc}",
                transient=exc.errno not in NAME_ERRNOS,
            ) from exc
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        # One step before the first sample, so that sample fills a whole step.
        start = str(first - schema.step)
        try:
            rrdtool.create(str(tmp), "--start", start, *schema.create_args())
            os.replace(tmp, path)
        except (rrdtool.OperationalError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            reason = str(exc) or "rrdtool gave no reason (disk full?)"
            permanent = isinstance(exc, OSError) and exc.errno in NAME_ERRNOS
            raise RRDWriteError(
                f"{path}: cannot create: {reason}", transient=not permanent
            ) from exc
        self._last[str(path)] = first - schema.step
        self._gate.created()
        self.stats.created += 1
        log.info("created %s", path)

    def write(self, relative: str, schema: Schema, samples: Iterable[Sample]) -> int:
        """Write ``samples`` (timestamp, values in schema DS order) to ``relative``.

        Returns how many samples were written; older ones are counted as skipped.
        """
        path = self.path_for(relative)
        key = str(path)
        by_time: dict[int, Sequence[Value]] = {}
        for ts, values in samples:
            by_time[int(ts)] = values
        if not by_time:
            return 0
        times = sorted(by_time) if len(by_time) > 1 else list(by_time)
        last = self._last.get(key)
        if last is None:
            last = self.last_update(key)
        if last is None:
            self._create(path, schema, times[0], len(times))
            last = times[0] - schema.step
        fresh = [t for t in times if t > last]
        self.stats.skipped_old += len(times) - len(fresh)
        if not fresh:
            return 0
        updates = format_updates(fresh, by_time)
        try:
            if self.rrdcached:
                rrdtool.update(
                    key, "--daemon", self.rrdcached, "--template", schema.template, *updates
                )
            else:
                rrdtool.update(key, "--template", schema.template, *updates)
        except rrdtool.OperationalError as exc:
            self.stats.failed += len(fresh)
            self._last.pop(key, None)
            raise RRDWriteError(
                f"{path}: update failed: {exc}", transient=self._intact(key, schema)
            ) from exc
        self._last[key] = fresh[-1]
        if self.rrdcached:
            self._remember(key, relative, [(t, by_time[t]) for t in fresh])
        stats = self.stats
        stats.written += len(fresh)
        stats.updates += 1
        return len(fresh)

    def _intact(self, key: str, schema: Schema) -> bool:
        """After a failed update: is the file still an RRD of ``schema``'s layout (or
        locked by another process, which is rrdtool's way to say "in use, try again")?"""
        try:
            info = rrdtool.info(key)
        except rrdtool.OperationalError as exc:
            return LOCKED in str(exc)
        names = {k[3:-6] for k in info if k.startswith("ds[") and k.endswith("].type")}
        return info.get("step") == schema.step and names == set(schema.data_sources)

    def _remember(self, key: str, relative: str, samples: list[Sample]) -> None:
        self.unflushed += len(samples)
        touched = self._touched.get(key)
        if touched is not None:
            samples = touched.samples + samples
        self._touched[key] = Unverified(relative, samples, "")

    def flush(self) -> list[Unverified]:
        """Make rrdcached write what it holds for the files this store touched, then
        check each file's last update (INFO, read from the file).

        Returns the writes that did not reach their file: their samples are taken
        back from ``stats.written`` (counted in ``stats.unverified``), rrdcached
        forgets the file, and the caller writes them again, as after any write that
        failed for now.  Without rrdcached every write is already on disk: [].
        """
        if not self.rrdcached or not self._touched:
            return []
        touched, self._touched = self._touched, {}
        self.unflushed = 0
        try:
            rrdtool.flushcached(*self._daemon_args(), *touched)
        except rrdtool.OperationalError as exc:
            log.error("rrdcached flush failed (%s); flushing file by file", exc)
            for key in touched:
                with contextlib.suppress(rrdtool.OperationalError):  # checked below
                    rrdtool.flushcached(*self._daemon_args(), key)
        lost: list[Unverified] = []
        for key, written in touched.items():
            missing = self._missing(key, written)
            if missing is not None:
                lost.append(missing)
                self._last.pop(key, None)
                self._forget(key)
                self.stats.unverified += 1
                self.stats.written -= len(missing.samples)
        if lost:
            log.error(
                "%d files lack samples rrdcached accepted and reported written (first: %s); "
                "they are written again",
                len(lost),
                lost[0].reason,
            )
        return lost

    @staticmethod
    def _missing(key: str, written: Unverified) -> Unverified | None:
        """What of ``written`` the file lacks after the flush, or None: all there.

        Samples older than the file's last update did arrive (rrdcached may have
        written part of them on its own timer); with a file beyond them (replaced by
        a newer one) or unreadable, all are handed back, and the store sorts it out
        when they are written again."""
        expected = written.samples[-1][0]
        try:
            last = int(rrdtool.info(key)["last_update"])
        except (rrdtool.OperationalError, KeyError, TypeError, ValueError) as exc:
            reason = f"{key}: cannot read its last update after the rrdcached flush: {exc}"
            return Unverified(written.relative, written.samples, reason)
        if last == expected:
            return None
        reason = f"{key}: its last update is {last}, not {expected}, after rrdcached's flush"
        samples = written.samples
        if last < expected:
            samples = [sample for sample in samples if sample[0] > last]
        return Unverified(written.relative, samples, reason)
