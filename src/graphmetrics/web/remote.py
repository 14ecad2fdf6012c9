"""The RRD reader on an rrdcached storage node (setting ``reader = rrdcached``).

Every read goes to the daemon at the ``rrdcached`` address, with paths relative to
its base directory (absolute ones are refused over TCP): rrdtool's ``--daemon``
for graphs, exports, fetches and ``info``; the protocol itself for what the binding
lacks (:mod:`graphmetrics.rrd.cached`): ``LAST`` of every file of a graph, sent on
one connection, stamps the render cache's ETag (rrdcached answers it from its
cache, so it moves with every update, written or pending); ``LIST RECURSIVE /``
lists the series for the series index, the Graphite tree and the tracelog
dashboards, at most every ``series_check_interval`` seconds; ``PING`` is the
``/healthz`` storage check.  No local disk is read.  A process talks to this one
daemon only (librrd keeps one daemon connection per process).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from zope.interface import implementer

from graphmetrics.render import graph
from graphmetrics.rrd import cached, files
from graphmetrics.rrd.layout import CARBON_DIR, KINDS, TRACELOG_DIR
from graphmetrics.web import tracelog
from graphmetrics.web.config import WebSettings
from graphmetrics.web.graphite.tree import MAX_NODES, Node, check_pattern, graphite_segment, matches
from graphmetrics.web.interfaces import IRRDReader, ISeriesIndex
from graphmetrics.web.reader import Renderer
from graphmetrics.web.series_index import Names, SeriesIndex

SUFFIX = ".rrd"
# rrdcached's protocol is one command a line, words split at spaces
_NOT_IN_PROTOCOL = re.compile(r"[\s\x00-\x1f\x7f]")


def _unavailable(exc: Exception) -> files.StorageUnavailable:
    return files.StorageUnavailable(f"the storage node cannot be read: {exc}")


@implementer(IRRDReader)
class RRDCachedReader(Renderer):
    """RRD files on the storage node at ``address``, read with relative paths."""

    backend = "rrdcached"

    def __init__(self, web: WebSettings, address: str) -> None:
        super().__init__(web, address)
        self.address = address
        self.kinds = frozenset(KINDS)

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        """The series' relative paths and stamps (``LAST`` of each, on one connection).

        :class:`~graphmetrics.rrd.files.FileError` for a bad path or one outside the
        known kinds' folders, ``SeriesNotFound`` for a file the node has not,
        ``StorageUnavailable`` when the node cannot be asked.
        """
        names: dict[str, str] = {}
        for rel, name in series:
            if rel in names:
                continue
            parts = files.check_relative(rel, name)
            if _NOT_IN_PROTOCOL.search(rel):
                raise files.FileError(
                    f"RRD path {rel!r} cannot be read from rrdcached: it has a space or "
                    f"control character (series {name})"
                )
            if len(parts) < 2 or parts[0] not in self.kinds:
                known = ", ".join(f"{kind}/" for kind in sorted(self.kinds))
                raise files.FileError(f"RRD path {rel!r} is not under {known} (series {name})")
            names[rel] = name
        rels = sorted(names)
        try:
            answers = cached.commands(self.address, [f"LAST {rel}{SUFFIX}" for rel in rels])
        except cached.DaemonError as exc:
            raise _unavailable(exc) from None
        stamp = []
        for rel, (status, _) in zip(rels, answers, strict=True):
            number, _, text = status.partition(" ")
            if number.startswith("-"):
                if "No such file" in text:
                    raise files.SeriesNotFound(f"no RRD file {rel!r} (series {names[rel]})")
                if "Too many levels of symbolic links" in text:  # a node with nosymfollow
                    raise files.FileError(
                        f"RRD path {rel!r} goes through a symbolic link, which the storage "
                        f"node does not follow (series {names[rel]})"
                    )
                raise files.StorageUnavailable(f"rrdcached cannot read {rel!r}: {text}")
            stamp.append((rel, int(text.split()[0]), 0))
        return files.GraphFiles({rel: rel + SUFFIX for rel in names}, tuple(stamp))

    def found(self, req: graph.RenderRequest) -> files.GraphFiles:
        return self.resolve((s.path, s.name) for s in req.graph.series)

    def last_updates(self, found: files.GraphFiles) -> dict[str, int]:
        """Each file's ``LAST``, which the stamp holds here."""
        return {rel: last for rel, last, _ in found.stamp}

    def series_names(self) -> list[str]:
        try:
            listed = cached.list_files(self.address)
        except cached.DaemonError as exc:
            raise _unavailable(exc) from None
        names = []
        for path in listed:
            parts = path.split("/")
            if (
                len(parts) >= 2
                and parts[0] in self.kinds
                and path.endswith(SUFFIX)
                and len(parts[-1]) > len(SUFFIX)
                and not any(part.startswith(".") for part in parts)
            ):
                names.append(path[: -len(SUFFIX)])
        return sorted(names)

    def data_sources(self, rel: str) -> tuple[str, ...]:
        try:
            return graph.data_sources(rel + SUFFIX, self.address)
        except graph.RenderError:
            return ()

    def check(self) -> str | None:
        """The storage node answers ``PING``."""
        try:
            cached.ping(self.address)
        except cached.DaemonError as exc:
            return f"rrdcached does not answer PING ({type(exc).__name__})"
        return None


class Listing:
    """The node's series names, listed again at most every ``check_interval`` seconds;
    ``generation`` moves on when they changed."""

    def __init__(
        self,
        reader: RRDCachedReader,
        check_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.check_interval = check_interval
        self.clock = clock
        self.names: list[str] = []
        self.generation = 0
        self._checked: float | None = None
        self._lock = threading.Lock()

    def current(self, force: bool = False) -> tuple[list[str], int]:
        with self._lock:
            now = self.clock()
            fresh = self._checked is not None and now - self._checked < self.check_interval
            if force or not fresh:
                names = self.reader.series_names()
                self._checked = now
                if names != self.names or self.generation == 0:
                    self.names = names
                    self.generation += 1
            return self.names, self.generation


class _ListedIndex(SeriesIndex):
    """:class:`SeriesIndex`'s search over the node's listing instead of folders."""

    def __init__(self, listing: Listing) -> None:
        super().__init__(Path("."), listing.check_interval, listing.clock)
        self.listing = listing

    def refresh(self, force: bool = False) -> None:
        names, generation = self.listing.current(force)
        with self._lock:
            if generation != self._generation:
                self._names = Names(names)
                self._generation = generation
                self._results.clear()


@implementer(ISeriesIndex)
class ListedSeries:
    """Series search and the tracelog instances, from the storage node's ``LIST``."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.index = _ListedIndex(listing)
        self._instances: tuple[int, list[tracelog.Instance]] = (0, [])

    def search(self, query: str, page: int = 1) -> dict[str, Any]:
        return self.index.search(query, page)

    def matching(self, query: str) -> list[str]:
        return self.index.matching(query)

    def tracelog_instances(self) -> list[tracelog.Instance]:
        names, generation = self.listing.current()
        known_generation, instances = self._instances
        if generation != known_generation:
            prefix = f"{TRACELOG_DIR}/"
            found = []
            for name in names:
                stem = name.removeprefix(prefix)
                if name.startswith(prefix) and "/" not in stem:
                    instance = tracelog.parse_stem(stem)
                    if instance is not None:
                        found.append(instance)
            instances = sorted(found)
            self._instances = (generation, instances)
        return instances


# Graphite name -> (the folder or file name it stands for, sub-level or series path)
Level = dict[str, tuple[str, Any]]


class ListedTree:
    """The Graphite metric tree (:class:`~.graphite.tree.MetricTree`'s rules) over the
    node's listing; each file's data sources read once with ``info``."""

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self._tree: tuple[int, Level] = (0, {})
        self._sources: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def _level(self) -> Level:
        names, generation = self.listing.current()
        known, tree = self._tree
        if generation != known:
            tree = {}
            # the kinds' folders first: they win over carbon names of the same first node
            for name in sorted(names, key=lambda n: n.startswith(f"{CARBON_DIR}/")):
                _insert(tree, name)
            with self._lock:
                present = set(names)
                self._sources = {k: v for k, v in self._sources.items() if k in present}
            self._tree = (generation, tree)
        return tree

    def sources(self, rel: str) -> tuple[str, ...]:
        found = self._sources.get(rel)
        if found is None:
            found = self.listing.reader.data_sources(rel)
            with self._lock:
                if len(self._sources) >= MAX_NODES:
                    self._sources = {}
                self._sources[rel] = found
        return found

    def find(self, pattern: str) -> list[Node]:
        segments = check_pattern(pattern)
        if not pattern or any(s == "" for s in segments):
            return []
        found: dict[str, Node] = {}
        self._walk(self._level(), segments, [], found)
        return [found[k] for k in sorted(found)]

    def _walk(self, level: Level, segments: list[str], prefix: list[str], found: dict) -> None:
        pattern, rest = segments[0], segments[1:]
        for name in sorted(matches(level, pattern)):
            if len(found) >= MAX_NODES:
                return
            entry = level[name][1]
            path = [*prefix, name]
            dotted = ".".join(path)
            if isinstance(entry, dict):
                if rest:
                    self._walk(entry, rest, path, found)
                else:
                    found.setdefault(dotted, Node(dotted, False))
                continue
            sources = self.sources(entry)
            if len(sources) == 1:
                if not rest:
                    found.setdefault(dotted, Node(dotted, True, entry, sources[0]))
            elif not rest:
                found.setdefault(dotted, Node(dotted, False))
            elif len(rest) == 1:
                for ds in sorted(matches(list(sources), rest[0])):
                    leaf = f"{dotted}.{ds}"
                    found.setdefault(leaf, Node(leaf, True, entry, ds))


def _insert(tree: Level, name: str) -> None:
    """Put series path ``name`` in ``tree``; where two map to one Graphite name, the
    first (sorted) wins, as in a folder listing.  A carbon series is at the tree's
    root, as in :class:`~.graphite.tree.MetricTree`."""
    parts = name.split("/")
    if parts[0] == CARBON_DIR:
        parts = parts[1:]
    level = tree
    for part in parts[:-1]:
        owner, sub = level.setdefault(graphite_segment(part), (part, {}))
        if owner != part or not isinstance(sub, dict):
            return
        level = sub
    level.setdefault(graphite_segment(parts[-1]), (parts[-1], name))
