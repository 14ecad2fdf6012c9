"""A list of values as an RRD file, for rrdtool to draw (a Graphite PNG's lines).

rrdtool draws only from RRD files, so each line of a Graphite PNG goes into a
temporary file first (:func:`graphmetrics.render.graph.draw_lines`).  Through
``rrdtool update`` every value was written as text (``timestamp:value``) for rrdtool
to parse back: a fifth of a two-line PNG's time (cProfile).  Here ``rrdtool create``
makes the file, and the values are written into its one archive as they are, with
what rrdtool reads of the updates they stand for (the time of the last one, the
archive's current row).  That holds when the first timestamp is on the step (rrdtool
would interpolate updates between steps) and the header is the one checked here
(rrdtool 1.x's version 0003 on a 64-bit little-endian machine); otherwise the values
go through ``rrdtool update`` as before.  The header is kept for the next line of as
many values at that step, which is then written whole, without ``rrdtool create``.
"""

from __future__ import annotations

import array
import math
import os
import struct
import sys
from collections.abc import Sequence

import rrdtool

# version 0003's header for one data source and one archive: stat_head 128 bytes,
# ds_def 120, rra_def 120, live_head 16 (last update), pdp_prep 112, cdp_prep 80,
# rra_ptr 8 (current row); then the rows, one double each
COOKIE = b"RRD\x000003\x00"
LAST_UPDATE = 368
CURRENT_ROW = 576
ROWS = 584
UPDATES_PER_CALL = 1000


def write(path: str, first: int, step: int, values: Sequence[float | None]) -> None:
    """An RRD file at ``path`` whose AVERAGE of ``v`` is ``values``, the first at
    ``first`` and one every ``step`` seconds (None: unknown)."""
    direct = bool(values) and first % step == 0
    header = _HEADERS.get((step, len(values))) if direct else None
    if header is not None:  # the same as rrdtool create would write, but for two fields
        with open(path, "wb") as f:
            f.write(_file(header, first, step, values))
        return
    rrdtool.create(
        path, "--start", str(first - step), "--step", str(step),
        f"DS:v:GAUGE:{step * 2}:U:U", f"RRA:AVERAGE:0.5:1:{max(len(values), 1)}",
    )  # fmt: skip
    if direct and _rows_written(path, first, step, values):
        return
    times = range(first, first + len(values) * step, step)
    updates = [
        f"{ts}:U" if v is None or v != v else f"{ts}:{float(v)!r}"
        for ts, v in zip(times, values, strict=True)
    ]
    for chunk in range(0, len(updates), UPDATES_PER_CALL):
        rrdtool.update(path, *updates[chunk : chunk + UPDATES_PER_CALL])


# (step, values) -> the header rrdtool create wrote for such a line: a dashboard's
# lines share a few, and writing one is cheaper than rrdtool create (a third of a ms)
_HEADERS: dict[tuple[int, int], bytes] = {}
MAX_HEADERS = 256


def _rows_written(path: str, first: int, step: int, values: Sequence[float | None]) -> bool:
    """``values`` written into the new file's rows (its header kept for the next line
    of as many values every ``step`` s); False (nothing written) when the header is not
    the expected one."""
    with open(path, "r+b") as f:
        head = f.read(ROWS)
        expected = ROWS + 8 * len(values)
        if head[: len(COOKIE)] != COOKIE or os.fstat(f.fileno()).st_size != expected:
            return False
        if sys.byteorder != "little" or struct.calcsize("@L") != 8:
            return False
        f.seek(0)
        f.write(_file(head, first, step, values))
    if len(_HEADERS) >= MAX_HEADERS:
        _HEADERS.clear()
    _HEADERS[(step, len(values))] = head
    return True


def _file(header: bytes, first: int, step: int, values: Sequence[float | None]) -> bytes:
    """The whole file: ``header`` with the last update and the current row of ``values``
    written one every ``step`` s from ``first``, then the rows."""
    last = struct.pack("<qq", first + (len(values) - 1) * step, 0)
    current = struct.pack("<Q", len(values) - 1)
    rows = array.array("d", [math.nan if v is None else v for v in values])
    return b"".join(
        (
            header[:LAST_UPDATE], last, header[LAST_UPDATE + len(last) : CURRENT_ROW], current,
            rows.tobytes(),
        )
    )  # fmt: skip
