"""Storage and render errors as HTTP statuses: ``rrd/`` raises what went wrong, the web
app alone decides what a client is told.

The first class in :data:`STATUSES` that an error is an instance of wins, so
subclasses come before their bases.
"""

from __future__ import annotations

from graphmetrics.render.graph import ReadFailed, RenderError
from graphmetrics.render.renderpool import RenderBusy, RenderTimeout, RenderTooLarge
from graphmetrics.rrd.files import FileError, SeriesNotFound, StorageUnavailable

STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (SeriesNotFound, 404),
    (StorageUnavailable, 503),
    (FileError, 400),
    (RenderBusy, 503),
    (RenderTimeout, 504),
    (RenderTooLarge, 413),
    (ReadFailed, 500),
    (RenderError, 400),
)


def http_status(error: Exception) -> int:
    """The status answering ``error``: 4xx the asker can fix, 5xx the server's; 500 else."""
    for cls, status in STATUSES:
        if isinstance(error, cls):
            return status
    return 500
