"""Decoding Kinesis record data into metric samples; pure, never raises on bad input.

A record is UTF-8 JSON ``{"timestamp": ISO 8601, "name": str, "value": number,
"units": str}`` (DESIGN.md, "Kinesis input").  Also accepted: gzip-compressed data,
several JSON objects joined by newlines, and a JSON array of objects.  Anything
unusable comes back as a :class:`Bad` item with a short reason used as a counter
name, so one broken producer never stops consumption.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
KPL_MAGIC = b"\xf3\x89\x9a\xc2"
MAX_INFLATED_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    timestamp: float
    value: int | float
    units: str | None = None


@dataclass(frozen=True, slots=True)
class Bad:
    reason: str
    detail: str


Decoded = Metric | Bad


def decode(data: bytes) -> list[Decoded]:
    """Every metric in one record's data, or the reasons it is unusable."""
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
        documents = [json.loads(text)]
    except ValueError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            return [Bad("not_json", str(exc))]
        return [item for line in lines for item in _decode_line(line)]
    return [item for doc in documents for item in _decode_document(doc)]


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
    except ValueError as exc:
        return [Bad("not_json", str(exc))]


def _decode_document(doc: Any) -> list[Decoded]:
    if isinstance(doc, list):
        return [decode_object(item) for item in doc]
    return [decode_object(doc)]


def decode_object(obj: Any) -> Decoded:
    """One metric from one decoded JSON value."""
    if not isinstance(obj, dict):
        return Bad("not_object", f"expected a JSON object, got {type(obj).__name__}")
    for key in ("timestamp", "name", "value"):
        if key not in obj or obj[key] is None:
            return Bad(f"missing_{key}", f"no {key!r} field")
    name = obj["name"]
    if not isinstance(name, str) or not name:
        return Bad("bad_name", f"name must be a non-empty string, got {name!r}")
    timestamp = parse_timestamp(obj["timestamp"])
    if timestamp is None:
        return Bad("bad_timestamp", f"not an ISO 8601 timestamp: {obj['timestamp']!r}")
    value = obj["value"]
    if not _is_number(value):
        return Bad("bad_value", f"value must be a finite number, got {value!r}")
    units = obj.get("units")
    return Metric(name, timestamp, value, units if isinstance(units, str) else None)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def parse_timestamp(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 string (UTC when it has no offset), else None."""
    if not isinstance(value, str) or not 10 <= len(value) <= 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        seconds = moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if seconds > 0 else None
