"""Creating an RRD file on this host: librrd's header, the empty rows written at once.

``rrdtool create`` fills every row of every archive with NaN one value at a time:
a tracelog file (18 data sources, 28 960 rows) takes about 3.7 ms, most of what a
first start over a few hundred instances costs.  Only the header depends on the
start time, and librrd makes it here too: :func:`create` asks ``rrdtool create`` for
the same schema with *one* row per archive, whose header is the real file's but
for each archive's ``row_cnt`` and ``cur_row`` (header.py gives the layout); those
are set to the real values, the row count and, as librrd does, a random row to
start from, and the rows follow as NaN in large writes.  The result is the file
``rrdtool create`` makes, byte for byte but for the random starting rows
(``tests/unit/test_rrd_create.py`` compares them over many schemas and starts).

A header this module does not understand (another librrd's layout) is left to
``rrdtool create`` of the whole file.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import replace

import rrdtool

from graphmetrics.rrd import header
from graphmetrics.rrd.schema import Archive, Schema

#: one value as librrd stores an unknown (its ``DNAN``, a negative quiet NaN)
NAN_BYTES = struct.pack("@d", -math.nan)
#: unknown rows written per ``write`` call at most
CHUNK_BYTES = 1 << 20
_NANS = memoryview(NAN_BYTES * (CHUNK_BYTES // len(NAN_BYTES)))
#: ``rra_def_t``: cf_nam[20], row_cnt, pdp_cnt, par[10]; where ``row_cnt`` lies in it
ROW_CNT = struct.Struct("@L")
ROW_CNT_AT = struct.calcsize("@20sL") - ROW_CNT.size
#: ``rra_ptr_t``: cur_row, one per archive at the end of the header
CUR_ROW = struct.Struct("@L")


def one_row(schema: Schema) -> Schema:
    """``schema`` with one row per archive (the same header but for the row counts)."""
    return replace(schema, archives=tuple(Archive(a.steps, 1) for a in schema.archives))


def create(path: str, start: int, schema: Schema) -> None:
    """Create ``path`` (a new name: a temporary file the caller renames) as
    ``rrdtool create path --start start`` with ``schema`` makes it.  Raises
    ``rrdtool.OperationalError`` or :class:`OSError` as ``rrdtool create`` would."""
    rrdtool.create(path, "--start", str(start), *one_row(schema).create_args())
    with open(path, "rb") as f:
        small = f.read()
    head = full_header(small, schema)
    if head is None:  # not a layout this module knows: librrd makes the whole file
        rrdtool.create(path, "--start", str(start), *schema.create_args())
        return
    rows = sum(a.rows for a in schema.archives) * len(schema.consolidations)
    left = rows * len(schema.data_sources) * len(NAN_BYTES)
    with open(path, "r+b") as f:
        f.write(head)
        while left > 0:
            left -= f.write(_NANS[:left])


def full_header(small: bytes, schema: Schema) -> bytes | None:
    """The header of ``schema``'s file from ``small``, librrd's file of
    :func:`one_row` of it; None when its layout is not the one expected."""
    offset = header.live_head_offset(small)
    archives = [a for _ in schema.consolidations for a in schema.archives]
    ds_cnt = len(schema.data_sources)
    values = len(archives) * ds_cnt  # one row per archive
    data = values * len(NAN_BYTES)
    if offset is None or len(small) <= data or small[-data:] != NAN_BYTES * values:
        return None
    _, _, _, file_ds, file_rra, *_ = header.STAT_HEAD.unpack_from(small)
    if file_ds != ds_cnt or file_rra != len(archives):
        return None
    head = bytearray(small[:-data])
    rra_at = offset - len(archives) * header.RRA_DEF_BYTES
    ptr_at = len(head) - len(archives) * CUR_ROW.size
    for i, archive in enumerate(archives):
        at = rra_at + i * header.RRA_DEF_BYTES + ROW_CNT_AT
        ptr = ptr_at + i * CUR_ROW.size
        if ROW_CNT.unpack_from(head, at)[0] != 1 or CUR_ROW.unpack_from(head, ptr)[0] != 0:
            return None
        ROW_CNT.pack_into(head, at, archive.rows)
        # librrd starts each archive at a random row (rrd_select_initial_row)
        CUR_ROW.pack_into(head, ptr, random.randrange(archive.rows))
    return bytes(head)
