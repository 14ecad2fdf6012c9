"""Reading PNGs in tests: two encodings of one image (libpng's settings differ between
the ``rrdtool`` command and graphmetrics, :mod:`graphmetrics.render.pngwrite`) are
compared by their pixels, not their bytes."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Decoded:
    width: int
    height: int
    channels: int
    filters: bytes  # each row's filter type (0: none)
    pixels: bytes


def decode(png: bytes) -> Decoded:
    """An 8-bit RGB or RGBA PNG's rows, unfiltered (what cairo writes)."""
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + size]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + size
    raw = zlib.decompress(idat)
    stride = width * channels
    assert len(raw) == (stride + 1) * height
    filters, pixels = bytearray(), bytearray()
    above = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filters.append(raw[start])
        row = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), above, channels)
        pixels += row
        above = row
    return Decoded(width, height, channels, bytes(filters), bytes(pixels))


def _unfilter(kind: int, row: bytearray, above: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return row
    for x in range(len(row)):
        left = row[x - bpp] if x >= bpp else 0
        up = above[x]
        corner = above[x - bpp] if x >= bpp else 0
        if kind == 1:
            row[x] = (row[x] + left) & 0xFF
        elif kind == 2:
            row[x] = (row[x] + up) & 0xFF
        elif kind == 3:
            row[x] = (row[x] + (left + up) // 2) & 0xFF
        else:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            row[x] = (row[x] + near) & 0xFF
    return row


def same_image(a: bytes, b: bytes) -> bool:
    """Whether two PNGs hold the same pixels, however encoded."""
    da, db = decode(a), decode(b)
    return (da.width, da.height, da.channels, da.pixels) == (
        db.width, db.height, db.channels, db.pixels
    )  # fmt: skip
