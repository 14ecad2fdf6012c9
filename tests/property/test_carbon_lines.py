"""Property: a chunk of plaintext lines parses as its lines one by one would.

``LineParser.parse`` splits a chunk at once when its fields fall three by three into its
lines (``one_line_per_triple``) and goes line by line otherwise; either way every
point, update argument and refusal must be the one each line gives alone.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from graphmetrics.collect.carbon_schemas import CarbonSchemas
from graphmetrics.collect.carbon_wire import Intake
from graphmetrics.rrd.store import RRDStore

NOW = 1_700_000_050.0
TOKENS = [
    b"a.b",
    b"c",
    b"1.5",
    b"-2",
    b"1e3",
    b"nan",
    b"x",
    b"1700000000",
    b"1700000061",
    b"-1",
    b"0",
    b"2700000000",
]
SEPARATORS = [b" ", b" ", b" ", b"\t", b"  ", b"\r"]
#: a line: fields, each followed by a separator (the last one's trailing)
LINE = st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)), max_size=5).map(
    lambda pairs: b"".join(field + separator for field, separator in pairs)
)


def parsed(chunks: list[bytes]) -> tuple[dict[str, list[str]], dict[str, int]]:
    intake = Intake(RRDStore(Path("/nonexistent/rrd")), CarbonSchemas(), lambda: NOW)
    for chunk in chunks:
        intake.add_lines(chunk, "peer")
    samples, _ = intake.take()
    return {name: points.updates for name, points in samples.items()}, dict(intake.bad.counts)


@given(st.lists(LINE, min_size=1, max_size=8))
@example([b"a.b 1.5 1700000000", b"c -2 1700000061"])
@example([b"a.b 1.5 1700000000 c", b"-2 1700000061"])
@example([b"a.b 1.5", b"1700000000 c -2 1700000061"])
@example([b"a.b 1.5 1700000000 c -2 1700000061", b""])
def test_a_chunk_parses_as_its_lines_alone(lines: list[bytes]) -> None:
    assert parsed([b"\n".join(lines)]) == parsed(lines)
