"""Properties of the Kinesis record decoder: any data gives metrics or reasons, never
an exception, whatever a producer (or an attacker) puts in a record."""

from __future__ import annotations

import gzip
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from graphmetrics.metrics.records import Bad, Metric, decode

#: frames the daemon has to spare below Python's default recursion limit, about
FREE_FRAMES = 1000


@contextmanager
def daemon_recursion_limit() -> Iterator[None]:
    """About as much room for recursion as the daemon has.

    Hypothesis runs a test with the recursion limit raised to 2000 frames above the
    current depth, so input that recurses past the daemon's limit (JSON nested 1 100
    deep) would pass here, or fail only now and then.
    """
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + FREE_FRAMES)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def check(data: bytes) -> list[Metric | Bad]:
    """``decode(data)``, with every item checked to be a usable metric or a reason."""
    with daemon_recursion_limit():
        items = decode(data)
    assert isinstance(items, list)
    for item in items:
        if isinstance(item, Bad):
            assert item.reason and isinstance(item.detail, str)
            continue
        assert isinstance(item, Metric)
        assert type(item.name) is str and item.name
        assert math.isfinite(item.timestamp) and item.timestamp > 0
        assert type(item.value) in (int, float) and math.isfinite(item.value)
        assert item.units is None or type(item.units) is str
    return items


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["2014-12-13T16:14:47.820000", "2014-12-13T17:14:47+01:00", "0001-01-01"])
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": JSON_SCALARS,
        "name": st.text(max_size=20) | JSON_SCALARS,
        "value": JSON_SCALARS,
        "units": JSON_SCALARS,
    },
)


def dumps(doc: Any) -> bytes:
    """JSON text as producers send it (NaN and Infinity included, as Python writes them)."""
    return json.dumps(doc).encode()


@given(st.binary())
@example(b"\x1f\x8b")
@example(b"\xf3\x89\x9a\xc2")
@example(b"[" * 1100 + b"]" * 1100)
def test_any_bytes_decode_without_raising(data: bytes) -> None:
    check(data)


# Depths well below and well above the daemon's recursion limit, not right at it: how
# many frames are free there differs by a few between one call and the next.
DEPTHS = st.integers(min_value=1, max_value=900) | st.integers(min_value=1_100, max_value=100_000)


@given(DEPTHS, st.sampled_from([b"[", b'{"a":', b"[{}, "]))
@example(1100, b"[")
def test_deeply_nested_json_is_refused_not_raised(depth: int, opening: bytes) -> None:
    closing = {b"[": b"]", b'{"a":': b"}", b"[{}, ": b"]"}[opening]
    data = opening * depth + b"0" + closing * depth
    check(data)
    check(data + b"\n" + data)  # newline-joined objects take another path
    check(gzip.compress(data))


@given(JSON)
def test_any_json_document_decodes_without_raising(doc: Any) -> None:
    check(dumps(doc))


@given(st.lists(FIELDS, min_size=1, max_size=4), st.sampled_from(["array", "lines", "gzip"]))
def test_records_of_any_fields_decode_to_one_item_each(
    objects: list[dict[str, Any]], shape: str
) -> None:
    if shape == "array":
        data = dumps(objects)
    elif shape == "lines":
        data = b"\n".join(dumps(obj) for obj in objects)
    else:
        data = gzip.compress(dumps(objects))
    assert len(check(data)) == len(objects)
