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
go through ``rrdtool update`` as before.
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
    rrdtool.create(
        path, "--start", str(first - step), "--step", str(step),
        f"DS:v:GAUGE:{step * 2}:U:U", f"RRA:AVERAGE:0.5:1:{max(len(values), 1)}",
    )  # fmt: skip
    if not values or (first % step == 0 and _rows_written(path, first, step, values)):
        return
    times = range(first, first + len(values) * step, step)
    updates = [
        f"{ts}:U" if v is None or v != v else f"{ts}:{float(v)!r}"
        for ts, v in zip(times, values, strict=True)
    ]
    for chunk in range(0, len(updates), UPDATES_PER_CALL):
        rrdtool.update(path, *updates[chunk : chunk + UPDATES_PER_CALL])


def _rows_written(path: str, first: int, step: int, values: Sequence[float | None]) -> bool:
    """``values`` written into the new file's rows; False (nothing written) when its
    header is not the expected one."""
    with open(path, "r+b") as f:
        head = f.read(ROWS)
        expected = ROWS + 8 * len(values)
        if head[: len(COOKIE)] != COOKIE or os.fstat(f.fileno()).st_size != expected:
            return False
        if sys.byteorder != "little" or struct.calcsize("@L") != 8:
            return False
        rows = array.array("d", [math.nan if v is None else v for v in values])
        f.seek(LAST_UPDATE)
        f.write(struct.pack("<qq", first + (len(values) - 1) * step, 0))
        f.seek(CURRENT_ROW)
        f.write(struct.pack("<Q", len(values) - 1))
        f.seek(ROWS)
        f.write(rows.tobytes())
    return True
