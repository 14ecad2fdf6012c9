"""The RRD directory as a Graphite metric tree.

A metric name is the RRD path relative to the RRD directory with ``/`` → ``.`` and
every ``.`` inside a segment → ``_``: ``metrics/db1.example.com/cimaa/load/load1.rrd``
is ``metrics.db1_example_com.cimaa.load.load1``.  A file with one data source is a
leaf; a file with several is a branch with one leaf per data source
(``tracelog.app1__acme__inst1.rpm``).  The carbon receiver's folder is the root of
the tree itself, as carbon's whisper directory is graphite-web's:
``carbon/servers/web1/cpu/user.rrd`` is ``servers.web1.cpu.user``, the name it was
sent under (a carbon name starting with ``tracelog.`` or ``metrics.`` is hidden by
those kinds).  Only the kinds' folders are walked, symlinks are never followed,
hidden entries are skipped, and where two entries map to the same name the first in
sorted order wins.

Patterns are Graphite's: per dot-separated segment ``*``, ``?``, ``[...]`` and
``{a,b}`` (fnmatch after brace expansion, as graphite-web's finders do).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
import threading
from collections.abc import Collection
from dataclasses import dataclass

from graphmetrics.render import graph
from graphmetrics.rrd.layout import CARBON_DIR, KINDS
from graphmetrics.text import quoted

#: The kinds whose folder is a first node of the tree; the carbon folder's entries
#: are first nodes themselves.
ROOTS = tuple(kind for kind in KINDS if kind != CARBON_DIR)
MAX_DEPTH = 64
MAX_VARIANTS = 1000
MAX_PATTERN = 2000
_WILDCARD = re.compile(r"[*?\[]")
_BRACES = re.compile(r".*(\{([^{}]*)\})")
MAX_NODES = 100_000


class PatternError(ValueError):
    """A pattern too costly to match (too deep, too many brace alternatives)."""


def check_pattern(pattern: str) -> list[str]:
    """The pattern's segments; :class:`PatternError` when it would cost too much.

    Brace alternatives are counted after expansion (``{{a,b},c}`` is three, nested
    groups multiply), each segment's and the whole pattern's.
    """
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"pattern longer than {MAX_PATTERN} characters")
    segments = pattern.split(".")
    if len(segments) > MAX_DEPTH:
        raise PatternError(f"pattern has more than {MAX_DEPTH} nodes")
    total = 1
    for segment in segments:
        total *= len(expand_braces(segment))
        if total > MAX_VARIANTS:
            raise PatternError(
                f"pattern {quoted(pattern)} expands to more than {MAX_VARIANTS} alternatives"
            )
    return segments


@dataclass(frozen=True)
class Node:
    """A found metric: ``path`` is its Graphite name.

    Leaves carry ``rel`` (the RRD path below the RRD directory, without ``.rrd``)
    and ``ds``, the data source they read.
    """

    path: str
    is_leaf: bool
    rel: str = ""
    ds: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def graphite_segment(segment: str) -> str:
    return segment.replace(".", "_")


@functools.lru_cache(maxsize=1024)
def expand_braces(pattern: str) -> tuple[str, ...]:
    """``a{b,c}d`` → ``abd``, ``acd`` (graphite-web's ``expand_braces``, same order).

    :class:`PatternError` once more than :data:`MAX_VARIANTS` strings were made on
    the way: the work is counted, not the groups, so nesting cannot hide it.
    """
    done: dict[str, None] = {}
    pending = [pattern]
    made = 0
    while pending:
        text = pending.pop()
        match = _BRACES.search(text)
        if match is None:
            done.setdefault(text)
            continue
        start, end = match.span(1)
        parts = match.group(2).split(",")
        made += len(parts)
        if made > 4 * MAX_VARIANTS or len(done) > MAX_VARIANTS:
            raise PatternError(
                f"pattern node {quoted(pattern)} expands to more than {MAX_VARIANTS} alternatives"
            )
        pending.extend(text[:start] + part + text[end:] for part in reversed(parts))
    return tuple(done)


def matches(names: Collection[str], pattern: str) -> set[str]:
    """The names matching ``pattern``: literal alternatives looked up, the rest fnmatch'd."""
    found: set[str] = set()
    listed: list[str] | None = None
    for variant in expand_braces(pattern):
        if not _WILDCARD.search(variant):
            if variant in names:
                found.add(variant)
            continue
        if listed is None:
            listed = list(names)
        found.update(fnmatch.filter(listed, variant))
    return found


class DataSources:
    """The data source names of RRD files, remembered per (device, inode, mtime)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int, int], tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def of(self, path: str, st: os.stat_result) -> tuple[str, ...]:
        key = (st.st_dev, st.st_ino, st.st_mtime_ns)
        known = self._known.get(path)
        if known is not None and known[0] == key:
            return known[1]
        try:
            names = graph.data_sources(path)
        except graph.RenderError:
            return ()
        with self._lock:
            if len(self._known) >= MAX_NODES:
                self._known = {}
            self._known[path] = (key, names)
        return names


@dataclass
class _Dir:
    """One directory level: Graphite name → (real path, is directory, stat)."""

    entries: dict[str, tuple[str, bool, os.stat_result]]


def _list(directory: str) -> _Dir:
    entries: dict[str, tuple[str, bool, os.stat_result]] = {}
    try:
        with os.scandir(directory) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError:
        return _Dir(entries)
    for entry in items:
        if entry.name.startswith("."):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            entries.setdefault(graphite_segment(entry.name), (entry.path, True, st))
        elif stat.S_ISREG(st.st_mode) and entry.name.endswith(".rrd") and len(entry.name) > 4:
            entries.setdefault(graphite_segment(entry.name[:-4]), (entry.path, False, st))
    return _Dir(entries)


def _real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


class MetricTree:
    """Finds Graphite names in one RRD directory, and in the read-only roots (``name``
    → folder): a root's files are below its name's node, and their series paths are
    ``name/<path in the root>``."""

    def __init__(self, rrd_dir: str, readonly: dict[str, str] | None = None) -> None:
        self.rrd_dir = rrd_dir
        self.readonly = dict(readonly or {})
        self.sources = DataSources()

    def find(self, pattern: str) -> list[Node]:
        """Every node matching ``pattern``, sorted by name (branches and leaves).

        Raises :class:`PatternError` for a pattern too costly to match.
        """
        segments = check_pattern(pattern)
        if not pattern or any(s == "" for s in segments):
            return []
        base = os.path.realpath(self.rrd_dir)
        found: dict[str, Node] = {}
        roots = {
            name: (os.path.join(base, name), True, os.lstat(os.path.join(base, name)))
            for name in ROOTS
            if _real_dir(os.path.join(base, name))
        }
        origins: dict[str, tuple[str, str]] = {}
        for name, folder in self.readonly.items():
            real = os.path.realpath(folder)
            if name not in roots and os.path.isdir(real):
                roots[name] = (real, True, os.stat(real))
                origins[name] = (real, f"{name}/")
        carbon = os.path.join(base, CARBON_DIR)
        if _real_dir(carbon):
            for name, entry in _list(carbon).entries.items():
                roots.setdefault(name, entry)
        pattern, rest = segments[0], segments[1:]
        level = _Dir(roots)
        for name in sorted(matches(list(roots), pattern)):
            origin = origins.get(name, (base, ""))
            self._walk(level, [_literal(name), *rest], [], origin, found)
        return [found[k] for k in sorted(found)]

    def _walk(
        self,
        level: _Dir,
        segments: list[str],
        prefix: list[str],
        origin: tuple[str, str],
        found: dict[str, Node],
    ) -> None:
        """``origin``: the folder series paths are relative to, and what precedes them."""
        pattern, rest = segments[0], segments[1:]
        base, head = origin
        for name in sorted(matches(level.entries, pattern)):
            if len(found) >= MAX_NODES:
                return
            real, is_dir, st = level.entries[name]
            path = [*prefix, name]
            if is_dir:
                if rest:
                    self._walk(_list(real), rest, path, origin, found)
                else:
                    found.setdefault(".".join(path), Node(".".join(path), False))
                continue
            rel = head + os.path.relpath(real, base)[:-4]
            sources = self.sources.of(real, st)
            if len(sources) == 1:
                if not rest:
                    found.setdefault(".".join(path), Node(".".join(path), True, rel, sources[0]))
            elif not rest:
                found.setdefault(".".join(path), Node(".".join(path), False))
            elif len(rest) == 1:
                for ds in sorted(matches(list(sources), rest[0])):
                    leaf = ".".join([*path, ds])
                    found.setdefault(leaf, Node(leaf, True, rel, ds))


def _literal(name: str) -> str:
    """``name`` as an fnmatch pattern matching only itself."""
    return "".join(f"[{c}]" if c in "*?[]{}" else c for c in name)
