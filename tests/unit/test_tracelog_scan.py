"""The tracelog parser's fast path in C (``tracelog/_scan.c``) against the Python one.

``Parser.scan`` asks the C helper first and ``Parser._scan_py`` (the reference) when it
answers None; wherever the helper answers, it must be ``_scan_py``'s answer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphmetrics.tracelog import parser as parser_module
from graphmetrics.tracelog.parser import Parser

pytestmark = pytest.mark.skipif(
    parser_module._SCAN_C is None, reason="the C helper is not built (GRAPHMETRICS_PURE_PYTHON)"
)

KNOWN = [
    "app1 acme inst1-1 : B 7 2023-11-14 22:13:20.123456 GET /a?b=1",
    "app1 acme inst1-1 I 7 2023-11-14 22:14:01.5 0",
    "web-2.example beta shop.x : A 7f 2023-11-14 22:13:20 200 1234",
]
#: pieces a line is made of: (usual ones, broken or unusual ones)
SOURCES = (
    ["app1 acme inst1-1", "web-2.example beta shop.x"],
    ["app1 acme other", "h b", "a b c d"],
)
SEPARATORS = ([" ", " : "], ["  ", "\t", " :", " :x ", ": "])
CODES = (list("ABCDEISTX-"), ["Z", "AA", "", "a"])
IDS = (["7", "7f", "0123456789abcdef"], ["x\x01y", "1 2", "", "é", "x\xa0y"])
DATES = (["2023-11-14"], ["2023-11-15", "2023-11-1", "2023/11/14", ""])
TIMES = (
    ["22:13:20.123456", "22:14:01.5", "22:13:20", "22:14:59.999999"],
    ["22:13:2", "22:13:20.1234567", "22:13:", "22:13:2a.5", "22:13:20.", "22:13:20.12.4"],
)
TAILS = (
    ["", " GET /a?b=1", " 200 1234", " é", " x\xa0y"],
    ["  200", " 200 ", " \t", " \x85x", " x\xa0", " 😀", " 200\n"],
)


def learnt() -> Parser:
    parser = Parser()
    for line in KNOWN:
        parser.parse(line)  # the general path learns the sources and minutes
    return parser


@st.composite
def lines(draw: st.DrawFn) -> str:
    def part(choices: tuple[list[str], list[str]]) -> str:
        usual, unusual = choices
        return draw(st.sampled_from(usual if draw(st.integers(0, 5)) else unusual))

    words = [SOURCES, SEPARATORS, CODES, " ", IDS, " ", DATES, " ", TIMES, TAILS]
    line = "".join(w if isinstance(w, str) else part(w) for w in words)
    if not draw(st.integers(0, 4)):  # anything may be cut or changed
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.text(max_size=3)) + line[at + draw(st.integers(0, 3)) :]
    return line


def test_the_usual_lines_are_answered_in_c() -> None:
    parser = learnt()
    for line in KNOWN:
        found = parser_module._SCAN_C(
            parser._sources, parser._minutes, parser._last_minute, line, parser._cache
        )
        assert found is not None, line
        assert found == parser._scan_py(line)
        assert parser.scan(line) == found


ANSWERED: list[str] = []


@settings(max_examples=3000, deadline=None)
@given(lines())
def test_wherever_c_answers_it_is_the_python_answer(line: str) -> None:
    parser = learnt()
    for last in ("", "2023-11-14 22:13", "2023-11-15 00:00"):
        parser._last_minute = last
        found = parser_module._SCAN_C(parser._sources, parser._minutes, last, line, parser._cache)
        expected = parser._scan_py(line)
        if found is not None:
            assert found == expected
            ANSWERED.append(line)
        parser._last_minute = last
        assert parser.scan(line) == expected


def test_one_cache_slot_for_every_source_still_finds_each() -> None:
    """The C helper's cache of sources: a slot taken by another source is a miss (the
    prefix is compared), never that source's instance."""
    parser = learnt()
    parser._cache = ["", ""]  # one slot
    lines = [KNOWN[0], KNOWN[2], "app1 acme inst1-1 : E 7 2023-11-14 22:13:21.5", KNOWN[2]]
    for line in lines * 3:
        found = parser_module._SCAN_C(
            parser._sources, parser._minutes, parser._last_minute, line, parser._cache
        )
        assert found is not None and found == parser._scan_py(line)
    assert parser._cache == ["web-2.example beta shop.x", "web-2.example__beta__shop.x"]


def test_the_generated_lines_were_often_answered_in_c() -> None:
    """The property above is not empty: many generated lines took the C path."""
    if not ANSWERED:
        test_wherever_c_answers_it_is_the_python_answer()
    assert len(set(ANSWERED)) >= 50


def test_the_last_minute_is_kept_as_the_python_path_keeps_it() -> None:
    parser = learnt()
    parser._last_minute = ""
    first = parser.scan(KNOWN[0])
    assert parser._last_minute == "2023-11-14 22:13"
    assert parser.scan(KNOWN[0])[4] is first[4] is parser._last_minute  # one object


def test_bad_arguments_are_a_type_error() -> None:
    assert parser_module._SCAN_C is not None
    with pytest.raises(TypeError):
        parser_module._SCAN_C({}, set(), "", b"bytes", ["", ""])
    with pytest.raises(TypeError):
        parser_module._SCAN_C({}, set(), "", "x", [])
    with pytest.raises(TypeError):
        parser_module._SCAN_C({}, set(), "", "x")  # type: ignore[call-arg]
