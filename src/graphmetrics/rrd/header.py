"""An RRD file's last update read from its header with one ``pread``.

After an rrdcached FLUSH the writer checks each file's last update from the file
itself (docs/storage.md, "Writes through rrdcached"); ``rrdtool.last`` opens the
file with librrd for that, several times the cost of reading it directly.  The
header's layout is librrd's ``rrd_format.h``, written with the native sizes and
alignment of the host that made the file::

    stat_head  cookie "RRD\\0", version "0003" (or "0004", "0005"), float cookie
               8.642135e130, ds_cnt, rra_cnt, pdp_step, par[10]
    ds_def     ds_cnt times: name[20], type[20], par[10]
    rra_def    rra_cnt times: cf[20], row_cnt, pdp_cnt, par[10]
    live_head  last_up (time_t), last_up_usec

:func:`last_update` reads the fixed part, checks the cookies and the version, and
then reads ``last_up`` where the counts put it.  A header it does not know (another
architecture's, another version, a file cut short) answers None: the caller asks
librrd instead.  The tests compare it with ``rrdtool.info`` on files of several
layouts.
"""

from __future__ import annotations

import os
import struct

#: ``stat_head_t``: cookie, version, float cookie, ds_cnt, rra_cnt, pdp_step, par[10]
STAT_HEAD = struct.Struct("@4s5sdLLL10d")
DS_DEF_BYTES = struct.calcsize("@20s20s10d")
RRA_DEF_BYTES = struct.calcsize("@20sLL10d")
#: ``live_head_t``'s ``last_up``, a ``time_t`` (a C long on the platforms Python runs on)
LAST_UP = struct.Struct("@l")
COOKIE = b"RRD\0"
VERSIONS = frozenset({b"0003\0", b"0004\0", b"0005\0"})
FLOAT_COOKIE = 8.642135e130
#: More data sources or archives than any file a host makes: a corrupt header.
MAX_DEFS = 1 << 16
#: Bytes read at once: the header of a file of up to about 30 DS and RRAs together.
READ_BYTES = 4096


def last_update(path: str) -> int | None:
    """The file's ``last_update`` as ``rrdtool.info`` gives it, or None when the
    header is not one this reader knows.  Raises :class:`OSError` (no such file...)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        head = os.pread(fd, READ_BYTES, 0)
        offset = live_head_offset(head)
        if offset is None:
            return None
        if offset + LAST_UP.size > len(head):
            head = os.pread(fd, LAST_UP.size, offset)
            offset = 0
    finally:
        os.close(fd)
    if offset + LAST_UP.size > len(head):
        return None  # cut short
    (last,) = LAST_UP.unpack_from(head, offset)
    return int(last)


def live_head_offset(head: bytes) -> int | None:
    """Where ``live_head`` starts, from the file's first bytes; None: not understood."""
    if len(head) < STAT_HEAD.size:
        return None
    cookie, version, float_cookie, ds_cnt, rra_cnt, *_ = STAT_HEAD.unpack_from(head)
    if cookie != COOKIE or version not in VERSIONS or float_cookie != FLOAT_COOKIE:
        return None
    if not (0 < ds_cnt < MAX_DEFS and 0 < rra_cnt < MAX_DEFS):
        return None
    return STAT_HEAD.size + ds_cnt * DS_DEF_BYTES + rra_cnt * RRA_DEF_BYTES
