"""Series for a Graphite path pattern, read from the RRD files it names.

Timestamps follow whisper's rule so answers line up with graphite-web's: for
``from``/``until`` the points are at the multiples of the step in
``(from, until]`` (one point when that is empty), ``until`` is cut at ``now`` and
a range starting after ``now`` has no series.  An RRD row ending at ``T`` (the
value written at ``T``) is the point at ``T``: the sample a collector wrote at
``T`` is at ``T`` in both stores.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from graphmetrics.rrd import files, graph
from graphmetrics.web.graphite.series import Series
from graphmetrics.web.graphite.tree import MetricTree, Node, PatternError

MAX_SERIES = 2000
MAX_POINTS = 500_000


class ReadError(Exception):
    """A pattern naming too much, or a file that cannot be read; ``status`` for HTTP."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def window(start: int, end: int, step: int) -> tuple[int, int]:
    """Whisper's first timestamp and end (exclusive) for ``start``..``end`` at ``step``."""
    first = start - start % step + step
    stop = end - end % step + step
    if first == stop:
        stop += step
    return first, stop


class Reader:
    """Reads series for path patterns: :class:`MetricTree` names, :class:`RRDFiles` paths."""

    def __init__(self, rrd_dir: Path, rrd_files: files.RRDFiles, daemon: str | None) -> None:
        self.tree = MetricTree(str(rrd_dir))
        self.files = rrd_files
        self.daemon = daemon

    def fetch(self, pattern: str, start: int, end: int, now: int, xff: float = 0.0) -> list[Series]:
        if start > now:
            return []
        end = min(end, now)
        try:
            leaves = [n for n in self.tree.find(pattern) if n.is_leaf]
        except PatternError as exc:
            raise ReadError(str(exc)) from None
        if len(leaves) > MAX_SERIES:
            raise ReadError(f"{pattern!r} matches {len(leaves)} series, more than {MAX_SERIES}")
        by_file: dict[str, list[Node]] = defaultdict(list)
        for leaf in leaves:
            by_file[leaf.rel].append(leaf)
        try:
            found = self.files.resolve((rel, nodes[0].path) for rel, nodes in by_file.items())
        except files.FileError as exc:
            raise ReadError(str(exc), exc.status) from None
        result = []
        for rel, nodes in by_file.items():
            try:
                fetched = graph.fetch(found.paths[rel], start, end, self.daemon)
            except graph.RenderError as exc:
                raise ReadError(f"{rel}: {exc}", 500) from None
            first, stop = window(start, end, fetched.step)
            if (stop - first) // fetched.step > MAX_POINTS:
                raise ReadError(f"more than {MAX_POINTS} points per series: shorten the range")
            for node in nodes:
                column = fetched.names.index(node.ds)
                values = []
                for ts in range(first, stop, fetched.step):
                    row = (ts - fetched.start) // fetched.step - 1
                    inside = 0 <= row < len(fetched.rows)
                    values.append(fetched.rows[row][column] if inside else None)
                result.append(
                    Series(
                        node.path,
                        first,
                        stop,
                        fetched.step,
                        values,
                        xff=xff,
                        path_expression=pattern,
                    )
                )
        return sorted(result, key=lambda s: s.name)
