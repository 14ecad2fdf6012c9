"""``rrdtool update`` arguments (``ts:v1:v2...``) from samples.

The store formats every sample it writes here, so this module is compiled with mypyc
(``HOT_MODULES`` in setup.py); values are typed ``object`` and checked at run time,
as a compiled ``float`` parameter would silently take ints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def format_value(value: object) -> str:
    """A value as ``rrdtool update`` takes it; None, NaN and infinities are unknown (U)."""
    if value is None:
        return "U"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "U"
    if isinstance(value, int):
        return str(value)
    return repr(value)


def format_update(ts: int, values: Sequence[object]) -> str:
    """``ts:v1:v2...`` as ``rrdtool update`` takes it."""
    if len(values) == 1:
        return f"{ts}:{format_value(values[0])}"
    return f"{ts}:" + ":".join([format_value(v) for v in values])


def format_updates(times: list[int], by_time: Mapping[int, Sequence[object]]) -> list[str]:
    """One update argument per timestamp of ``times``, with its values from ``by_time``."""
    return [format_update(ts, by_time[ts]) for ts in times]


def ordered_updates(
    samples: object, width: int, last: int, given: list[str] | None = None
) -> list[str] | None:
    """The update arguments of ``samples`` in one pass when they need no arranging: a
    list of (int time, ``width`` values), times strictly increasing, all after ``last``
    (a collector's usual batch).  None otherwise: :func:`arrange` them.  ``given``:
    the samples' arguments already made by the caller (one per sample, in order),
    returned instead of formatting them again."""
    if not isinstance(samples, list):
        return None
    if given is not None and len(given) == len(samples):
        return given if in_order(samples, width, last) else None
    updates: list[str] = []
    previous = last
    for sample in samples:
        if not isinstance(sample, tuple) or len(sample) != 2:
            return None
        ts = sample[0]
        values = sample[1]
        if type(ts) is not int or ts <= previous or len(values) != width:
            return None
        previous = ts
        updates.append(format_update(ts, values))
    return updates


def in_order(samples: list[Any], width: int, last: int) -> bool:
    """Whether ``samples`` are (int time, ``width`` values), times strictly increasing
    and all after ``last``: what :func:`ordered_updates` takes as it is."""
    previous = last
    for sample in samples:
        if not isinstance(sample, tuple) or len(sample) != 2:
            return False
        ts = sample[0]
        if type(ts) is not int or ts <= previous or len(sample[1]) != width:
            return False
        previous = ts
    return True


def arrange(samples: Iterable[Any], width: int) -> tuple[list[int], dict[int, Sequence[object]]]:
    """``samples`` ((time, values) pairs) by timestamp (the last of a repeated one
    wins; a float time taken as its int), each padded with unknowns to ``width``
    values (the leading DS given), and their times in order."""
    by_time: dict[int, Sequence[object]] = {}
    ordered = True
    previous = -1
    for ts, values in samples:
        if len(values) < width:
            values = tuple(values) + (None,) * (width - len(values))
        t = int(ts)
        if t <= previous:
            ordered = False
        previous = t
        by_time[t] = values
    return (list(by_time) if ordered else sorted(by_time)), by_time


def at_times(
    times: list[int], by_time: Mapping[int, Sequence[object]]
) -> list[tuple[int, Sequence[object]]]:
    """(time, values) of each of ``times``."""
    return [(t, by_time[t]) for t in times]
