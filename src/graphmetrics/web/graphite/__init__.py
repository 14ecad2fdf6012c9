"""A Graphite-compatible read API over the RRD files (``/graphite/``, for Grafana).

:mod:`.tree` names the files, :mod:`.grammar` parses targets, :mod:`.evaluator` and
:mod:`.functions` evaluate them over series read by :mod:`.reader`, and
:mod:`.views` answers Graphite's HTTP calls.  ``docs/graphite.md`` describes it.
"""
