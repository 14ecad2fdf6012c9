"""``rrdtool update`` arguments (``ts:v1:v2...``) from samples.

The store formats every sample it writes here, so this module is compiled with mypyc
(``HOT_MODULES`` in setup.py); values are typed ``object`` and checked at run time,
as a compiled ``float`` parameter would silently take ints.

A collector that reads values as text (the carbon receiver) hands a file's samples
over as :class:`Formatted`: their update arguments, made as it reads them, sent as
they are when they need no arranging; the (time, values) samples are made from them
only when something needs them (a batch to arrange, a write to retry or to hold).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

#: ``repr`` of floats formatted lately.  Many values repeat: the tracelog response
#: times are DDSketch bucket values (a few hundred numbers), the apdex scores ratios of
#: small counts; ``repr`` (the shortest text that reads back as the same float) costs
#: a few microseconds, a lookup a few dozen nanoseconds.
_REPRS: dict[float, str] = {}
#: floats kept in :data:`_REPRS` at most (emptied when full)
REPRS_LIMIT: Final = 4096


class Formatted:
    """One file's samples of one data source, as ``ts:value`` update arguments in the
    order read, and whether their times are strictly increasing; a sequence of
    (time, (value,)) samples made from them on demand."""

    def __init__(self) -> None:
        self.updates: list[str] = []
        self.ordered = True
        self.first = 0
        """The first sample's time, and the last's."""
        self.newest = 0

    def add(self, ts: int, update: str) -> None:
        """One more sample: ``update`` (``ts:value``) at ``ts``."""
        if not self.updates:
            self.first = ts
        elif ts <= self.newest:
            self.ordered = False
        self.newest = ts
        self.updates.append(update)

    def after(self, last: int) -> list[str] | None:
        """The update arguments when the samples need no arranging after a file last
        updated at ``last``; None otherwise."""
        return self.updates if self.ordered and self.first > last else None

    def __len__(self) -> int:
        return len(self.updates)

    def __getitem__(self, index: int) -> tuple[int, tuple[float]]:
        return sample_of(self.updates[index])

    def __iter__(self) -> Iterator[tuple[int, tuple[float]]]:
        return iter([sample_of(update) for update in self.updates])


def sample_of(update: str) -> tuple[int, tuple[float]]:
    """The (time, (value,)) sample of a ``ts:value`` argument (a finite number)."""
    ts, _, value = update.partition(":")
    return int(ts), (float(value),)


def format_value(value: object) -> str:
    """A value as ``rrdtool update`` takes it; None, NaN and infinities are unknown (U)."""
    if value is None:
        return "U"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "U"
        if value == 0.0:
            return repr(value)  # 0.0 or -0.0: equal as keys, not as texts
        text = _REPRS.get(value)
        if text is None:
            text = repr(value)
            if len(_REPRS) >= REPRS_LIMIT:
                _REPRS.clear()
            _REPRS[value] = text
        return text
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


def ordered_updates(samples: object, width: int, last: int) -> list[str] | None:
    """The update arguments of ``samples`` in one pass when they need no arranging: a
    list of (int time, ``width`` values), times strictly increasing, all after ``last``
    (a collector's usual batch), or :class:`Formatted` ones so (their arguments as they
    are).  None otherwise: :func:`arrange` them."""
    if isinstance(samples, Formatted):
        return samples.after(last) if width == 1 else None
    if not isinstance(samples, list):
        return None
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
