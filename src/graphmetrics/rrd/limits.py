"""Limits on creating RRD files, so a flood of invented names cannot fill the disk.

One tracelog line or one small gzip Kinesis record can name hundreds of series that
never existed, and each becomes a file of 0.2 to 1.1 MB.  The store asks a
:class:`CreationGate` before every new file: at most ``max_per_minute`` files in any
``window`` (60 s), and never below ``min_free`` of free space on the file's disk
(counting the file about to be made; 5 % by default).  A refused file is not created
*yet*: the :class:`~graphmetrics.rrd.writer.RRDWriter` holds its samples (bounded)
and writes them once the gate allows.  Updates of existing files never need space
and are never refused.
"""

from __future__ import annotations

import fcntl
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphmetrics import settings
from graphmetrics.rrd.schema import Schema
from graphmetrics.settings import parse_byte_size

#: The "minute" of ``max_new_files_per_minute``, in seconds.
WINDOW = 60.0
#: A creation journal longer than this is cut back to the current window.
JOURNAL_BYTES = 256 * 1024
#: Samples held at most, all files together, for files that may not be created yet:
#: about 60 MB of tracelog minutes, 40 MB of metric samples (docs/storage.md).
MAX_HELD_SAMPLES = 200_000


@dataclass(frozen=True)
class DiskFloor:
    """Free space to keep: bytes, or a percentage of the file system's size (0: none)."""

    bytes: int = 0
    percent: float = 0.0

    @classmethod
    def parse(cls, text: str) -> DiskFloor:
        """``0``, ``5%``, ``2G``, ``500M``, ``1048576`` (binary K M G T suffixes)."""
        value = text.strip()
        if value.endswith("%"):
            percent = float(value[:-1])
            if not 0 <= percent < 100:
                raise ValueError(f"a percentage must be >= 0 and < 100, got {text!r}")
            return cls(percent=percent)
        return cls(bytes=parse_byte_size(value))

    def __bool__(self) -> bool:
        return bool(self.bytes or self.percent)

    def __str__(self) -> str:
        if self.percent:
            return f"{self.percent:g}%"
        return f"{self.bytes} bytes" if self.bytes else "0"

    def setting(self) -> str:
        """The floor as :meth:`parse` reads it (handed to a child process's settings)."""
        return f"{self.percent:g}%" if self.percent else str(self.bytes)


#: The default free-disk floor: no new file below 5 % free (docs/storage.md).
DEFAULT_FLOOR = DiskFloor(percent=5.0)


@dataclass(frozen=True)
class CreateLimits:
    """``max_per_minute`` 0 means no rate limit; a false ``min_free`` means no floor.

    ``window`` is the length of the "minute" (tests shorten it); ``journal`` is the
    file where creations are noted before they happen, so the budget outlives the
    process (a restart or a crash loop cannot start a fresh window) and is shared by
    every process given the same journal (the KCL's record processors of one host).
    """

    max_per_minute: int = 0
    min_free: DiskFloor = DiskFloor()
    window: float = WINDOW
    journal: Path | None = None
    max_held: int = MAX_HELD_SAMPLES
    """Samples held at most for files that may not be created yet (``RRDWriter``)."""


def file_bytes(schema: Schema) -> int:
    """About the size of a new file of ``schema``: 8 bytes per row per DS, plus headers."""
    rows = sum(archive.rows for archive in schema.archives) * len(schema.consolidations)
    return rows * len(schema.data_sources) * 8 + 4096


class Refusal(str):
    """Why a file may not be created now; ``rate`` is true when the per-minute budget
    (not the disk floor) said no: then no other new file may be created either."""

    rate: bool = False


def _refusal(text: str, *, rate: bool) -> Refusal:
    refusal = Refusal(text)
    refusal.rate = rate
    return refusal


@dataclass
class CreationGate:
    """Says whether a new file may be created now, and notes the creations it allows.

    The window holds the wall-clock times of the creations of the last ``window``
    seconds.  With a journal, each allowed creation is appended to it (under an
    exclusive ``flock``) *before* the file is made, and every decision first reads
    what other processes appended; the journal is cut back to the current window when
    it grows.  A creation time ahead of the clock (the clock was set back) counts as
    now, so a clock moved back cannot block creations for longer than one window.
    """

    limits: CreateLimits = field(default_factory=CreateLimits)
    clock: Callable[[], float] = time.time
    _recent: deque[float] = field(default_factory=deque, repr=False)
    _fd: int | None = field(default=None, repr=False)
    _offset: int = field(default=0, repr=False)
    _closed_until: float = field(default=-math.inf, repr=False)
    """After a refusal by the budget: no creation before this time (other processes
    sharing the journal can only spend the budget, never add to it)."""

    def __post_init__(self) -> None:
        journal = self.limits.journal
        if journal is not None and self.limits.max_per_minute:
            journal.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(journal, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def admit(self, path: Path, schema: Schema) -> Refusal | None:
        """None, and the creation noted, when ``path`` may be created now; else why not."""
        limit = self.limits.max_per_minute
        if limit and self._closed(self.clock()):
            return self._spent(limit)
        floor = self.limits.min_free
        if floor:
            below = self._below_floor(path, floor, file_bytes(schema))
            if below is not None:
                return _refusal(below, rate=False)
        if not limit:
            return None
        if self._fd is None:
            return self._take(self.clock(), limit)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._read_journal()
            return self._take(self.clock(), limit)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _closed(self, now: float) -> bool:
        """Refused until ``_closed_until`` (unless the clock went back since)."""
        return self._closed_until - self.limits.window <= now < self._closed_until

    def _spent(self, limit: int) -> Refusal:
        return _refusal(
            f"{limit} new files in the last {self.limits.window:g} s already "
            "(max new files per minute)",
            rate=True,
        )

    def wait(self) -> float:
        """Seconds until the budget allows the next creation (0: now)."""
        limit = self.limits.max_per_minute
        if not limit:
            return 0.0
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            try:
                self._read_journal()
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        now = self.clock()
        if self._closed(now):
            return self._closed_until - now
        self._prune(now)
        if len(self._recent) < limit:
            return 0.0
        return max(0.0, self._recent[-limit] + self.limits.window - now)

    def _prune(self, now: float) -> None:
        recent = self._recent
        if recent and recent[-1] > now:  # the clock went back
            self._recent = recent = deque(min(t, now) for t in recent)
        window = self.limits.window
        while recent and recent[0] <= now - window:
            recent.popleft()

    def _take(self, now: float, limit: int) -> Refusal | None:
        self._prune(now)
        if len(self._recent) >= limit:
            self._closed_until = self._recent[-limit] + self.limits.window
            return self._spent(limit)
        if self._fd is not None:
            try:
                self._offset += os.write(self._fd, f"{now:.3f}\n".encode())
            except OSError as exc:  # a creation not noted could be made again after a crash
                return _refusal(f"cannot note it in {self.limits.journal}: {exc}", rate=False)
        self._recent.append(now)
        if self._fd is not None and self._offset > max(JOURNAL_BYTES, 64 * len(self._recent)):
            self._compact()
        return None

    def _read_journal(self) -> None:
        """Take in what was appended since the last read (all of it after a cut)."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size < self._offset:  # another process cut it back
            self._recent.clear()
            self._offset = 0
        if size == self._offset:
            return
        data = os.pread(self._fd, size - self._offset, self._offset)
        end = data.rfind(b"\n") + 1
        self._offset += end
        times = []
        for line in data[:end].split():
            try:
                times.append(float(line))
            except ValueError:
                continue  # a torn line of a crash: ignored
        merged = sorted([*self._recent, *times])
        self._recent = deque(merged)

    def _compact(self) -> None:
        """Cut the journal back to the creations still inside the window (locked)."""
        assert self._fd is not None
        self._prune(self.clock())
        os.ftruncate(self._fd, 0)
        data = "".join(f"{t:.3f}\n" for t in self._recent).encode()
        os.write(self._fd, data)
        self._offset = len(data)

    def disk_note(self, directory: Path) -> str:
        """A warning when the free space of ``directory``'s file system is within twice
        the floor of it (creations stop at the floor), else ""."""
        floor = self.limits.min_free
        if not floor:
            return ""
        try:
            st = os.statvfs(directory)
        except OSError:
            return ""
        free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
        need = max(floor.bytes, floor.percent * total / 100)
        if free >= 2 * need:
            return ""
        state = "below" if free < need else "near"
        return f"disk {state} the floor: {free} bytes free, floor {floor}"

    @staticmethod
    def _below_floor(path: Path, floor: DiskFloor, size: int) -> str | None:
        directory = path.parent
        while not directory.exists() and directory != directory.parent:
            directory = directory.parent
        try:
            st = os.statvfs(directory)
        except OSError:
            return None  # creating it will say what is wrong
        free = st.f_bavail * st.f_frsize - size
        total = st.f_blocks * st.f_frsize
        if free < floor.bytes or (total and free * 100 < floor.percent * total):
            return (
                f"{free if free > 0 else 0} bytes would be left free on {directory}'s file "
                f"system, below the floor of {floor}"
            )
        return None


@dataclass(frozen=True, kw_only=True)
class CreateLimitSettings:
    """The caps on new RRD files, for every collector of Kinesis records."""

    max_new_files_per_minute: int = settings.option(
        1000,
        "create at most N new RRD files in any minute (0: no limit); the samples of a "
        "file that may not be created yet are held and written once it may",
        parse=settings.non_negative_int,
        metavar="N",
    )
    min_free_disk: DiskFloor = settings.option(
        DEFAULT_FLOOR,
        "create no RRD file that would leave less free space than this on its file "
        "system: bytes (K M G T suffixes) or a percentage such as 5%% (0: no floor); "
        "the samples of a file refused are held meanwhile",
        parse=DiskFloor.parse,
        metavar="SIZE",
    )
    new_files_window: float = settings.option(
        WINDOW,
        "the minute of --max-new-files-per-minute, in seconds (tests shorten it)",
        parse=settings.positive_float,
        metavar="SECONDS",
    )
    max_held_samples: int = settings.option(
        MAX_HELD_SAMPLES,
        "samples held at most for files that may not be created yet; past it new "
        "samples of such files are dropped and counted (refused_files, refused_samples)",
        parse=settings.non_negative_int,
        metavar="N",
    )

    def create_limits(self, journal: Path | None = None) -> CreateLimits:
        return CreateLimits(
            self.max_new_files_per_minute,
            self.min_free_disk,
            self.new_files_window,
            journal,
            self.max_held_samples,
        )
