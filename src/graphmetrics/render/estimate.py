"""What reading RRD files will cost, known before reading them.

A Graphite target can name thousands of files; reading them first and counting
after cost one request 421 MB.  Here the rows ``rrdtool fetch`` will return are
estimated from the schemas (:mod:`graphmetrics.rrd.schema`): rrdtool reads the
finest archive that still covers the start of the range, one row per step of it,
each row holding every data source of the file.
"""

from __future__ import annotations

from graphmetrics.rrd.schema import METRICS, TRACELOG, Schema


def schema_of(rel: str) -> Schema:
    """The schema of the series path ``rel`` (``tracelog/...`` or ``metrics/...``)."""
    return TRACELOG if rel.startswith("tracelog/") else METRICS


def fetch_step(schema: Schema, start: int, last: int) -> int:
    """The step of the archive rrdtool reads for ``start``: the finest covering it in
    a file last updated at ``last`` (for a file written long ago, the finest)."""
    for archive in schema.archives:
        step = schema.step * archive.steps
        if last - start <= step * archive.rows:
            return step
    return schema.step * schema.archives[-1].steps


def fetch_rows(schema: Schema, start: int, end: int, last: int) -> int:
    """Rows ``rrdtool fetch`` returns for ``start``..``end`` at :func:`fetch_step`."""
    return max(end - start, 0) // fetch_step(schema, start, last) + 2


def fetch_values(last_updates: dict[str, int], start: int, end: int) -> int:
    """Values (rows x data sources) that fetching each file (series path -> its last
    update) reads."""
    total = 0
    for rel, last in last_updates.items():
        schema = schema_of(rel)
        total += fetch_rows(schema, start, end, last) * len(schema.data_sources)
    return total
