"""The series search index behind ``GET /series``.

The tree under the RRD directory can hold 100k files, so it is not listed on every
request: the index remembers each directory's mtime and its ``.rrd`` files and
sub-directories, and at most every ``check_interval`` seconds stats the known
directories, re-listing only those whose mtime changed (a file created, renamed or
removed changes its directory's mtime; data updates do not, and need not).
DS names come from the schemas (the collectors create every file), so no RRD file
is opened.  Tracelog instances also offer their virtual series (``headroom``).
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmetrics.rrd.graph import TRACELOG_VIRTUAL
from graphmetrics.rrd.schema import METRICS, TRACELOG

PER_PAGE = 100
MAX_QUERY = 200
MAX_PAGE = 100000
KINDS: dict[str, tuple[str, ...]] = {
    "tracelog": TRACELOG.data_sources + tuple(TRACELOG_VIRTUAL),
    "metrics": METRICS.data_sources,
}
# A directory changed this recently may change again within its mtime's resolution.
_SETTLE_NS = 2_000_000_000
_REGEX_ONLY = re.compile(r"[\^$()|+{}\\]|\.[*+?]")


class SearchError(ValueError):
    """A query or page number that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass
class _Dir:
    mtime_ns: int
    files: list[str]
    subdirs: list[str]


def compile_query(query: str) -> Callable[[str], bool]:
    """A predicate over series names for ``query``.

    ``re:...`` is a regular expression (searched anywhere in the name), ``glob:...``
    a shell pattern matching the whole name or the name after ``tracelog/`` or
    ``metrics/``.  Without a prefix, a query with ``*``, ``?`` or ``[`` and nothing
    that only a regular expression would contain (``^ $ ( ) | + { } \\ .* .+ .?``)
    is a glob; anything else is a regular expression.  Without a prefix the case is
    ignored and spaces mean "anything between" (``acme inst1`` finds
    ``tracelog/app1__acme__inst1``).  Empty matches everything.
    """
    if len(query) > MAX_QUERY:
        raise SearchError("q", f"longer than {MAX_QUERY} characters")
    if query.startswith("glob:"):
        return _glob(query[5:])
    if query.startswith("re:"):
        return _regex(query[3:])
    words = query.split()
    if any(c in query for c in "*?[") and not _REGEX_ONLY.search(query):
        return _glob("*".join(words), re.IGNORECASE)
    return _regex(".*".join(words), re.IGNORECASE)


def _regex(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise SearchError("q", f"bad regular expression {pattern!r}: {exc}") from None
    return lambda name: compiled.search(name) is not None


def _glob(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    compiled = re.compile(fnmatch.translate(pattern), flags)

    def match(name: str) -> bool:
        return compiled.match(name) is not None or compiled.match(name.split("/", 1)[1]) is not None

    return match


class SeriesIndex:
    """Series names under ``root`` (``tracelog/...`` and ``metrics/...``), kept fresh."""

    def __init__(
        self,
        root: Path,
        check_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.check_interval = check_interval
        self.clock = clock
        self.listings = 0  # directories listed so far: tells tests the tree is not re-walked
        self._dirs: dict[Path, _Dir] = {}
        self._names: list[str] = []
        self._generation = 0
        self._checked: float | None = None
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple[int, str], list[str]] = OrderedDict()

    def refresh(self, force: bool = False) -> None:
        """Re-list changed directories, unless checked less than ``check_interval`` ago."""
        with self._lock:
            now = self.clock()
            if (
                not force
                and self._checked is not None
                and now - self._checked < self.check_interval
            ):
                return
            self._checked = now
            changed = False
            for kind in KINDS:
                changed |= self._sync(self.root / kind)
            if changed:
                self._names = sorted(self._collect())
                self._generation += 1
                self._results.clear()

    def _sync(self, path: Path) -> bool:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return self._forget(path)
        known = self._dirs.get(path)
        changed = False
        if known is None or known.mtime_ns != mtime:
            known = self._list(path, mtime)
            changed = True
        for sub in known.subdirs:
            changed |= self._sync(path / sub)
        return changed

    def _list(self, path: Path, mtime: int) -> _Dir:
        files, subdirs = [], []
        self.listings += 1
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.name)
                elif entry.name.endswith(".rrd") and not entry.name.startswith("."):
                    files.append(entry.name[:-4])
        old = self._dirs.get(path)
        if old is not None:
            for gone in set(old.subdirs) - set(subdirs):
                self._forget(path / gone)
        if time.time_ns() - mtime < _SETTLE_NS:
            mtime = -1  # list it again next time
        listing = _Dir(mtime, files, subdirs)
        self._dirs[path] = listing
        return listing

    def _forget(self, path: Path) -> bool:
        gone = [p for p in self._dirs if p == path or path in p.parents]
        for p in gone:
            del self._dirs[p]
        return bool(gone)

    def _collect(self) -> list[str]:
        names = []
        for path, listing in self._dirs.items():
            rel = path.relative_to(self.root).as_posix()
            names += [f"{rel}/{name}" for name in listing.files]
        return names

    def matching(self, query: str) -> list[str]:
        """Sorted names matching ``query`` (see :func:`compile_query`)."""
        predicate = compile_query(query)
        self.refresh()
        with self._lock:
            key = (self._generation, query)
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            names = self._names
        found = names if not query else [name for name in names if predicate(name)]
        with self._lock:
            self._results[key] = found
            while len(self._results) > 32:
                self._results.popitem(last=False)
        return found

    def search(self, query: str, page: int = 1) -> dict[str, Any]:
        """One page of the answer of ``GET /series``."""
        if not 1 <= page <= MAX_PAGE:
            raise SearchError("page", f"must be between 1 and {MAX_PAGE}, got {page}")
        found = self.matching(query)
        chunk = found[(page - 1) * PER_PAGE : page * PER_PAGE]
        return {
            "total": len(found),
            "page": page,
            "per_page": PER_PAGE,
            "series": [{"name": name, "ds": list(KINDS[name.split("/", 1)[0]])} for name in chunk],
        }
