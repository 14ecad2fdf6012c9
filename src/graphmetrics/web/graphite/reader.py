"""Series for a Graphite path pattern, read from the RRD files it names.

Timestamps follow whisper's rule so answers line up with graphite-web's: for
``from``/``until`` the points are at the multiples of the step in
``(from, until]`` (one point when that is empty), ``until`` is cut at ``now`` and
a range starting after ``now`` has no series.  An RRD row ending at ``T`` (the
value written at ``T``) is the point at ``T``: the sample a collector wrote at
``T`` is at ``T`` in both stores.
"""

from __future__ import annotations

import time
from collections import defaultdict
from operator import itemgetter
from typing import Protocol

from zope.interface import implementer

from graphmetrics.graphite.limits import Budget
from graphmetrics.graphite.series import Series, Value
from graphmetrics.render import estimate, graph
from graphmetrics.rrd import files
from graphmetrics.text import quoted
from graphmetrics.web.errors import http_status
from graphmetrics.web.graphite.tree import Node, PatternError
from graphmetrics.web.interfaces import IGraphiteFinder
from graphmetrics.web.reader import Renderer

MAX_SERIES = 2000
MAX_POINTS = 500_000


class Tree(Protocol):
    """What finds Graphite names: :class:`~.tree.MetricTree` (local files) or
    :class:`~graphmetrics.web.remote.ListedTree` (an rrdcached storage node)."""

    def find(self, pattern: str) -> list[Node]: ...


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


def column_values(fetched: graph.Fetched, column: int, first: int, stop: int) -> list[Value]:
    """The values of ``column`` at ``first``, ``first + step`` ... before ``stop``: the
    row ending at each time, None outside the rows."""
    step = fetched.step
    count = (stop - first + step - 1) // step
    row = (first - fetched.start) // step - 1
    if (first - fetched.start) % step:  # not on the rows' grid: one by one
        rows = fetched.rows
        return [
            rows[r][column] if 0 <= (r := (ts - fetched.start) // step - 1) < len(rows) else None
            for ts in range(first, stop, step)
        ]
    before = min(max(-row, 0), count)
    inside = fetched.rows[max(row, 0) : max(row + count, 0)]
    values: list[Value] = [None] * before
    values += map(itemgetter(column), inside)
    values += [None] * (count - len(values))
    return values


@implementer(IGraphiteFinder)
class Reader:
    """Reads series for path patterns: the tree's names, the RRD reader's data."""

    def __init__(self, tree: Tree, rrd: Renderer) -> None:
        self.tree = tree
        self.rrd = rrd

    def find(self, pattern: str) -> list[Node]:
        return self.tree.find(pattern)

    def intervals(self, leaves: list[Node]) -> dict[str, list[dict[str, float]]]:
        """Each leaf's time span, as graphite-web's ``find?format=json`` gives it:
        from now minus the file's longest retention to its last update (never
        before that start).  graphite-web takes a whisper file's mtime for the end;
        an RRD file says when its data ends.  A file that cannot be read has none.
        """
        paths = self.rrd.resolve((n.rel, n.path) for n in leaves).paths
        spans = {rel: self._span(path, rel) for rel, path in paths.items()}
        return {node.path: spans.get(node.rel, []) for node in leaves}

    def _span(self, path: str, rel: str) -> list[dict[str, float]]:
        """One file's interval (read once for all its data sources), [] if unreadable."""
        try:
            info = graph.file_info(path, self.rrd.daemon_for([rel]))
        except graph.ReadFailed:
            return []
        step = int(info["step"])
        retention = max(
            int(v) * int(info[k.replace(".rows", ".pdp_per_row")]) * step
            for k, v in info.items()
            if k.startswith("rra[") and k.endswith(".rows")
        )
        start = time.time() - retention
        return [{"start": start, "end": max(float(info["last_update"]), start)}]

    def fetch(
        self,
        pattern: str,
        start: int,
        end: int,
        now: int,
        xff: float = 0.0,
        budget: Budget | None = None,
    ) -> list[Series]:
        """The series of ``pattern``'s leaves; their cost is charged to ``budget``
        (files x rows x data sources, and the series' points) before they are read."""
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

        def charge(last_updates: dict[str, int]) -> None:
            """Files x rows x data sources, and each leaf's points, before reading."""
            if budget is None:
                return
            rows = estimate.fetch_values(last_updates, start, end)
            points = 0
            for rel, nodes in by_file.items():
                last = last_updates.get(rel, now)
                step = estimate.fetch_step(estimate.schema_of(rel), start, last)
                points += len(nodes) * ((end - start) // step + 2)
            budget.charge_points(rows + points, quoted(pattern))

        try:
            fetched_all = self.rrd.fetch(
                ((rel, nodes[0].path) for rel, nodes in by_file.items()), start, end, charge
            )
        except files.FileError as exc:
            raise ReadError(str(exc), http_status(exc)) from None
        except graph.RenderError as exc:
            raise ReadError(str(exc), http_status(exc)) from None
        result = []
        for rel, nodes in by_file.items():
            fetched = fetched_all[rel]
            first, stop = window(start, end, fetched.step)
            if (stop - first) // fetched.step > MAX_POINTS:
                raise ReadError(f"more than {MAX_POINTS} points per series: shorten the range")
            for node in nodes:
                values = column_values(fetched, fetched.names.index(node.ds), first, stop)
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
