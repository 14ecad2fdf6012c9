"""graphite-web's ``_getPercentile``: the nearest-rank percentile of the known values."""

from __future__ import annotations

import math
from collections.abc import Iterable

from graphmetrics.graphite.series import Value


def get_percentile(points: Iterable[Value], n: float, interpolate: bool = False) -> Value:
    """The ``n``-th percentile (0-100) of the non-null points; None without any."""
    ranked = sorted(p for p in points if p is not None)
    if not ranked:
        return None
    fractional = (n / 100.0) * (len(ranked) + 1)
    rank = int(fractional)
    fraction = fractional - rank
    if not interpolate:
        rank += int(math.ceil(fraction))
    if rank == 0:
        value = ranked[0]
    elif rank - 1 == len(ranked):
        value = ranked[-1]
    else:
        value = ranked[min(rank, len(ranked)) - 1]  # n > 100: graphite-web's IndexError
    if interpolate and rank != len(ranked):
        value = value + fraction * (ranked[rank] - value)
    return value
