"""Where a graph's RRD files are: strictly inside the RRD directory, cheaply per request.

The rule is :mod:`graphmetrics.rrd.layout`'s: no empty, ``.`` or ``..`` segment
(:func:`~graphmetrics.rrd.layout.check_relative`), and the real path, symlinks followed,
strictly inside the directory (:func:`~graphmetrics.rrd.layout.real_inside`).  Working
it out with ``realpath`` for every file of every ``/render`` cost more than all the
rest of the request around rrdtool, so :class:`RRDFiles` remembers per directory what
it resolved to:

* the RRD directory's real path, checked by one ``stat`` per request (same device
  and inode, else everything is worked out again);
* for each directory below it whose real path has no symlink in it (``tracelog``,
  ``metrics/host/cfg/section``), that path and its device and inode, checked by one
  ``lstat`` per request: a segment swapped for a symlink or a directory replaced
  changes what the path leads to, so the cached entry is dropped and the directory
  is resolved again with ``realpath``, refused if it now leaves the RRD directory;
* nothing about files: each one gets one ``lstat`` per request, which also gives
  the size and mtime for the ETag.  A symlinked file (or a file in a directory
  reached through a symlink) takes the full ``realpath`` check every time.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rrdtool

from graphmetrics.rrd import layout

# Directories remembered per RRD directory; beyond that the memory is cleared.
MAX_DIRECTORIES = 4096
# The folders the collectors write: a series path must start with one of them, so
# nothing else an operator keeps under the RRD directory can be read through /render.
KINDS = tuple(layout.KINDS)

Stamp = tuple[tuple[str, int, int], ...]


class FileError(Exception):
    """A series path that cannot be read: a bad one unless a subclass says otherwise."""


class SeriesNotFound(FileError):
    """The series path is well formed but no RRD file is there."""


class StorageUnavailable(FileError):
    """The storage (rrdcached) could not be asked; trying again later may work."""


@dataclass(frozen=True)
class GraphFiles:
    """Series path (without ``.rrd``) → real file path, and the data's stamp.

    ``stamp`` holds (series path, mtime ns, size) sorted by series path: it changes
    whenever the data does, so it goes into the ETag.
    """

    paths: dict[str, str]
    stamp: Stamp


def check_relative(rel: str, name: str) -> list[str]:
    """The segments of a series path; refuses absolute paths and empty/./.. segments."""
    try:
        return layout.check_relative(rel)
    except layout.UnsafePath:
        raise FileError(f"bad RRD path {rel!r} (series {name})") from None


class RRDFiles:
    """Resolves series paths inside one RRD directory, remembering its directories."""

    def __init__(self, rrd_dir: Path | str, kinds: Iterable[str] | None = KINDS) -> None:
        """``kinds`` None: any path below ``rrd_dir`` (a read-only root's tree)."""
        self.rrd_dir = str(rrd_dir)
        self.kinds = None if kinds is None else frozenset(kinds)
        self._lock = threading.Lock()
        self._base = ""
        self._base_id = (-1, -1)
        self._dirs: dict[str, tuple[str, int, int]] = {}

    def resolve(self, rels: Iterable[tuple[str, str]]) -> GraphFiles:
        """``rels`` are (series path, series name) pairs; the name is for messages.

        Raises :class:`FileError` for a bad path, one outside the known kinds'
        folders or one leaving the directory, :class:`SeriesNotFound` for a missing file.
        """
        base = self._real_base()
        paths: dict[str, str] = {}
        stamps: dict[str, tuple[str, int, int]] = {}
        checked: dict[str, str | None] = {}
        for rel, name in rels:
            if rel in paths:
                continue
            parts = check_relative(rel, name)
            if self.kinds is not None and (len(parts) < 2 or parts[0] not in self.kinds):
                known = ", ".join(f"{kind}/" for kind in sorted(self.kinds))
                raise FileError(f"RRD path {rel!r} is not under {known} (series {name})")
            if base is None:
                raise SeriesNotFound(f"no RRD file {rel!r} (series {name})")
            head = "/".join(parts[:-1])
            if head not in checked:
                checked[head] = self._directory(base, head)
            path, st = self._file(base, checked[head], rel, parts, name)
            paths[rel] = path
            stamps[rel] = (rel, st.st_mtime_ns, st.st_size)
        return GraphFiles(paths, tuple(stamps[rel] for rel in sorted(stamps)))

    def _real_base(self) -> str | None:
        try:
            st = os.stat(self.rrd_dir)
        except OSError:
            return None
        if (st.st_dev, st.st_ino) != self._base_id:
            with self._lock:
                self._base = os.path.realpath(self.rrd_dir)
                self._base_id = (st.st_dev, st.st_ino)
                self._dirs = {}
        return self._base

    def _directory(self, base: str, head: str) -> str | None:
        """The symlink-free real path of ``base/head``, or None (missing, or via a symlink)."""
        if not head:
            return base
        entry = self._dirs.get(head)
        if entry is not None:
            path, dev, ino = entry
            try:
                st = os.lstat(path)
            except OSError:
                st = None
            if st is not None and st.st_dev == dev and st.st_ino == ino:
                return path
            self._dirs.pop(head, None)
        literal = os.path.join(base, head)
        if os.path.realpath(literal) != literal:
            return None
        try:
            st = os.lstat(literal)
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return None
        if len(self._dirs) >= MAX_DIRECTORIES:
            self._dirs = {}
        self._dirs[head] = (literal, st.st_dev, st.st_ino)
        return literal

    def _file(
        self, base: str, directory: str | None, rel: str, parts: list[str], name: str
    ) -> tuple[str, os.stat_result]:
        leaf = parts[-1] + ".rrd"
        try:
            if directory is not None:
                path = os.path.join(directory, leaf)
                st = os.lstat(path)
                if not stat.S_ISLNK(st.st_mode):
                    return _regular(path, st, rel, name)
            path = os.path.realpath(os.path.join(base, *parts[:-1], leaf))
            if not layout.real_inside(base, path):
                raise FileError(f"RRD path {rel!r} leaves the RRD directory (series {name})")
            return _regular(path, os.stat(path), rel, name)
        except OSError:
            raise SeriesNotFound(f"no RRD file {rel!r} (series {name})") from None


def _regular(path: str, st: os.stat_result, rel: str, name: str) -> tuple[str, os.stat_result]:
    if not stat.S_ISREG(st.st_mode):
        raise SeriesNotFound(f"no RRD file {rel!r} (series {name})")
    return path, st


def flush(paths: Iterable[str], daemon: str | None) -> None:
    """Have rrdcached write pending updates so file times tell the data's age."""
    if daemon:
        try:
            rrdtool.flushcached("--daemon", daemon, *paths)
        except rrdtool.OperationalError as exc:
            raise StorageUnavailable(f"rrdcached: {exc}") from None


def restamp(files: GraphFiles) -> GraphFiles:
    """``files`` with the stamp taken again (after rrdcached flushed them)."""
    stamp = []
    for rel, *_ in files.stamp:
        try:
            st = os.stat(files.paths[rel])
        except OSError:
            raise SeriesNotFound(f"no RRD file {rel!r}") from None
        stamp.append((rel, st.st_mtime_ns, st.st_size))
    return GraphFiles(files.paths, tuple(stamp))
