"""Limits on creating RRD files, so a flood of invented names cannot fill the disk.

One tracelog line or one small gzip Kinesis record can name hundreds of series that
never existed, and each becomes a file of 0.2 to 1.1 MB.  The store asks a
:class:`CreationGate` before every new file: at most ``max_per_minute`` files in any
60 seconds, and never below ``min_free`` of free space on the file's disk (counting
the file about to be made).  A refused file is not created and its samples are not
written; updates of existing files never need space and are never refused.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphmetrics import settings
from graphmetrics.rrd.schema import Schema
from graphmetrics.settings import parse_byte_size

WINDOW = 60.0


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


@dataclass(frozen=True)
class CreateLimits:
    """``max_per_minute`` 0 means no rate limit; a false ``min_free`` means no floor."""

    max_per_minute: int = 0
    min_free: DiskFloor = DiskFloor()


def file_bytes(schema: Schema) -> int:
    """About the size of a new file of ``schema``: 8 bytes per row per DS, plus headers."""
    rows = sum(archive.rows for archive in schema.archives) * len(schema.consolidations)
    return rows * len(schema.data_sources) * 8 + 4096


@dataclass
class CreationGate:
    limits: CreateLimits = field(default_factory=CreateLimits)
    clock: Callable[[], float] = time.monotonic
    _recent: deque[float] = field(default_factory=deque, repr=False)

    def refusal(self, path: Path, schema: Schema) -> str | None:
        """Why ``path`` may not be created now, or None."""
        limit = self.limits.max_per_minute
        if limit:
            now = self.clock()
            recent = self._recent
            while recent and recent[0] <= now - WINDOW:
                recent.popleft()
            if len(recent) >= limit:
                return f"{limit} new files in the last minute already (max new files per minute)"
        floor = self.limits.min_free
        if floor:
            return self._below_floor(path, floor, file_bytes(schema))
        return None

    def created(self) -> None:
        if self.limits.max_per_minute:
            self._recent.append(self.clock())

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
        "create at most N new RRD files in any minute (0: no limit); samples of a new "
        "file refused are dropped and counted (refused_files, refused_samples)",
        parse=settings.non_negative_int,
        metavar="N",
    )
    min_free_disk: DiskFloor = settings.option(
        DiskFloor(),
        "create no RRD file that would leave less free space than this on its file "
        "system: bytes (K M G T suffixes) or a percentage such as 5%% (0: no floor); "
        "samples of a new file refused are dropped and counted",
        parse=DiskFloor.parse,
        metavar="SIZE",
    )

    def create_limits(self) -> CreateLimits:
        return CreateLimits(self.max_new_files_per_minute, self.min_free_disk)
