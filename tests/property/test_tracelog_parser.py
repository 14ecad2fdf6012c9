"""Properties of the tracelog parser: nothing it is given makes it raise, and its fast
path gives what the general path gives."""

from __future__ import annotations

import math
import re

from hypothesis import example, given
from hypothesis import strategies as st

from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from graphmetrics.tracelog.parser import Parser, seconds_at, valid_second
from graphmetrics.tracelog.records import CODES, MalformedLine, Record

DEFAULT = "host__cust__file"


def outcome(parser: Parser, line: str) -> Record | str:
    """The record on ``line`` with every field read, or the reason it is refused."""
    try:
        rec = parser.parse(line)
    except MalformedLine as exc:
        assert exc.reason
        return exc.reason
    assert rec.instance.count("__") == 2
    assert rec.code in CODES
    assert rec.rid and rec.rid == rec.rid.strip()
    assert len(rec.minute) == 16
    assert math.isfinite(rec.seconds) and 0 <= rec.seconds < 100
    assert rec.second.isascii()
    assert rec.rest == rec.rest.strip()
    assert rec.args == rec.rest.split()
    assert rec.status == rec.rest[:1]
    return rec


# Lines close to the real thing, so that most examples get past the first checks and
# many reach the fast path: words from small sets, joined by one space mostly, and
# now and then by other white space or nothing.
SEPARATORS = st.sampled_from([" "] * 12 + ["  ", "\t", "\xa0", "\u3000", "\x1c", ""])
WORDS = {
    "source": st.sampled_from(["app1 acme inst1", "app2 acme inst1:", "app1 a__b x", "a b .."]),
    "colon": st.sampled_from(["", "", ":", "::"]),
    "code": st.sampled_from([*CODES, "Q", "AB", ":", ""]),
    "rid": st.sampled_from(["1", "-7", "0", "é", "1\t2", "1\xa02", ""]) | st.text(max_size=4),
    "date": st.sampled_from(["2014-12-13", "2014-12-14", "2014-13-13", "２０１４-12-13", "14-1-1"]),
    "time": st.sampled_from(["16:14", "16:15", "25:00", "16:14:4"]),
    "second": st.sampled_from(["", ":47", ":47.5", ":47.820000", ":4²", ":4x", ":47."]),
    "args": st.sampled_from(["", "200 12", "Error: boom", "GET /x", "200\u3000", "\u2003x"])
    | st.text(max_size=8),
}


@st.composite
def tracelog_lines(draw: st.DrawFn) -> str:
    word = {name: draw(strategy) for name, strategy in WORDS.items()}
    pieces = [word["source"], word["colon"], word["code"], word["rid"], word["date"]]
    pieces.append(word["time"] + word["second"])
    if word["args"]:
        pieces.append(word["args"])
    line = ""
    for piece in pieces:
        if piece:
            line += (draw(SEPARATORS) if line else "") + piece
    return line + draw(st.sampled_from(["", "", "\n", "\r", " "]))


@given(st.text())
@example("app1 acme inst1 C 1 2014-12-13 16:14:4\u00b2")
@example("app1 acme inst1 C 1 \uff12\uff10\uff11\uff14-12-13 16:14:47")
def test_any_text_parses_or_is_refused(text: str) -> None:
    for parser in (Parser(), Parser(DEFAULT)):
        for line in (text, *text.splitlines()):
            outcome(parser, line)


@given(st.binary())
def test_any_bytes_read_from_a_file_are_parsed_and_aggregated_without_raising(
    data: bytes,
) -> None:
    """Bytes decoded as the tailer decodes them (UTF-8, bad bytes replaced), then fed."""
    lines = data.decode("utf-8", "replace").split("\n")
    aggregator = Aggregator(MinuteClock())
    skipped = aggregator.feed_lines(Parser(DEFAULT), lines)
    assert all(isinstance(error, MalformedLine) for _, error in skipped)
    aggregator.close_quiet(2e9, 0, 2e9)  # every pending minute: the input went quiet
    aggregator.take_rows()


@given(st.lists(tracelog_lines(), min_size=1, max_size=8))
@example(["app1 acme inst1 A 1 2014-12-13 16:14:47", "app1 acme inst1 A 1\t2 2014-12-13 16:14:47"])
@example(
    ["app1 acme inst1 : C 1 2014-12-13 16:14:47", "app1 acme inst1 : C 1\xa02 2014-12-13 16:14:47"]
)
def test_lines_parse_the_same_whatever_the_parser_has_seen(lines: list[str]) -> None:
    """A parser that has seen every line (its fast path knows their sources and minutes)
    answers each line as a new parser does."""
    warm = Parser(DEFAULT)
    for line in lines:
        outcome(warm, line)
    for line in lines:
        assert outcome(warm, line) == outcome(Parser(DEFAULT), line), line


@given(st.lists(tracelog_lines(), min_size=1, max_size=20))
def test_line_shaped_text_is_aggregated_without_raising(lines: list[str]) -> None:
    aggregator = Aggregator(MinuteClock())
    aggregator.feed_lines(Parser(DEFAULT), lines)
    aggregator.close_quiet(2e9, 0, 2e9)  # every pending minute: the input went quiet
    for rows in aggregator.take_rows().values():
        for _, (rpm, epm, backlog, spr, start) in rows:
            assert rpm >= epm >= 0 and backlog >= 0 and start in (0, 1)
            assert spr is None or (math.isfinite(spr) and spr > 0)


@given(st.lists(tracelog_lines(), min_size=1, max_size=12))
@example(["app1 acme inst1 I 1 2014-12-13 16:14:47", "app1 acme inst1 A 1 2014-12-13 16:14:48 5"])
def test_the_hot_loop_aggregates_as_records_fed_one_by_one(lines: list[str]) -> None:
    """``feed_lines`` (the fast path fed from offsets in the line, no Record) and
    ``feed`` of each line's record from the general path give the same state and rows;
    the lines go round twice so the second round takes the fast path."""
    lines = lines + lines
    hot = Aggregator(MinuteClock())
    hot_skipped = hot.feed_lines(Parser(DEFAULT), lines)
    one_by_one = Aggregator(MinuteClock())
    skipped = []
    for lineno, line in enumerate(lines, 1):
        try:
            rec = Parser(DEFAULT).parse_general(line)
        except MalformedLine as exc:
            skipped.append((lineno, exc.reason))
            continue
        one_by_one.feed(rec)
    assert [(n, exc.reason) for n, exc in hot_skipped] == skipped
    assert hot.dump() == one_by_one.dump()
    hot.update_hosts(0.0)
    one_by_one.update_hosts(0.0)
    assert hot.hosts == one_by_one.hosts
    assert hot.take_rows() == one_by_one.take_rows()


@given(st.text(alphabet="0123456789.²x", max_size=10))
@example("47.820000")
@example("59.999999")
def test_seconds_read_in_place_equal_float(text: str) -> None:
    """``SS`` or ``SS.f`` to ``SS.ffffff`` in ASCII digits is read as ``float`` reads it;
    anything else is refused."""
    valid = re.fullmatch(r"[0-9]{2}(\.[0-9]{1,6})?", text) is not None
    assert seconds_at(text, 0, len(text)) == (float(text) if valid else -1.0)
    assert valid_second(text) == valid
