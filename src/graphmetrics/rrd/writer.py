"""The collectors' one writer: (file, schema, samples) in, the failure policy kept here.

Every collector (``graphmetrics-tracelog``, ``graphmetrics-kinesis``'s writer
process, each ``graphmetrics-kcl process``) hands its samples to an
:class:`RRDWriter`, which writes them through the :class:`~graphmetrics.rrd.store.RRDStore`
(and so through its backend, librrd or rrdcached) and applies one policy:

- a file that cannot be written *for now* (disk full, the file locked, rrdcached
  down, a write rrdcached lost behind a successful FLUSH) keeps its samples in
  :attr:`RRDWriter.pending`; they are written again, ahead of newer samples of the
  same file, at the next :meth:`RRDWriter.write_batch` (even of an empty batch).
  While anything is pending the caller checkpoints nothing, so no checkpoint passes
  a sample that is not in its file, and a daemon stopping with samples pending
  exits non-zero;
- a file that is unusable (not an RRD, another layout, a name that cannot become a
  file) has its samples dropped, logged and counted (``failed_files``);
- a new file the creation limits refuse *for now* (the per-minute budget spent, the
  disk at its floor) has its samples held (:class:`~graphmetrics.rrd.held.Held`,
  bounded by ``max_held`` samples), ahead of newer samples of the same file, and
  written once the gate allows, oldest refused first; what does not fit the bound is
  dropped and counted (``refused_files``, ``refused_samples``).  Held samples do
  not stop checkpoints: the collector saves them with its progress (``held``).

When to retry (at once, after a pause, at the next cycle) is the caller's: each
daemon's loop has its own pace.  :class:`WriteCounters` are the counters every
collector's status line shows, named alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from graphmetrics.rrd.held import Held
from graphmetrics.rrd.layout import kind_of
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.store import RRDCreateRefused, RRDPathError, RRDStore, RRDWriteError, Sample

log = logging.getLogger(__name__)

#: Files kept or dropped that are logged at ERROR per round (a full disk fails every
#: file of a batch); the others at DEBUG, the caller logs the round's summary.
LOG_FILES_PER_ROUND = 10


@dataclass
class WriteCounters:
    """What the writes did, as every collector reports it (docs/storage.md, "Write counters")."""

    written: int = 0
    """Samples in their files (through rrdcached: verified at the flush)."""
    skipped_old: int = 0
    """Samples at or before their file's last update (re-reads): not written."""
    failed_files: int = 0
    """Writes to unusable files, whose samples were dropped."""
    write_retries: int = 0
    """Rounds of writing again the files that could not be written for now."""
    created: int = 0
    held_files: int = 0
    """Files that may not be created yet (the creation backlog), now."""
    held_samples: int = 0
    """Their samples, held in memory (and saved with the collector's state), now."""
    below_floor: int = 0
    """Creations refused because the disk is at the free-disk floor."""
    refused_files: int = 0
    """Times samples of a file not created yet were dropped: no room left to hold them."""
    refused_samples: int = 0
    unverified: int = 0
    """Files rrdcached reported written that lacked the samples (written again)."""

    def add_writes(self, other: WriteCounters) -> None:
        """Add ``other``'s counts; the gauges (``held_*``) take its value."""
        for name in WRITE_COUNTERS:
            mine = 0 if name in GAUGES else getattr(self, name)
            setattr(self, name, mine + getattr(other, name))

    def since(self, before: WriteCounters) -> WriteResult:
        """The counts since ``before``; the gauges as they are now."""
        result = WriteResult()
        for name in WRITE_COUNTERS:
            was = 0 if name in GAUGES else getattr(before, name)
            setattr(result, name, getattr(self, name) - was)
        return result

    def status(self) -> str:
        """``written=... unverified=...``: the write part of every status line."""
        return " ".join(f"{name}={getattr(self, name)}" for name in WRITE_COUNTERS)


WRITE_COUNTERS = tuple(f.name for f in fields(WriteCounters))
#: Counters that say how things are now, not how often something happened.
GAUGES = frozenset({"held_files", "held_samples"})


@dataclass
class WriteResult(WriteCounters):
    """The counters of one batch, and what of it is still pending."""

    retry: dict[str, list[Sample]] = field(default_factory=dict)
    """Samples per file that could not be written for now (kept by the writer, which
    writes them again in its next round): nothing may be checkpointed past them."""
    error: str = ""
    """The last error of a file in ``retry``."""
    creation_wait: float = 0.0
    """Seconds until a held file may be created (0: now, or nothing is held)."""
    disk_note: str = ""
    """A warning when the disk is near or below the free-disk floor."""


def kind_schema(relative: str) -> Schema:
    """The schema of the kind of file ``relative`` is: for a lost write of a file
    written around this writer, straight through its store (not done by the collectors)."""
    kind = kind_of(relative)
    if kind is None:
        raise ValueError(f"{relative!r} is not a file of any kind of the RRD directory")
    return kind.schema


class RRDWriter:
    """Writes (file, schema, samples) through ``store``; see the module docstring."""

    def __init__(self, store: RRDStore) -> None:
        self.store = store
        self.held = Held(store.limits.max_held)
        """Per file, samples waiting for the file's creation (oldest refused first)."""
        self.pending: dict[str, tuple[Schema, list[Sample]]] = {}
        """Per file, samples that could not be written for now."""
        self.error = ""
        """The last error of a pending file."""
        self._failed_files = 0
        self._write_retries = 0
        self._logged = 0
        """Files logged at ERROR in this round."""
        self._unflushed: dict[str, Schema] = {}
        """Through rrdcached: the schema of each file written since the last flush."""

    @property
    def counters(self) -> WriteCounters:
        """Everything this writer (and its store) did since it was made."""
        stats = self.store.stats
        return WriteCounters(
            written=stats.written,
            skipped_old=stats.skipped_old,
            failed_files=self._failed_files,
            write_retries=self._write_retries,
            created=stats.created,
            held_files=len(self.held.files),
            held_samples=self.held.samples,
            below_floor=stats.below_floor,
            refused_files=self.held.dropped_files,
            refused_samples=self.held.dropped_samples,
            unverified=stats.unverified,
        )

    def write(self, relative: str, schema: Schema, samples: Iterable[Sample]) -> int:
        """Write one file's samples (after those it kept from before); returns how
        many were written.  Failures follow the policy and are not raised."""
        kept = self.pending.pop(relative, None)
        batch = samples if kept is None else kept[1] + list(samples)
        if relative in self.held:
            self.held.add(relative, schema, list(batch))  # behind the older ones
            return 0
        try:
            return self._write_one(relative, schema, batch)
        except RRDCreateRefused:
            self.held.add(relative, schema, list(batch))
            return 0

    def _write_one(self, relative: str, schema: Schema, batch: Iterable[Sample]) -> int:
        """Write, keep for a retry, or drop; a creation refused is raised."""
        try:
            written = self.store.write(relative, schema, batch)
        except RRDCreateRefused:
            raise
        except (RRDWriteError, RRDPathError, OSError) as exc:
            batch = batch if isinstance(batch, list) else list(batch)
            self._logged += 1
            level = logging.ERROR if self._logged <= LOG_FILES_PER_ROUND else logging.DEBUG
            if isinstance(exc, RRDWriteError) and exc.transient:
                self.pending[relative] = (schema, batch)
                self.error = str(exc)
                log.log(level, "keeping %d samples of %s to retry: %s", len(batch), relative, exc)
                return 0
            self._failed_files += 1
            log.log(level, "dropping %d samples of %s: %s", len(batch), relative, exc)
            return 0
        if self.store.verifies:
            self._unflushed[relative] = schema
        return written

    def write_held(self) -> int:
        """Create the held files the gate allows now, oldest refused first; returns how
        many files left the held set (written, dropped, or kept to retry)."""
        done = 0
        for relative in list(self.held.files):
            schema, samples = self.held.files[relative]
            try:
                self._write_one(relative, schema, samples)
            except RRDCreateRefused:
                break  # the budget is spent, or the disk at its floor: later
            self.held.take(relative)
            done += 1
        return done

    def creation_wait(self) -> float:
        """Seconds until a held file may be created (0: now, or nothing is held)."""
        return self.store.creation_wait() if self.held else 0.0

    def flush(self) -> None:
        """Through rrdcached: push the writes to the files and check them; what did
        not arrive is kept, like any write that failed for now.  Without it: nothing."""
        if not self._unflushed:
            return
        schemas, self._unflushed = self._unflushed, {}
        for lost in self.store.flush():
            kept = self.pending.get(lost.relative)
            samples = [*lost.samples, *([] if kept is None else kept[1])]
            schema = schemas.get(lost.relative) or kind_schema(lost.relative)
            self.pending[lost.relative] = (schema, samples)
            self.error = lost.reason

    def write_batch(
        self, schema: Schema, samples_by_file: Mapping[str, Sequence[Sample]], *, flush: bool = True
    ) -> WriteResult:
        """One round: the files kept from before, then ``samples_by_file``, then (with
        ``flush``) the rrdcached check.  Returns the round's counters and what is
        pending after it."""
        before = self.counters
        self._logged = 0
        self.store.prepare_flush(flush)
        if self.pending:
            self._write_retries += 1
            for relative in [r for r in self.pending if r not in samples_by_file]:
                kept_schema, kept = self.pending.pop(relative)
                self.write(relative, kept_schema, kept)
        if self.held and self.store.creation_wait() <= 0:
            self.write_held()
        for relative, samples in samples_by_file.items():
            self.write(relative, schema, samples)
        if flush:
            self.flush()
        result = self.counters.since(before)
        result.retry = {relative: samples for relative, (_, samples) in self.pending.items()}
        result.error = self.error if self.pending else ""
        result.creation_wait = self.creation_wait()
        result.disk_note = self.store.disk_note()
        return result
