"""Decoding Kinesis record data (docs/inputs.md, "Kinesis records")."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from graphmetrics.metrics.records import MAX_INFLATED_BYTES, Bad, Metric, decode, parse_timestamp

EPOCH_2014 = datetime(2014, 12, 13, 16, 14, 47, 820000, tzinfo=UTC).timestamp()


def record(**fields: object) -> bytes:
    base: dict[str, object] = {
        "timestamp": "2014-12-13T16:14:47.820000",
        "name": "//host.example/cfg/section#metric",
        "value": 99,
        "units": "rpm",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


def test_design_example_decodes() -> None:
    assert decode(record()) == [Metric("//host.example/cfg/section#metric", EPOCH_2014, 99, "rpm")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-12-13T16:14:47.820000", EPOCH_2014),
        ("2014-12-13T16:14:47.820000Z", EPOCH_2014),
        ("2014-12-13T17:14:47.820000+01:00", EPOCH_2014),
        ("2014-12-13T11:14:47.820-05:00", EPOCH_2014),
        ("2014-12-13 16:14:47.82", EPOCH_2014),
    ],
)
def test_timestamps_are_utc_unless_an_offset_says_otherwise(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["yesterday", "2014-13-45T00:00:00", "", 1418487287, None, "1"])
def test_bad_timestamps(text: object) -> None:
    assert parse_timestamp(text) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timestamp": ...}, "missing_timestamp"),
        ({"name": ...}, "missing_name"),
        ({"value": ...}, "missing_value"),
        ({"value": None}, "missing_value"),
        ({"timestamp": "noon"}, "bad_timestamp"),
        ({"timestamp": 1418487287}, "bad_timestamp"),
        ({"name": ""}, "bad_name"),
        ({"name": 12}, "bad_name"),
        ({"value": True}, "bad_value"),
        ({"value": "99"}, "bad_value"),
        ({"value": float("nan")}, "bad_value"),
        ({"value": float("inf")}, "bad_value"),
        ({"value": 10**400}, "bad_value"),
        ({"value": [1]}, "bad_value"),
    ],
)
def test_bad_fields_give_their_reason(fields: dict[str, object], reason: str) -> None:
    (item,) = decode(record(**fields))
    assert isinstance(item, Bad)
    assert item.reason == reason


def test_units_are_optional_and_ints_and_floats_kept() -> None:
    (item,) = decode(record(units=..., value=1.5))
    assert item == Metric("//host.example/cfg/section#metric", EPOCH_2014, 1.5, None)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json at all", "not_json"),
        (b"\xff\xfe\x00garbage", "not_utf8"),
        (b"[1, 2]", "not_object"),
        (b'"a string"', "not_object"),
        (b"\x1f\x8bnot really gzip", "bad_gzip"),
        (b"\xf3\x89\x9a\xc2protobuf...", "kpl_aggregate"),
        (b"", "not_json"),
        (b"[" * 1100 + b"]" * 1100, "not_json"),  # too deep for both parsers
        (b"[" * 100_000, "not_json"),
        (b'{"a": ' * 1100 + b"1" + b"}" * 1100, "not_json"),
        ((b"[" * 1100 + b"]" * 1100 + b"\n") * 2, "not_json"),  # newline-joined
    ],
)
def test_undecodable_data(data: bytes, reason: str) -> None:
    items = decode(data)
    assert items and all(isinstance(i, Bad) and i.reason == reason for i in items)


def test_gzip_newline_joined_and_arrays_are_accepted() -> None:
    one, two = record(value=1), record(value=2, name="//b#c")
    assert [m.value for m in decode(gzip.compress(one))] == [1]  # type: ignore[union-attr]
    joined = decode(one + b"\n" + two + b"\n\nnope\n")
    assert [getattr(i, "value", None) for i in joined] == [1, 2, None]
    assert isinstance(joined[2], Bad) and joined[2].reason == "not_json"
    array = decode(b"[" + one + b"," + two + b"]")
    assert [getattr(i, "name", None) for i in array] == [
        "//host.example/cfg/section#metric",
        "//b#c",
    ]


def test_gzip_bomb_is_refused() -> None:
    (item,) = decode(gzip.compress(b" " * (MAX_INFLATED_BYTES + 10)))
    assert isinstance(item, Bad) and item.reason == "bad_gzip"


@pytest.mark.parametrize(
    "literal", [b"NaN", b"Infinity", b"-Infinity", b"1" + b"0" * 400, b"18446744073709551616"]
)
def test_values_the_fast_parser_refuses_get_the_precise_reason(literal: bytes) -> None:
    data = b'{"timestamp": "2014-12-13T16:14:47", "name": "//h#m", "value": ' + literal + b"}"
    (item,) = decode(data)
    if literal == b"18446744073709551616":  # 2**64: large, but a finite float
        assert isinstance(item, Metric) and item.value == 2**64
    else:
        assert isinstance(item, Bad) and item.reason == "bad_value"
