"""A small PNG reader for tests: the RGB(A) pixels of rrdtool's 8-bit PNGs."""

from __future__ import annotations

import struct
import zlib
from collections import Counter


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def pixels(body: bytes) -> list[tuple[int, ...]]:
    """Every pixel as an (r, g, b[, a]) tuple, row by row (colour types 2 and 6, 8 bit)."""
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, data, header = 8, b"", (0, 0, 0, 0)
    while pos < len(body):
        (length,) = struct.unpack(">I", body[pos : pos + 4])
        kind, chunk = body[pos + 4 : pos + 8], body[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color_type = struct.unpack(">IIBB", chunk[:10])
            header = (width, height, depth, color_type)
        elif kind == b"IDAT":
            data += chunk
        pos += 12 + length
    width, height, depth, color_type = header
    assert depth == 8 and color_type in (2, 6), f"unsupported PNG: {header}"
    bpp = 4 if color_type == 6 else 3
    raw = zlib.decompress(data)
    stride = width * bpp
    previous = bytearray(stride)
    out: list[tuple[int, ...]] = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            add = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            line[x] = (line[x] + add) & 0xFF
        out += [tuple(line[i : i + bpp]) for i in range(0, stride, bpp)]
        previous = line
    return out


def colors(body: bytes) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB colour."""
    return Counter(p[:3] for p in pixels(body))
