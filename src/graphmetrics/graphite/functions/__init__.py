"""Graphite render functions, with graphite-web 1.1's semantics and series names.

Each is registered under its Graphite name with its parameters (``/functions``
lists them) by importing its module here.  The tests compare every one with
graphite-web's own answers.
"""

from graphmetrics.graphite.functions import combine, select, transform

# isort: split
# -- Combine, Transform and Calculate (issue 21, first half) --------------------
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

__all__ = [
    "combine",
    "select",
    "transform",
    "aggregates",
    "arithmetic",
    "generators",
    "holt_winters",
    "mapreduce",
    "moving",
    "statistics",
    "timing",
]
