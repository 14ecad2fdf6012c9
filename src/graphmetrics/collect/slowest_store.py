"""The slowest requests on disk, beside the RRDs (docs/storage.md, "Slowest requests").

``<rrd_dir>/slowest/<host>__<customer>__<instance>/<YYYY-MM-DD>.jsonl``: one line per
minute (UTC day of the minute's start), ``{"t": START, "r": [...]}``, the requests
slowest first (:func:`~graphmetrics.tracelog.slowest.minute_json`).

* **Never twice.** Minutes of an instance are written in order, so a minute at or
  before the last one stored (found in the newest day file at the first write of
  the process) is skipped and counted: a replay after ``kill -9``, or a state file
  moved away, adds nothing.
* **Atomic enough.** Each file's new lines go out in one ``write`` to a file opened
  for appending; a line torn by a crash (no newline at the end of the file) is ended
  before anything is appended, and readers skip (and count) the lines that are not
  JSON.
* **Bounded.** Day files older than ``keep_days`` are deleted (checked hourly), and a
  day file stops growing at :data:`MAX_DAY_BYTES` (further minutes counted as
  ``full``).  Minutes of days already past the retention are not written.
* Errors (disk full, permissions) are logged and counted; the RRDs go on regardless.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from graphmetrics.tracelog.aggregate import SlowRow
from graphmetrics.tracelog.slowest import minute_json

log = logging.getLogger(__name__)

SLOWEST_DIR: Final = "slowest"
DEFAULT_KEEP_DAYS: Final = 7
#: a day file of one instance grows no further than this
MAX_DAY_BYTES: Final = 8 * 1024 * 1024
#: bytes read from the end of the newest day file to find the last minute stored
_TAIL_BYTES: Final = 256 * 1024
DAY_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})\.jsonl\Z", re.ASCII)
_EXPIRE_EVERY: Final = 3600.0


def day_of(epoch: int) -> str:
    """The UTC day (``YYYY-MM-DD``) of ``epoch``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def instance_dir(rrd_dir: Path, stem: str) -> Path:
    return rrd_dir / SLOWEST_DIR / stem


def parse_line(raw: bytes) -> tuple[int, list[Any]] | None:
    """``(minute start, requests)`` of one stored line, or None when it is not one."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    t, requests = data.get("t"), data.get("r")
    if isinstance(t, bool) or not isinstance(t, int) or not isinstance(requests, list):
        return None
    return t, requests


def read_lines(path: Path) -> Iterator[tuple[int, list[Any]] | None]:
    """Every line of a day file, parsed (None for a torn or foreign one); nothing when
    the file is missing."""
    try:
        with open(path, "rb") as f:
            for raw in f:
                yield parse_line(raw)
    except OSError:
        return


@dataclass
class StoreCounters:
    minutes: int = 0
    #: minutes already stored (a replay)
    stored: int = 0
    #: minutes of days past the retention
    expired: int = 0
    #: minutes refused because their day file reached MAX_DAY_BYTES
    full: int = 0
    errors: int = 0
    #: torn lines found at the end of a file and ended
    torn: int = 0
    deleted_files: int = 0

    def status(self) -> str:
        return (
            f"slowest_minutes={self.minutes} slowest_skipped="
            f"{self.stored + self.expired + self.full} slowest_errors={self.errors}"
        )


class SlowestStore:
    """Appends the minutes' slowest requests of each instance to its day files."""

    def __init__(
        self,
        rrd_dir: Path,
        keep_days: int = DEFAULT_KEEP_DAYS,
        *,
        max_day_bytes: int = MAX_DAY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = rrd_dir / SLOWEST_DIR
        self.rrd_dir = rrd_dir
        self.keep_days = keep_days
        self.max_day_bytes = max_day_bytes
        self.clock = clock
        self.counters = StoreCounters()
        #: instance -> start of the last minute stored (-1: none)
        self._last: dict[str, int] = {}
        #: files whose end was checked for a torn line in this process
        self._checked: set[Path] = set()
        self._expired_at = -_EXPIRE_EVERY
        #: UTC day number -> its name
        self._days: dict[int, str] = {}

    def cutoff_day(self) -> str:
        """The oldest day kept."""
        return day_of(int(self.clock()) - (self.keep_days - 1) * 86400)

    def write(self, rows: dict[str, list[SlowRow]]) -> None:
        """Store every minute of ``rows`` not stored yet."""
        if not rows:
            return
        self.expire()
        oldest = self.cutoff_day()
        for stem, minutes in rows.items():
            last = self._last_stored(stem)
            days: dict[str, list[bytes]] = {}
            for start, entries in minutes:
                if start <= last:
                    self.counters.stored += 1
                    continue
                number = start // 86400
                day = self._days.get(number)
                if day is None:
                    day = self._days[number] = day_of(start)
                if day < oldest:
                    self.counters.expired += 1
                    continue
                line = minute_json(start, entries) + "\n"
                days.setdefault(day, []).append(line.encode())
                last = start
            for day, lines in days.items():
                self._append(instance_dir(self.rrd_dir, stem) / f"{day}.jsonl", lines)
            self._last[stem] = last

    def _append(self, path: Path, lines: list[bytes]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            self._error(path, exc, len(lines))
            return
        try:
            size = os.fstat(fd).st_size
            prefix = b""
            if path not in self._checked:
                self._checked.add(path)
                if size and not _ends_with_newline(path):
                    prefix = b"\n"
                    self.counters.torn += 1
                    log.warning("%s: a torn last line (a crash mid-write) was ended", path)
            data = bytearray(prefix)
            count = 0
            for line in lines:
                if size + len(data) + len(line) > self.max_day_bytes:
                    self.counters.full += 1
                    continue
                data += line
                count += 1
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            self.counters.minutes += count
        except OSError as exc:
            self._error(path, exc, len(lines))
        finally:
            os.close(fd)

    def _error(self, path: Path, exc: OSError, minutes: int) -> None:
        self.counters.errors += minutes
        log.error("cannot store %d minutes of slowest requests in %s: %s", minutes, path, exc)

    def _last_stored(self, stem: str) -> int:
        last = self._last.get(stem)
        if last is None:
            last = self._last[stem] = _newest_minute(instance_dir(self.rrd_dir, stem))
        return last

    def expire(self) -> None:
        """Delete the day files past the retention (at most once an hour)."""
        now = self.clock()
        if now - self._expired_at < _EXPIRE_EVERY:
            return
        self._expired_at = now
        oldest = self.cutoff_day()
        try:
            folders = list(os.scandir(self.root))
        except OSError:
            return
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False):
                continue
            try:
                names = os.listdir(folder.path)
            except OSError:
                continue
            for name in names:
                match = DAY_FILE.match(name)
                if match and match.group(1) < oldest:
                    try:
                        os.unlink(os.path.join(folder.path, name))
                        self.counters.deleted_files += 1
                    except OSError as exc:
                        log.warning("cannot delete %s/%s: %s", folder.path, name, exc)
            with contextlib.suppress(OSError):
                os.rmdir(folder.path)  # only when empty


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _newest_minute(folder: Path) -> int:
    """The start of the last minute stored in ``folder``'s newest day file, or -1."""
    try:
        days = sorted(name for name in os.listdir(folder) if DAY_FILE.match(name))
    except OSError:
        return -1
    for name in reversed(days):
        path = folder / name
        try:
            with open(path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - _TAIL_BYTES))
                tail = f.read()
        except OSError:
            continue
        found = _last_minute(tail.split(b"\n")[1:] if size > _TAIL_BYTES else tail.split(b"\n"))
        if found < 0 and size > _TAIL_BYTES:
            found = max((p[0] for p in read_lines(path) if p is not None), default=-1)
        if found >= 0:
            return found
    return -1


def _last_minute(lines: list[bytes]) -> int:
    for raw in reversed(lines):
        parsed = parse_line(raw) if raw.strip() else None
        if parsed is not None:
            return parsed[0]
    return -1
