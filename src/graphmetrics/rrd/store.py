"""The only code that creates or updates RRD files.

Callers hand over samples per file; the store creates missing files (atomically, with
the schema), sorts samples, keeps the last of equal timestamps, drops timestamps at
or before the file's last update (rrdtool would refuse the whole call) and writes the
rest in one ``rrdtool.update`` call per file.  New files are created only as far
as the :class:`~graphmetrics.rrd.limits.CreationGate` allows.

How the updates reach the files is the :class:`~graphmetrics.rrd.backend.Backend`'s
business: librrd in this process, or rrdcached, whose writes :meth:`RRDStore.flush`
verifies from the files and hands back when they did not arrive.  What a caller does
with samples that failed (keep and retry, or drop) is
:class:`~graphmetrics.rrd.writer.RRDWriter`'s policy.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rrdtool

from graphmetrics.rrd.backend import Backend, Sample, Unverified, Value, open_backend
from graphmetrics.rrd.layout import UnsafePath, resolve_inside
from graphmetrics.rrd.limits import CreateLimits, CreationGate
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.updates import format_updates

log = logging.getLogger(__name__)

__all__ = ["RRDStore", "RRDWriteError", "RRDCreateRefused", "Sample", "Unverified", "Value"]

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
    """Writes RRD files below ``root``; ``rrdcached`` is an rrdcached address or None
    (it chooses the ``backend`` unless one is given).

    A collector calls :meth:`write` for thousands of files per batch, so per-file
    bookkeeping is kept to dictionary look-ups keyed by the path string.
    """

    root: Path
    rrdcached: str | None = None
    limits: CreateLimits = field(default_factory=CreateLimits)
    stats: StoreStats = field(default_factory=StoreStats)
    backend: Backend | None = None
    _last: dict[str, int] = field(default_factory=dict, repr=False)
    _paths: dict[str, Path] = field(default_factory=dict, repr=False)
    _gate: CreationGate = field(init=False, repr=False)
    _refusals_unlogged: int = field(default=0, repr=False)
    _refusal_log_due: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._gate = CreationGate(self.limits)
        self._backend: Backend = (
            self.backend if self.backend is not None else open_backend(self.rrdcached)
        )

    @property
    def unflushed(self) -> int:
        """Samples written through rrdcached since the last :meth:`flush` (kept until it)."""
        return self._backend.unflushed

    @property
    def verifies(self) -> bool:
        """Writes are only known to be in their files after :meth:`flush` (rrdcached)."""
        return self._backend.verifies

    def path_for(self, relative: str) -> Path:
        """The file for ``relative`` (without ``.rrd``), refusing path tricks."""
        path = self._paths.get(relative)
        if path is None:
            path = resolve_inside(self.root, relative + ".rrd")
            if len(self._paths) >= 100_000:
                self._paths.clear()
            self._paths[relative] = path
        return path

    def last_update(self, path: Path | str) -> int | None:
        """The file's last update time, or None when the file does not exist yet."""
        key = str(path)
        cached = self._last.get(key)
        if cached is not None:
            return cached
        if not os.path.exists(key):
            return None
        try:
            self._backend.sync(key)
        except rrdtool.OperationalError as exc:  # rrdcached down, or the file locked
            raise RRDWriteError(f"{key}: {self._backend.name}: {exc}", transient=True) from exc
        try:
            last = int(rrdtool.last(key))
        except rrdtool.OperationalError as exc:
            raise RRDWriteError(
                f"{key}: cannot read last update: {exc}", transient=LOCKED in str(exc)
            ) from exc
        self._last[key] = last
        return last

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
            self._backend.update(key, schema.template, updates)
        except rrdtool.OperationalError as exc:
            self.stats.failed += len(fresh)
            self._last.pop(key, None)
            raise RRDWriteError(
                f"{path}: update failed: {exc}", transient=self._intact(key, schema)
            ) from exc
        self._last[key] = fresh[-1]
        if self._backend.verifies:
            self._backend.written(key, relative, [(t, by_time[t]) for t in fresh])
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

    def flush(self) -> list[Unverified]:
        """Have the backend push what it holds to the files it touched and check them.

        Returns the writes that did not reach their file: their samples are taken
        back from ``stats.written`` (counted in ``stats.unverified``), and the caller
        writes them again, as after any write that failed for now.  Without
        rrdcached every write is already on disk: [].
        """
        lost = self._backend.flush()
        for key, missing in lost.items():
            self._last.pop(key, None)
            self.stats.unverified += 1
            self.stats.written -= len(missing.samples)
        if lost:
            first = next(iter(lost.values()))
            log.error(
                "%d files lack samples rrdcached accepted and reported written (first: %s); "
                "they are written again",
                len(lost),
                first.reason,
            )
        return list(lost.values())
