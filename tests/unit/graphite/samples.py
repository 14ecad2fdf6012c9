"""Small series for the Graphite function tables: a pure evaluator run, no files."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import parse_target
from graphmetrics.graphite.series import Series

START, STEP = 1_700_000_000, 60
N = None
DATA: dict[str, list[float | None]] = {
    "a.b.one": [1.0, 2.0, 3.0, 4.0],
    "a.b.two": [4.0, N, 0.0, 2.0],
    "a.c.three": [N, 10.0, 10.0, N],
    "a.c.empty": [N, N, N, N],
    "x.y10.z": [5.0, 5.0, 5.0, 5.0],
    "x.y2.z": [-1.0, 0.0, 1.0, 0.0],
}


def fetch(pattern: str, start: int, end: int, now: int) -> list[Series]:
    names = sorted(n for n in DATA if len(n.split(".")) == len(pattern.split(".")))
    return [
        Series(n, START, START + STEP * 4, STEP, DATA[n], path_expression=pattern)
        for n in names
        if fnmatch(n, pattern)
    ]


def run(target: str, **context: Any) -> list[tuple[str, list[float | None]]]:
    """(name, values) of each series ``target`` gives over :data:`DATA`."""
    ctx = Context(START, START + STEP * 4, START + STEP * 4, fetch, **context)
    return [(s.name, list(s)) for s in evaluate_target(ctx, parse_target(target))]


def names(target: str, **context: Any) -> list[str]:
    return [name for name, _ in run(target, **context)]
