"""Tracked log files: identity, offsets, and reading complete lines.

A file is known by its (device, inode) and a fingerprint of its first bytes, as
Filebeat does: a renamed file keeps its offset, a file whose inode was reused gets
a fresh start, and a gzipped copy of a file already read is recognised by the
fingerprint of its decompressed content and continues where the original stopped
(so rotation followed by compression neither loses the tail nor reads twice).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

FINGERPRINT_BYTES = 256
#: the longest line read; longer ones are refused (counted and skipped)
CHUNK_BYTES = 4 << 20
#: bytes read at a time: the lines of one read are still in the CPU's cache when the
#: aggregator takes them (splitting 4 MiB at once costs twice as much per line)
READ_BYTES = 256 << 10


def fingerprint(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def is_gzip(path: Path) -> bool:
    return path.name.endswith(".gz")


def open_binary(path: Path) -> IO[bytes]:
    if is_gzip(path):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115 - the caller keeps it open across reads


def read_head(path: Path) -> bytes:
    """The first :data:`FINGERPRINT_BYTES` of the (decompressed) content."""
    with open_binary(path) as f:
        return f.read(FINGERPRINT_BYTES)


@dataclass
class FileState:
    """What is persisted about one log file."""

    path: str
    dev: int
    ino: int
    fp: str
    fp_len: int
    offset: int = 0
    lineno: int = 0
    gz: bool = False
    done: bool = False
    last_seen: float = 0.0
    #: the offset is inside a line refused as too long: skip to its newline
    skipping: bool = False

    @property
    def key(self) -> str:
        return f"{'gz:' if self.gz else ''}{self.dev}:{self.ino}"

    def matches_head(self, head: bytes) -> bool:
        """True when ``head`` starts with the bytes this file was fingerprinted on."""
        return (
            self.fp_len > 0
            and len(head) >= self.fp_len
            and fingerprint(head[: self.fp_len]) == self.fp
        )

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, data: dict[str, Any]) -> FileState:
        return cls(**data)


class LineReader:
    """Reads whole lines of one file from a byte offset, keeping the file open.

    Bytes after the last newline wait in a buffer (the writer has not finished that
    line); a finished file (gzipped, or rotated away) gives its last line as it is.
    The persisted offset only ever covers whole lines.
    """

    def __init__(self, state: FileState, path: Path) -> None:
        self.state = state
        self.path = path
        self._file: IO[bytes] | None = None
        self._partial = b""
        #: lines refused as too long so far (the caller counts them)
        self.long_lines = 0

    def _open(self) -> IO[bytes]:
        if self._file is None:
            f = open_binary(self.path)
            f.seek(self.state.offset)
            self._file = f
            self._partial = b""
        return self._file

    def size(self) -> int | None:
        """Current size of a plain file through the open handle (None if not open)."""
        if self._file is None or self.state.gz:
            return None
        return os.fstat(self._file.fileno()).st_size

    def restart(self) -> None:
        """The file was truncated: read it again from the start."""
        self.close()
        self.state.offset = 0
        self.state.lineno = 0

    def read_lines(self, final: bool = False, limit: int = CHUNK_BYTES) -> list[str]:
        """The next complete lines (about :data:`READ_BYTES` at most); advances the offset.

        A line of ``limit`` bytes or more is refused: the bytes up to its newline are
        skipped (even across reads and restarts) and :attr:`long_lines` counts it.
        """
        f = self._open()
        state = self.state
        size = min(READ_BYTES, limit)
        while True:
            data = self._read(f, size)
            eof = len(data) < size
            if state.skipping:
                cut = data.find(b"\n") + 1
                if cut == 0:
                    state.offset += len(data)
                    if not eof:
                        continue
                    state.skipping = not final
                    return []
                state.offset += cut
                state.skipping = False
                data = data[cut:]
            data = self._partial + data
            first = data.find(b"\n")
            if first >= limit or (first < 0 and len(data) >= limit):
                self.long_lines += 1
                if first < 0:
                    state.offset += len(data)
                    state.skipping = True
                    self._partial = b""
                    continue
                state.offset += first + 1
                data = data[first + 1 :]
            end = data.rfind(b"\n") + 1
            if final and eof:
                end = len(data)
            self._partial = data[end:]
            if end == 0:
                if eof:
                    return []
                continue  # a line longer than one read, shorter than ``limit``
            state.offset += end
            lines = data[:end].decode("utf-8", "replace").split("\n")
            if lines[-1] == "":
                lines.pop()
            return lines

    def _read(self, f: IO[bytes], limit: int) -> bytes:
        try:
            return f.read(limit)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise OSError(f"{self.path}: cannot read at offset {self.state.offset}: {exc}") from exc

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._partial = b""


def new_state(path: Path, st: os.stat_result, head: bytes) -> FileState:
    return FileState(
        path=str(path),
        dev=st.st_dev,
        ino=st.st_ino,
        fp=fingerprint(head),
        fp_len=len(head),
        gz=is_gzip(path),
    )


def refresh_fingerprint(state: FileState, head: bytes) -> None:
    """Fingerprint more bytes of a file that was shorter than the fingerprint before."""
    if state.fp_len < FINGERPRINT_BYTES and len(head) > state.fp_len and state.matches_head(head):
        state.fp = fingerprint(head)
        state.fp_len = len(head)


__all__ = [
    "CHUNK_BYTES",
    "FINGERPRINT_BYTES",
    "FileState",
    "LineReader",
    "fingerprint",
    "is_gzip",
    "new_state",
    "read_head",
    "refresh_fingerprint",
]
