"""Existing RRD trees served read-only beside the RRD directory (setting ``readonly_roots``).

``collectd=/var/lib/collectd/rrd munin=/var/lib/munin`` adds two named roots.  A file
``/var/lib/collectd/rrd/host1/load/load.rrd`` is the series path
``collectd/host1/load/load`` in the builder's search and ``/render``, and the Graphite
branch ``collectd.host1.load.load`` with one leaf per data source
(``collectd.host1.load.load.shortterm``; a file with a single data source is itself
the leaf).  Files keep their own data sources (any number, any type: GAUGE, COUNTER,
DERIVE, ABSOLUTE are read as rrdtool fetches them, rates for counters), steps and
archives; the data sources are read from each file (``rrdtool info``, remembered per
file until it changes).  Nothing of graphmetrics ever writes there (no collector
knows these paths), and the path-safety rules of the RRD directory apply unchanged:
no ``..``, nothing reached through a symlink out of the root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graphmetrics.rrd import files
from graphmetrics.rrd.layout import KINDS
from graphmetrics.web.graphite.tree import DataSources

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class ReadOnlyRoot:
    name: str
    path: Path


def parse_readonly_roots(text: str) -> tuple[ReadOnlyRoot, ...]:
    """``name=/path`` entries separated by white space or commas; empty: none."""
    roots: list[ReadOnlyRoot] = []
    for entry in text.replace(",", " ").split():
        name, eq, path = entry.partition("=")
        if not eq or not path:
            raise ValueError(f"{entry!r} is not name=/path/to/rrd/tree")
        if not _NAME.match(name) or name in KINDS:
            raise ValueError(
                f"read-only root name {name!r} must be letters, digits, '-', '_' and not "
                f"one of {', '.join(sorted(KINDS))}"
            )
        if any(root.name == name for root in roots):
            raise ValueError(f"read-only root {name!r} given twice")
        roots.append(ReadOnlyRoot(name, Path(path).expanduser()))
    return tuple(roots)


class ReadOnlyFiles:
    """Series paths of the read-only roots → their files, by the RRD directory's rules."""

    def __init__(self, roots: Iterable[ReadOnlyRoot]) -> None:
        self.roots = {root.name: root.path for root in roots}
        self._files = {name: files.RRDFiles(path, kinds=None) for name, path in self.roots.items()}
        self._sources = DataSources()

    def owns(self, rel: str) -> bool:
        return bool(self.roots) and rel.split("/", 1)[0] in self.roots

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        """Like :meth:`~graphmetrics.rrd.files.RRDFiles.resolve`, for ``name/...`` paths."""
        paths: dict[str, str] = {}
        stamp: list[tuple[str, int, int]] = []
        for rel, label in series:
            name, _, inner = rel.partition("/")
            if rel in paths:
                continue
            if not inner:
                raise files.FileError(f"RRD path {rel!r} names a read-only root, not a file")
            found = self._files[name].resolve([(inner, label)])
            paths[rel] = found.paths[inner]
            stamp += [(rel, mtime, size) for _, mtime, size in found.stamp]
        return files.GraphFiles(paths, tuple(sorted(stamp)))

    def data_sources(self, rel: str) -> tuple[str, ...]:
        try:
            path = self.resolve([(rel, rel)]).paths[rel]
            return self._sources.of(path, os.stat(path))
        except (files.FileError, OSError):
            return ()


def split(
    series: Iterable[tuple[str, str]], readonly: ReadOnlyFiles
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the RRD directory's series, the read-only roots' series)."""
    mine: list[tuple[str, str]] = []
    theirs: list[tuple[str, str]] = []
    for item in series:
        (theirs if readonly.owns(item[0]) else mine).append(item)
    return mine, theirs


def merge(a: files.GraphFiles, b: files.GraphFiles) -> files.GraphFiles:
    return files.GraphFiles({**a.paths, **b.paths}, tuple(sorted(a.stamp + b.stamp)))
