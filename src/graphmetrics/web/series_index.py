"""The series search index behind ``GET /series``.

The tree under the RRD directory can hold 100k files, so it is not listed on every
request: the index remembers each directory's mtime and its ``.rrd`` files and
sub-directories, and at most every ``check_interval`` seconds stats the known
directories, re-listing only those whose mtime changed (a file created, renamed or
removed changes its directory's mtime; data updates do not, and need not).
DS names come from the schemas (the collectors create every file), so no RRD file
is opened.  Tracelog instances also offer their virtual series (``headroom``).

Queries are matched by RE2 (``google-re2``), whose time is linear in the name's
length whatever the pattern: Python's backtracking ``re`` takes exponential time on
a pattern such as ``^(([a-z0-9/]+)+)+X`` and holds the GIL meanwhile, freezing every
other request.  RE2 has no backreferences or lookaround; a pattern using them is a
400 saying so.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re2

from graphmetrics.render.graph import TRACELOG_VIRTUAL
from graphmetrics.rrd.layout import KINDS as LAYOUT_KINDS
from graphmetrics.rrd.layout import TRACELOG_DIR
from graphmetrics.text import quoted

PER_PAGE = 100
MAX_QUERY = 200
MAX_PAGE = 100000
#: Folder → the data sources a series in it offers (the tracelog's virtual ones too).
KINDS: dict[str, tuple[str, ...]] = {
    kind.folder: kind.schema.data_sources
    + (tuple(TRACELOG_VIRTUAL) if kind.folder == TRACELOG_DIR else ())
    for kind in LAYOUT_KINDS.values()
}
# A directory changed this recently may change again within its mtime's resolution.
_SETTLE_NS = 2_000_000_000
_REGEX_ONLY = re.compile(r"[\^$()|+{}\\]|\.[*+?]")
_TEXT_ANCHOR = re.compile(r"(?<!\\)(?:\\\\)*\\[Az]")
# RE2's memory for one compiled query: enough for any 200-character pattern but a
# few nested counted repetitions, which RE2 then refuses ("pattern too large").
_RE2_MAX_MEM = 8 << 20


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # refusals are the user's 400, not the server's log
    options.never_nl = True  # one name per line of Names.text: no match spans two
    options.max_mem = _RE2_MAX_MEM
    return options


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


def compile_query(query: str) -> re2._Regexp | None:
    """The RE2 program finding ``query``'s names in :class:`Names` text; None for all.

    ``re:...`` is a regular expression (searched anywhere in the name), ``glob:...``
    a shell pattern matching the whole name or the name after ``tracelog/``,
    ``metrics/`` or ``carbon/`` (where ``.`` also matches ``/``: Graphite names).
    Without a prefix, a query with ``*``, ``?`` or ``[`` and nothing
    that only a regular expression would contain (``^ $ ( ) | + { } \\ .* .+ .?``)
    is a glob; anything else is a regular expression.  Without a prefix the case is
    ignored and spaces mean "anything between" (``acme inst1`` finds
    ``tracelog/app1__acme__inst1``).  Empty matches everything.
    """
    if len(query) > MAX_QUERY:
        raise SearchError("q", f"longer than {MAX_QUERY} characters")
    if not query:
        return None
    if query.startswith("glob:"):
        return _glob(query[5:])
    if query.startswith("re:"):
        return _regex(query[3:])
    words = query.split()
    if any(c in query for c in "*?[") and not _REGEX_ONLY.search(query):
        return _glob("*".join(words), ignore_case=True)
    return _regex(".*".join(words), ignore_case=True)


def _compile(regex: str, what: str, text: str, ignore_case: bool = False) -> re2._Regexp:
    """``regex`` for :meth:`Names.matching`: one name per line, ``^``/``$`` at its ends,
    and no match across a newline."""
    flags = "mi" if ignore_case else "m"
    try:
        return re2.compile(f"(?{flags}:{regex})".encode(), _re2_options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        reason = reason.replace(f"(?{flags}:{regex})", text)
        raise SearchError("q", f"bad {what} {quoted(text)}: {reason} (RE2 syntax)") from None


def _regex(pattern: str, ignore_case: bool = False) -> re2._Regexp:
    if _TEXT_ANCHOR.search(pattern):
        raise SearchError("q", "use ^ and $ for the start and end of a name, not \\A, \\z")
    return _compile(pattern, "regular expression", pattern, ignore_case)


def _glob(pattern: str, ignore_case: bool = False) -> re2._Regexp:
    # the whole name, or the name after its first "/" (tracelog/, metrics/)
    return _compile(f"^(?:[^/]*/)?{glob_to_regex(pattern)}$", "glob", pattern, ignore_case)


class Names:
    """Sorted series names, also as one UTF-8 text of a name per line, which RE2
    searches at its own speed (a call per name would cost more than the search)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        # a name with a newline (a strange file name) cannot be a line of the text
        self._lines = [name for name in names if "\n" not in name]
        self._odd = [name for name in names if "\n" in name]
        encoded = [name.encode() for name in self._lines]
        self.text = b"\n".join(encoded)
        self._starts = list(itertools.accumulate((len(e) + 1 for e in encoded), initial=0))

    def matching(self, program: re2._Regexp) -> list[str]:
        found, pos = [], 0
        while pos <= len(self.text) and (match := program.search(self.text, pos)) is not None:
            line = bisect.bisect_right(self._starts, match.start()) - 1
            found.append(self._lines[line])
            pos = self._starts[line + 1]
        if self._odd:
            found = sorted(found + [n for n in self._odd if program.search(n.encode())])
        return found


def glob_to_regex(pattern: str) -> str:
    """A shell pattern as an RE2 regular expression matching the same whole names.

    ``*`` any run of characters, ``?`` one, ``[abc]``/``[a-z]``/``[!abc]`` one of (or
    none of) a set; a ``[`` without its ``]`` is itself; ``.`` is a dot or a ``/``, so
    ``servers.web1.*`` finds the carbon series ``carbon/servers/web1/cpu/user`` by the
    name it was sent under.  (``fnmatch.translate``
    emits lookaheads and backreferences, which RE2 has not.)
    """
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == ".":
            out.append("[./]")  # a Graphite name's dot is a carbon series' folder
        elif c == "[" and (end := _class_end(pattern, i)) > 0:
            body = pattern[i:end]
            i = end + 1
            negate = body.startswith("!")
            body = body[1:] if negate else body
            escaped = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{escaped}]")
        else:
            out.append(re.escape(c))
    return "(?s:" + "".join(out) + ")"


def _class_end(pattern: str, i: int) -> int:
    """Where the ``]`` closing a ``[`` before ``i`` is (a leading ``!`` or ``]`` is in
    the set), or -1."""
    j = i + 1 if pattern.startswith("!", i) else i
    j = j + 1 if pattern.startswith("]", j) else j
    return pattern.find("]", j)


class SeriesIndex:
    """Series names under ``root`` (``tracelog/...`` and ``metrics/...``), kept fresh."""

    def __init__(
        self,
        root: Path,
        check_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        folders: tuple[str, ...] = tuple(KINDS),
        prefix: str = "",
    ) -> None:
        """``folders`` under ``root`` are listed (``""``: all of it, for a read-only
        root), each name preceded by ``prefix`` (a read-only root's ``name/``)."""
        self.root = root
        self.folders = folders
        self.prefix = prefix
        self.check_interval = check_interval
        self.clock = clock
        self.listings = 0  # directories listed so far: tells tests the tree is not re-walked
        self._dirs: dict[Path, _Dir] = {}
        self._names = Names([])
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
            for folder in self.folders:
                changed |= self._sync(self.root / folder if folder else self.root)
            if changed:
                self._names = Names(sorted(self._collect()))
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
            head = self.prefix if rel == "." else f"{self.prefix}{rel}/"
            names += [f"{head}{name}" for name in listing.files]
        return names

    def matching(self, query: str) -> list[str]:
        """Sorted names matching ``query`` (see :func:`compile_query`)."""
        program = compile_query(query)
        self.refresh()
        with self._lock:
            key = (self._generation, query)
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            names = self._names
        found = names.names if program is None else names.matching(program)
        with self._lock:
            self._results[key] = found
            while len(self._results) > 32:
                self._results.popitem(last=False)
        return found

    def search(self, query: str, page: int = 1) -> dict[str, Any]:
        """One page of the answer of ``GET /series``."""
        check_page(page)
        return search_page(self.matching(query), page)


def check_page(page: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise SearchError("page", f"must be between 1 and {MAX_PAGE}, got {page}")


def search_page(
    found: list[str], page: int, sources: Callable[[str], tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """One page of ``GET /series`` over ``found``; a kind's series offer its schema's
    data sources, others (read-only roots) ``sources(name)``, read from the file."""
    check_page(page)
    chunk = found[(page - 1) * PER_PAGE : page * PER_PAGE]
    series = []
    for name in chunk:
        ds = KINDS.get(name.split("/", 1)[0])
        if ds is None:
            ds = sources(name) if sources is not None else ()
        series.append({"name": name, "ds": list(ds)})
    return {"total": len(found), "page": page, "per_page": PER_PAGE, "series": series}
