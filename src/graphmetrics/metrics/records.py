"""Decoding Kinesis record data into metric samples; pure, never raises on bad input.

A record is UTF-8 JSON ``{"timestamp": ISO 8601, "name": str, "value": number,
"units": str}`` (docs/inputs.md, "Kinesis records").  Also accepted: gzip-compressed data,
several JSON objects joined by newlines, and a JSON array of objects.  Anything
unusable comes back as a :class:`Bad` item with a short reason used as a counter
name, so one broken producer never stops consumption.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import datetime
from typing import Any, NamedTuple

import orjson

GZIP_MAGIC = b"\x1f\x8b"
KPL_MAGIC = b"\xf3\x89\x9a\xc2"
MAX_INFLATED_BYTES = 8 * 1024 * 1024
EPOCH = datetime(1970, 1, 1)
LARGEST_FLOAT_INT = 2**1023


class Metric(NamedTuple):
    name: str
    timestamp: float
    value: int | float
    units: str | None = None


class Bad(NamedTuple):
    reason: str
    detail: str


Decoded = Metric | Bad


def decode(data: bytes) -> list[Decoded]:
    """Every metric in one record's data, or the reasons it is unusable."""
    try:
        doc = orjson.loads(data)  # the fast path: one plain JSON object
    except orjson.JSONDecodeError:
        return _decode_unusual(data)
    if type(doc) is dict:
        return [decode_object(doc)]
    return _decode_document(doc)


def _decode_unusual(data: bytes) -> list[Decoded]:
    """Gzip, newline-joined objects, or what the strict fast parser refused."""
    if data.startswith(KPL_MAGIC):
        return [Bad("kpl_aggregate", "KPL-aggregated records are not supported")]
    if data.startswith(GZIP_MAGIC):
        try:
            data = _gunzip(data)
        except (zlib.error, ValueError) as exc:
            return [Bad("bad_gzip", str(exc))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Bad("not_utf8", str(exc))]
    try:
        # The standard parser also takes NaN or huge integers, so they are refused
        # below with the precise reason rather than as "not JSON".  Nesting deeper
        # than orjson's limit (1024) makes it recurse until RecursionError.
        return _decode_document(json.loads(text))
    except (ValueError, RecursionError) as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            return [Bad("not_json", str(exc))]
        return [item for line in lines for item in _decode_line(line)]


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    out = inflater.decompress(data, MAX_INFLATED_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError(f"inflates to more than {MAX_INFLATED_BYTES} bytes")
    if not inflater.eof:
        raise ValueError("truncated gzip data")
    return out


def _decode_line(line: str) -> list[Decoded]:
    try:
        return _decode_document(json.loads(line))
    except (ValueError, RecursionError) as exc:
        return [Bad("not_json", str(exc))]


def _decode_document(doc: Any) -> list[Decoded]:
    if isinstance(doc, list):
        return [decode_object(item) for item in doc]
    return [decode_object(doc)]


def decode_object(obj: Any) -> Decoded:
    """One metric from one decoded JSON value."""
    if not isinstance(obj, dict):
        return Bad("not_object", f"expected a JSON object, got {type(obj).__name__}")
    timestamp, name, value = obj.get("timestamp"), obj.get("name"), obj.get("value")
    if timestamp is None or name is None or value is None:
        key = "timestamp" if timestamp is None else "name" if name is None else "value"
        return Bad(f"missing_{key}", f"no {key!r} field")
    if type(name) is not str or not name:
        return Bad("bad_name", f"name must be a non-empty string, got {name!r}")
    seconds = parse_timestamp(timestamp)
    if seconds is None:
        return Bad("bad_timestamp", f"not an ISO 8601 timestamp: {timestamp!r}")
    if not _is_number(value):
        return Bad("bad_value", f"value must be a finite number, got {value!r}")
    units = obj.get("units")
    return Metric(name, seconds, value, units if type(units) is str else None)


def _is_number(value: Any) -> bool:
    kind = type(value)  # not isinstance: bool is an int, and is refused
    if kind is float:
        return math.isfinite(value)
    return kind is int and -LARGEST_FLOAT_INT < value < LARGEST_FLOAT_INT


def parse_timestamp(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 string (UTC when it has no offset), else None."""
    if type(value) is not str or not 10 <= len(value) <= 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        naive = moment.tzinfo is None
        seconds = (moment - EPOCH).total_seconds() if naive else moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if seconds > 0 else None
