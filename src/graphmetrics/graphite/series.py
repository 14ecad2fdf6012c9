"""Graphite's time series: values at ``start``, ``start + step``, … before ``end``.

Semantics follow graphite-web's ``TimeSeries``: ``consolidate(n)`` makes iteration
yield one value per ``n`` (the series' consolidation function over the non-null
values, null when fewer than ``xFilesFactor`` of them are known), and
``datapoints()`` pairs values with their timestamps for the JSON answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import reduce
from itertools import zip_longest
from typing import Any

Value = float | int | None


def _avg(values: Sequence[float]) -> float:
    return sum(values) / len(values)


CONSOLIDATE: dict[str, Callable[[Sequence[float]], float]] = {
    "sum": sum,
    "average": _avg,
    "avg": _avg,
    "max": max,
    "min": min,
    "first": lambda v: v[0],
    "last": lambda v: v[-1],
    "avg_zero": _avg,
}


class Series(list[Value]):
    def __init__(
        self,
        name: str,
        start: int,
        end: int,
        step: int,
        values: Iterable[Value],
        consolidate: str = "average",
        xff: float = 0.0,
        path_expression: str | None = None,
    ) -> None:
        super().__init__(values)
        self.name = name
        self.start = start
        self.end = end
        self.step = step
        self.consolidation = consolidate
        self.values_per_point = 1
        self.xff = xff
        self.path_expression = path_expression or name
        # how PNG draws it (color, lineWidth, dashed, stacked, secondYAxis, …)
        self.options: dict[str, Any] = {}

    def copy_with(self, **changes: Any) -> Series:
        values = changes.pop("values", list(self))
        fields = {
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "step": self.step,
            "consolidate": self.consolidation,
            "xff": self.xff,
            **changes,
        }
        copy = Series(values=values, path_expression=self.path_expression, **fields)
        copy.options = dict(self.options)
        return copy

    def consolidate(self, values_per_point: int) -> None:
        self.values_per_point = int(values_per_point)

    def __iter__(self) -> Iterator[Value]:
        if self.values_per_point > 1:
            return self._consolidated()
        return super().__iter__()

    def raw(self) -> list[Value]:
        return list(super().__iter__())

    def _consolidated(self) -> Iterator[Value]:
        func = CONSOLIDATE[self.consolidation]
        n = self.values_per_point
        raw = self.raw()
        zero = self.consolidation == "avg_zero"
        for i in range(0, len(raw), n):
            window = raw[i : i + n]
            known = [v for v in window if v is not None]
            usable = [0 if v is None else v for v in window] if zero else known
            yield func(usable) if known and len(known) / n >= self.xff else None

    def datapoints(self) -> list[tuple[Value, int]]:
        timestamps = range(
            int(self.start), int(self.end) + 1, int(self.step * self.values_per_point)
        )
        return list(zip(self, timestamps, strict=False))


def lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


class EmptyResult(Exception):
    pass


def normalize(series_lists: Sequence[Sequence[Series]]) -> tuple[list[Series], int, int, int]:
    """Bring series to one step (the lcm); graphite's ``normalize``."""
    series = [s for group in series_lists for s in group]
    if not series:
        raise EmptyResult
    step = reduce(lcm, [s.step for s in series])
    for s in series:
        s.consolidate(step // s.step)
    start = min(s.start for s in series)
    end = max(s.end for s in series)
    end -= (end - start) % step
    return series, start, end, step


def rows(series: Sequence[Series]) -> Iterator[tuple[Value, ...]]:
    return zip_longest(*series)
