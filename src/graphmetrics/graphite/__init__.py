"""Graphite's target language: the grammar (``grammar.py``), time specs
(``attime.py``), the series type (``series.py``), the evaluator (``evaluator.py``) and
the function library (``functions/``, one module per graphite-web group).

Pure computation over :class:`~.series.Series`; reading files and HTTP live in
``web/graphite/`` (the finder, the reader, the Pyramid views), which only wire this in.
Adding a function: docs/changes.md.
"""
