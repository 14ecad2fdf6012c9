"""The only code that creates or updates RRD files.

Callers hand over samples per file; the store creates missing files (atomically, with
the schema), sorts samples, keeps the last of equal timestamps, drops timestamps at
or before the file's last update (rrdtool would refuse the whole call) and writes the
rest in one ``rrdtool.update`` call per file.  New files are created only as far
as the :class:`~graphmetrics.rrd.limits.CreationGate` allows.

How the updates reach the files is the :class:`~graphmetrics.rrd.backend.Backend`'s
business: librrd in this process, or rrdcached, whose writes :meth:`RRDStore.flush`
verifies from the files and hands back when they did not arrive.  The backend also
does the file operations (last update, create, info): with a storage node's TCP
address (``rrd/node.py``) this host's disk holds no RRD file and is never looked at.
What a caller does with samples that failed (keep and retry, or drop) is
:class:`~graphmetrics.rrd.writer.RRDWriter`'s policy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import rrdtool

from graphmetrics.rrd.backend import LOCKED, Backend, RRDWriteError, Sample, Unverified, Value
from graphmetrics.rrd.layout import UnsafePath, check_relative, resolve_inside
from graphmetrics.rrd.limits import CreateLimits, CreationGate, DiskFloor, Refusal
from graphmetrics.rrd.node import open_backend
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.updates import (
    Formatted,
    arrange,
    at_times,
    format_updates,
    ordered_updates,
)

log = logging.getLogger(__name__)

__all__ = [
    "LOCKED",
    "RRDStore",
    "RRDWriteError",
    "RRDCreateRefused",
    "Sample",
    "Unverified",
    "Value",
]

#: A relative RRD path that is empty, absolute, or leaves the RRD directory.
RRDPathError = UnsafePath


class RRDCreateRefused(RRDWriteError):
    """A new file the creation limits refused for now (too many new files this minute,
    or too little free space): not created, its samples not written; the writer holds
    them.  ``rate`` is true when the per-minute budget refused (no other file may be
    created either until :meth:`RRDStore.creation_wait` has passed).  Counted in
    ``StoreStats.refused`` (``below_floor`` for the floor) and logged by the store, a
    few times a minute at most."""

    def __init__(self, message: str, rate: bool = False) -> None:
        super().__init__(message, transient=True)
        self.rate = rate


@dataclass
class StoreStats:
    created: int = 0
    written: int = 0
    skipped_old: int = 0
    failed: int = 0
    updates: int = 0
    refused: int = 0
    """Creations refused for now by the limits (a file refused again counts again)."""
    below_floor: int = 0
    """Of those, refused by the free-disk floor."""
    unverified: int = 0
    """Files whose write through rrdcached did not reach the file (taken back from
    ``written``, to be written again)."""

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


#: Refused creations are logged at most once per this many seconds.
REFUSAL_LOG_SECONDS = 10.0


@dataclass
class RRDStore:
    """Writes RRD files below ``root``; ``rrdcached`` is an rrdcached address or None
    (it chooses the ``backend`` unless one is given).  With a storage node's TCP
    address the files are below the daemon's base directory instead, and ``root`` is
    not used.

    A collector calls :meth:`write` for thousands of files per batch, so per-file
    bookkeeping is kept to dictionary look-ups keyed by the path string.
    """

    root: Path
    rrdcached: str | None = None
    limits: CreateLimits = field(default_factory=CreateLimits)
    stats: StoreStats = field(default_factory=StoreStats)
    backend: Backend | None = None
    _last: dict[str, int] = field(default_factory=dict, repr=False)
    _widths: dict[str, int] = field(default_factory=dict, repr=False)
    """Existing files holding only the leading data sources of their schema (written
    before it gained more, not upgraded yet): how many they hold."""
    _paths: dict[str, Path] = field(default_factory=dict, repr=False)
    _gate: CreationGate = field(init=False, repr=False)
    _refusals_unlogged: int = field(default=0, repr=False)
    _refusal_log_due: float = field(default=0.0, repr=False)
    _where: str = field(default="", repr=False)
    """`` on rrdcached ADDRESS`` for a storage node (its paths are relative)."""

    def __post_init__(self) -> None:
        self._backend: Backend = (
            self.backend if self.backend is not None else open_backend(self.rrdcached)
        )
        limits = self.limits
        if self._backend.remote:
            self.rrdcached = getattr(self._backend, "address", self.rrdcached)
            self._where = f" on rrdcached {self.rrdcached}"
            self._log_remote_limits()
            limits = replace(limits, min_free=DiskFloor())
        self._gate = CreationGate(limits)

    def _log_remote_limits(self) -> None:
        """Once per store: the free-disk floor is not applied to a storage node."""
        if self.limits.min_free:
            log.warning(
                "rrdcached %s is on another host: its free disk cannot be checked from "
                "here, so min_free_disk (%s) does not apply; watch the node's disk",
                self.rrdcached,
                self.limits.min_free,
            )
        else:
            log.info(
                "writing RRD files over TCP to rrdcached %s (paths relative to its base "
                "directory; its free disk is not checked from here)",
                self.rrdcached,
            )

    @property
    def unflushed(self) -> int:
        """Samples written through rrdcached since the last :meth:`flush` (kept until it)."""
        return self._backend.unflushed

    @property
    def verifies(self) -> bool:
        """Writes are only known to be in their files after :meth:`flush` (rrdcached)."""
        return self._backend.verifies

    @property
    def remote(self) -> bool:
        """The files are on a storage node: :meth:`path_for` gives paths relative to
        its base directory, checked by name only (the node's ``-B`` keeps them in)."""
        return self._backend.remote

    def path_for(self, relative: str) -> Path:
        """The file for ``relative`` (without ``.rrd``), refusing path tricks."""
        path = self._paths.get(relative)
        if path is None:
            if self._backend.remote:
                check_relative(relative)
                if any(c.isspace() for c in relative):
                    raise UnsafePath(f"bad RRD path {relative!r}: white space")
                path = Path(relative + ".rrd")
            else:
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
        last = self._backend.last_update(key)
        if last is not None:
            self._last[key] = last
        return last

    def _refuse(self, path: Path, reason: Refusal) -> RRDCreateRefused:
        stats = self.stats
        stats.refused += 1
        if not reason.rate:
            stats.below_floor += 1
        self._refusals_unlogged += 1
        now = time.monotonic()
        if now >= self._refusal_log_due or not reason.rate and stats.below_floor == 1:
            log.warning(
                "not creating %s yet: %s; its samples are held until it may be "
                "(%d creations refused since the last such message, %d in all, %d below "
                "the disk floor)",
                path,
                reason,
                self._refusals_unlogged,
                stats.refused,
                stats.below_floor,
            )
            self._refusals_unlogged = 0
            self._refusal_log_due = now + REFUSAL_LOG_SECONDS
        return RRDCreateRefused(f"{path}: not created yet: {reason}", rate=reason.rate)

    def creation_wait(self) -> float:
        """Seconds until the per-minute budget allows another new file (0: now)."""
        return self._gate.wait()

    def disk_note(self) -> str:
        """A warning when the RRD directory's disk is near or below the floor, else ""."""
        if self._backend.remote:
            return ""
        return self._gate.disk_note(self.root if self.root.exists() else self.root.parent)

    def close(self) -> None:
        """Let go of the creation journal."""
        self._gate.close()

    def _create(self, path: Path, schema: Schema, first: int) -> int:
        """Create ``path`` for samples from ``first`` on; returns its last update (an
        existing file's, when another writer created it first)."""
        refusal = self._gate.admit(path, schema)
        if refusal is not None:
            raise self._refuse(path, refusal)
        key = str(path)
        # One step before the first sample, so that sample fills a whole step.
        start = first - schema.step
        if not self._backend.create(key, start, schema):
            last = self.last_update(key)
            if last is None:
                raise RRDWriteError(f"{path}: exists, then not found", transient=True)
            log.info("%s%s was created by another writer", path, self._where)
            return last
        self._last[key] = start
        self.stats.created += 1
        log.info("created %s%s", path, self._where)
        return start

    def write(self, relative: str, schema: Schema, samples: Iterable[Sample]) -> int:
        """Write ``samples`` (timestamp, values in schema DS order) to ``relative``.

        Returns how many samples were written; older ones are counted as skipped.
        """
        path = self.path_for(relative)
        key = str(path)
        width = len(schema.data_sources)
        last = self._last.get(key)
        if last is not None and self._widths.get(key) == width:
            # the usual batch (in order, all new, every DS): formatted in one pass
            updates = ordered_updates(samples, width, last)
            if updates is not None:
                if not updates:
                    return 0
                if isinstance(samples, Formatted):  # kept as it is for the check
                    kept = cast(Sequence[Sample], samples)
                    newest = samples.newest
                    return self._update(
                        path, relative, schema, schema.template, updates, kept, newest
                    )
                batch = cast(list[Sample], samples)
                newest = batch[-1][0]
                return self._update(
                    path, relative, schema, schema.template, updates, batch[:], newest
                )
        times, by_time = arrange(samples, width)  # the leading DS given, the rest unknown
        if not times:
            return 0
        if last is None:
            last = self.last_update(key)
        template = schema.template
        if last is None:
            last = self._create(path, schema, times[0])
            self._widths[key] = width
        elif (held := self._widths.get(key) or self._leading(key, schema)) < width:
            # an older layout: its data sources are written, the newer ones wait for
            # `python -m graphmetrics.rrd.upgrade` (nothing is dropped meanwhile)
            by_time = {t: v[:held] for t, v in by_time.items()}
            template = ":".join(schema.data_sources[:held])
        fresh = times if times[0] > last else [t for t in times if t > last]
        self.stats.skipped_old += len(times) - len(fresh)
        if not fresh:
            return 0
        # at_times (compiled) types values as objects; they are the Values given
        written = cast(list[Sample], at_times(fresh, by_time)) if self._backend.verifies else []
        updates = format_updates(fresh, by_time)
        return self._update(path, relative, schema, template, updates, written, fresh[-1])

    def _update(
        self,
        path: Path,
        relative: str,
        schema: Schema,
        template: str,
        updates: list[str],
        samples: Sequence[Sample],
        newest: int,
    ) -> int:
        """Hand ``updates`` (of ``samples``, fresh and in order, the last at ``newest``)
        to the backend; ``samples`` are kept for the flush's check (rrdcached)."""
        key = str(path)
        try:
            self._backend.update(key, template, updates)
        except rrdtool.OperationalError as exc:
            self.stats.failed += len(updates)
            self._last.pop(key, None)
            raise RRDWriteError(
                f"{path}: update failed: {exc}", transient=self._intact(key, schema)
            ) from exc
        self._last[key] = newest
        if self._backend.verifies:
            self._backend.written(key, relative, samples)
        stats = self.stats
        stats.written += len(updates)
        stats.updates += 1
        return len(updates)

    def _leading(self, key: str, schema: Schema) -> int:
        """How many of ``schema``'s data sources the existing file at ``key`` holds,
        asked once per file: all of them, or its leading ones when it was made before
        the schema gained more (logged once).  Another layout counts as all: its
        update then fails and says so."""
        width = len(schema.data_sources)
        try:
            info = self._backend.info(key)
        except rrdtool.OperationalError:
            return width
        index = {k[3:-7]: int(v) for k, v in info.items() if k.endswith("].index")}
        names = tuple(sorted(index, key=index.__getitem__))
        held = len(names)
        if 0 < held < width and names == schema.data_sources[:held]:
            log.warning(
                "%s%s has %d of the %d data sources (an older layout): writing those; "
                "python -m graphmetrics.rrd.upgrade adds the others",
                key,
                self._where,
                held,
                width,
            )
        else:
            held = width
        self._widths[key] = held
        return held

    def _intact(self, key: str, schema: Schema) -> bool:
        """After a failed update: is the file still an RRD of ``schema``'s layout (or
        locked by another process, which is rrdtool's way to say "in use, try again")?"""
        try:
            info = self._backend.info(key)
        except rrdtool.OperationalError as exc:
            return LOCKED in str(exc)
        names = {k[3:-6] for k in info if k.startswith("ds[") and k.endswith("].type")}
        return info.get("step") == schema.step and names == set(schema.data_sources)

    def prepare_flush(self, flush: bool) -> None:
        """Whether the writes that follow end with :meth:`flush` (the backend may then
        start pushing them to the files early)."""
        self._backend.prepare_flush(flush)

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
