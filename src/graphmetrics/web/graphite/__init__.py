"""A Graphite-compatible read API over the RRD files (``/graphite/``, for Grafana).

:mod:`.tree` names the files, :mod:`.reader` reads series, :mod:`.views` answers
Graphite's HTTP calls.  The target language itself (grammar, evaluator, function
library) is :mod:`graphmetrics.graphite`.  ``docs/graphite.md`` describes it.
"""
