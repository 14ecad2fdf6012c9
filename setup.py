"""Build script: metadata lives in pyproject.toml.

The tracelog parser and aggregator, and the Kinesis record decoding and batching,
are the collectors' hot loops; where mypyc is available (it is a build requirement)
they are compiled to C extension modules (tracelog about twice as fast, Kinesis
decoding about 1.4 times).
``graphmetrics.render._pngwrite`` (C, no library needed to build it) makes rrdtool's
PNGs cheaper to write (graphmetrics/render/pngwrite.py); ``graphmetrics.tracelog._scan``
(C) is the tracelog parser's fast path (graphmetrics/tracelog/parser.py).
``GRAPHMETRICS_PURE_PYTHON=1`` skips both and installs plain Python, which behaves
the same.
"""

import os

from setuptools import Extension, setup

HOT_MODULES = [
    "src/graphmetrics/tracelog/records.py",
    "src/graphmetrics/tracelog/parser.py",
    "src/graphmetrics/tracelog/aggregate.py",
    "src/graphmetrics/tracelog/latency.py",
    "src/graphmetrics/tracelog/slowest.py",
    "src/graphmetrics/tracelog/pools.py",
    "src/graphmetrics/metrics/records.py",
    "src/graphmetrics/metrics/batch.py",
    "src/graphmetrics/rrd/updates.py",
    "src/graphmetrics/rrd/layout.py",
    "src/graphmetrics/collect/carbon_lines.py",
]


def extensions():
    if os.environ.get("GRAPHMETRICS_PURE_PYTHON"):
        return []
    helpers = [
        Extension(
            "graphmetrics.render._pngwrite",
            ["src/graphmetrics/render/_pngwrite.c"],
            libraries=["dl"],
        ),
        Extension("graphmetrics.tracelog._scan", ["src/graphmetrics/tracelog/_scan.c"]),
    ]
    try:
        from mypyc.build import mypycify
    except ImportError:
        return helpers
    return [*mypycify(HOT_MODULES, opt_level="3"), *helpers]


setup(ext_modules=extensions())
