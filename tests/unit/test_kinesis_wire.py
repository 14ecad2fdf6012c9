"""GetRecords decoded by orjson (collect/kinesis_wire.py) against botocore's own parser.

Both run on the same response dictionaries, through botocore's real JSON parser and
Kinesis service model; no request is sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.parsers import create_parser

from graphmetrics.collect.kinesis_wire import EVENT, decode_records_early, fast_get_records

RECORDS = [
    {
        "SequenceNumber": "49590338271490256608559692538361571095921575989136588898",
        "ApproximateArrivalTimestamp": 1700000000.123,
        "Data": base64.b64encode(b'{"name": "//h/a#x", "value": 1}').decode(),
        "PartitionKey": "//h/a#x",
    },
    {
        "SequenceNumber": "49590338271490256608559692538361571095921575989136588899",
        "ApproximateArrivalTimestamp": 1700000001,
        "Data": base64.b64encode("\u00e9t\u00e9 \x00 binary \xff".encode()).decode(),
        "PartitionKey": "k",
        "EncryptionType": "KMS",
    },
]


def offline_client() -> Any:
    """A real boto3 Kinesis client that never sends anything here."""
    return boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@pytest.fixture(scope="module")
def output_shape() -> Any:
    return offline_client().meta.service_model.operation_model("GetRecords").output_shape


def response(body: Any, status: int = 200) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {
        "status_code": status,
        "headers": {"content-type": "application/x-amz-json-1.1"},
        "body": raw,
    }


def both(body: Any, shape: Any, status: int = 200) -> tuple[dict[str, Any], dict[str, Any]]:
    """(botocore alone, botocore after our handler) for the same response."""
    parser = create_parser("json")
    plain = parser.parse(response(body, status), shape)
    hooked = response(body, status)
    custom: dict[str, Any] = {}
    decode_records_early(response_dict=hooked, customized_response_dict=custom)
    fast = parser.parse(hooked, shape)
    fast.update(custom)
    return plain, fast


def without_arrival(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "ApproximateArrivalTimestamp"} for r in records]


def test_same_records_and_fields_as_botocore(output_shape: Any) -> None:
    body = {
        "Records": RECORDS,
        "NextShardIterator": "AAAA-next",
        "MillisBehindLatest": 1234,
        "ChildShards": [
            {
                "ShardId": "shardId-000000000002",
                "ParentShards": ["shardId-000000000000"],
                "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "99"},
            }
        ],
    }
    plain, fast = both(body, output_shape)
    assert without_arrival(fast.pop("Records")) == without_arrival(plain.pop("Records"))
    assert fast == plain  # NextShardIterator, MillisBehindLatest, ChildShards, metadata


def test_data_is_bytes_and_arrival_the_number_sent(output_shape: Any) -> None:
    _, fast = both({"Records": RECORDS, "NextShardIterator": "n"}, output_shape)
    assert fast["Records"][1]["Data"] == "\u00e9t\u00e9 \x00 binary \xff".encode()
    assert [r["ApproximateArrivalTimestamp"] for r in fast["Records"]] == [
        1700000000.123,
        1700000001,
    ]


def test_empty_and_closed_shard(output_shape: Any) -> None:
    plain, fast = both({"Records": [], "MillisBehindLatest": 0}, output_shape)
    assert fast == plain
    assert fast["Records"] == [] and "NextShardIterator" not in fast


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"NextShardIterator": "n"},  # no Records at all
        {"Records": "nope"},
        {"Records": [{"SequenceNumber": "1"}]},  # no Data
        {"Records": [{"SequenceNumber": "1", "Data": 12}]},
        {"Records": [{"SequenceNumber": "1", "Data": "a"}]},  # bad base64 padding
    ],
)
def test_anything_unexpected_is_left_to_botocore(body: Any, output_shape: Any) -> None:
    hooked = response(body)
    before = dict(hooked)
    custom: dict[str, Any] = {}
    decode_records_early(response_dict=hooked, customized_response_dict=custom)
    assert custom == {} and hooked == before


def test_errors_are_left_to_botocore(output_shape: Any) -> None:
    error = {"__type": "ExpiredIteratorException", "message": "Iterator expired"}
    plain, fast = both(error, output_shape, status=400)
    assert fast == plain
    assert fast["Error"]["Code"] == "ExpiredIteratorException"


def test_registered_once_on_the_client() -> None:
    client = offline_client()
    fast_get_records(client)
    fast_get_records(client)
    custom: dict[str, Any] = {}
    called = client.meta.events.emit(
        EVENT, response_dict=response({"Records": RECORDS}), customized_response_dict=custom
    )
    assert [handler for handler, _ in called].count(decode_records_early) == 1
    assert len(custom["Records"]) == 2
