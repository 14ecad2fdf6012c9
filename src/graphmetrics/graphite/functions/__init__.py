# ruff: noqa: I001 - one import block per group of functions, so parallel edits do not meet
"""Graphite render functions, with graphite-web 1.1's semantics and series names.

Each is registered under its Graphite name with its parameters (``/functions``
lists them) by importing its module here.  The tests compare every one with
graphite-web's own answers.
"""

from graphmetrics.graphite.functions import combine, transform

# -- Combine, Transform and Calculate --------------------------------------------
from graphmetrics.graphite.functions import (
    aggregates,
    arithmetic,
    generators,
    holt_winters,
    mapreduce,
    moving,
    statistics,
    timing,
)

# -- Filter Series, Filter Data, Sorting, Alias, Graph, Special ------------------
from graphmetrics.graphite.functions import (
    alias,
    filter_data,
    filter_series,
    graph,
    rank,
    sorting,
    special,
)

__all__ = [
    "combine",
    "transform",
    # Combine, Transform and Calculate
    "aggregates",
    "arithmetic",
    "generators",
    "holt_winters",
    "mapreduce",
    "moving",
    "statistics",
    "timing",
    # Filter Series, Filter Data, Sorting, Alias, Graph, Special
    "alias",
    "filter_data",
    "filter_series",
    "graph",
    "rank",
    "sorting",
    "special",
]
