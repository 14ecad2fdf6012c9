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


def fetch_rows(schema: Schema, start: int, end: int, now: int) -> int:
    """Rows ``rrdtool fetch`` returns for ``start``..``end`` from a file updated at ``now``."""
    span = max(end - start, 0)
    step = schema.step * schema.archives[-1].steps
    for archive in schema.archives:
        archive_step = schema.step * archive.steps
        if now - start <= archive_step * archive.rows:
            step = archive_step
            break
    return span // step + 2


def fetch_values(rels: list[str], start: int, end: int, now: int) -> int:
    """Values (rows x data sources) that fetching every file of ``rels`` reads."""
    total = 0
    for rel in rels:
        schema = schema_of(rel)
        total += fetch_rows(schema, start, end, now) * len(schema.data_sources)
    return total
