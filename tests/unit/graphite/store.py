"""An in-memory series store for evaluating targets in unit tests.

Each name maps to a step and a function of the timestamp (``None`` for a gap), so
functions that fetch again over another range (windows, shifts, bootstraps) see the
same data as the request; the evaluator's ``fetch`` is this module's :func:`fetch`.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from typing import Any

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import parse_target
from graphmetrics.graphite.series import Series, Value

START = 1_700_000_000 // 3600 * 3600
END = START + 600

Source = tuple[int, Callable[[int], Value]]


def _minutes(values: list[Value]) -> Callable[[int], Value]:
    """Values by minute from START: ``values[i]`` at ``START + 60 * i``, None beyond."""

    def at(ts: int) -> Value:
        i = (ts - START) // 60
        return values[i] if 0 <= i < len(values) else None

    return at


STORE: dict[str, Source] = {
    "a.x": (60, _minutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    "a.y": (60, _minutes([2, None, 6, 8, None, None, 14, 16, 18, 20])),
    "b.x": (60, _minutes([10, 10, 10, 10, 10, 10, 10, 10, 10, 10])),
    "c.x": (120, _minutes([1, 0, 3, 0, 5, 0, 7, 0, 9, 0])),
    "counter.x": (60, _minutes([0, 50, 100, 10, 60, None, 110, 20, 70, 120])),
    "wave.x": (60, lambda ts: round(math.sin(ts / 300) * 10, 6)),
    "empty.x": (60, lambda ts: None),
    "flat.x": (60, lambda ts: 10.0),
}


def fetch(pattern: str, start: int, end: int, now: int) -> list[Series]:
    result = []
    for name in sorted(STORE):
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        step, at = STORE[name]
        first = start - start % step
        stamps = range(first, end, step)
        values = [at(ts) for ts in stamps]
        result.append(Series(name, first, end, step, values, path_expression=pattern))
    return result


def render(target: str, start: int = START, end: int = END, xff: float = 0.0) -> list[Series]:
    ctx = Context(start, end, end, fetch, xff)
    return evaluate_target(ctx, parse_target(target))


def points(target: str, **times: Any) -> dict[str, list[Value]]:
    """``{name: values}`` of the target's series, values rounded to 9 decimals."""
    return {
        s.name: [None if v is None else round(v, 9) for v in s] for s in render(target, **times)
    }


def assert_points(got: dict[str, list[Value]], expected: dict[str, list[Value]]) -> None:
    """Same names in the same order, nulls in the same places, values within 1e-9."""
    assert list(got) == list(expected)
    for name, values in expected.items():
        assert len(got[name]) == len(values), name
        for a, b in zip(got[name], values, strict=True):
            assert (a is None) == (b is None), (name, got[name])
            if a is not None and b is not None:
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), (name, got[name])
