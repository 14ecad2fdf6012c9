from __future__ import annotations

import pytest

from graphmetrics.tracelog.parser import Parser
from graphmetrics.tracelog.records import MalformedLine, Record


@pytest.fixture
def parser() -> Parser:
    return Parser()


@pytest.mark.parametrize(
    ("line", "code", "args"),
    [
        ("S 0 2014-12-13 16:14:47.820000 0.0.0.0:8080", "S", ["0.0.0.0:8080"]),
        ("X 0 2014-12-13 16:14:47", "X", []),
        ("B 42 2014-12-13 16:14:47.820000 GET /foo/bar?x=1", "B", ["GET", "/foo/bar?x=1"]),
        ("I 42 2014-12-13 16:14:47.820000 1234", "I", ["1234"]),
        ("C 42 2014-12-13 16:14:47.820000", "C", []),
        ("D 42 2014-12-13 16:14:47.820000 db 3 4", "D", ["db", "3", "4"]),
        ("A 42 2014-12-13 16:14:47.820000 200 1234", "A", ["200", "1234"]),
        ("A 42 2014-12-13 16:14:47.820000 200 OK 1234", "A", ["200", "OK", "1234"]),
        (
            "A 42 2014-12-13 16:14:47.820000 Error: boom it broke",
            "A",
            ["Error:", "boom", "it", "broke"],
        ),
        ("E 42 2014-12-13 16:14:47.820000", "E", []),
        (
            "E 42 2014-12-13 16:14:47.820000 Error: client went away",
            "E",
            ["Error:", "client", "went", "away"],
        ),
        ("- 42 2014-12-13 16:14:47 anything at all", "-", ["anything", "at", "all"]),
        ("T 42 2014-12-13 16:14:47 annotation", "T", ["annotation"]),
    ],
)
def test_every_record_code_with_prefix(
    parser: Parser, line: str, code: str, args: list[str]
) -> None:
    rec = parser.parse(f"app1 acme inst1 : {line}")
    assert rec.instance == "app1__acme__inst1"
    assert rec.code == code
    assert rec.rid == "0" if code in "SX" else rec.rid == "42"
    assert rec.minute == "2014-12-13 16:14"
    assert rec.second in ("47.820000", "47")
    assert rec.args == args


def test_prefix_without_colon_word(parser: Parser) -> None:
    rec = parser.parse("app1 acme inst1 A -7 2014-12-13 16:14:47 500 12\n")
    assert rec == Record.of("app1__acme__inst1", "A", "-7", "2014-12-13 16:14", "47", "500 12")


def test_instance_with_trailing_colon(parser: Parser) -> None:
    rec = parser.parse("app1 acme inst1: C 3 2014-12-13 16:14:47.5")
    assert rec.instance == "app1__acme__inst1"
    assert rec.second == "47.5"


def test_plain_tracelog_uses_the_default_instance() -> None:
    parser = Parser("host__cust__zope1")
    rec = parser.parse("B 139812 2014-12-13 16:14:47.820000 GET /")
    assert rec.instance == "host__cust__zope1"
    assert rec.code == "B"


def test_plain_tracelog_without_default_is_refused(parser: Parser) -> None:
    with pytest.raises(MalformedLine, match="prefix"):
        parser.parse("B 139812 2014-12-13 16:14:47.820000 GET /")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "empty line"),
        ("   \n", "empty line"),
        ("a b c", "too few words"),
        ("app1 acme inst1 : A 1 2014-12-13", "too few words after the source prefix"),
        ("app1 acme inst1 : Q 1 2014-12-13 16:14:47", "unknown record code"),
        ("app1 acme inst1 : AB 1 2014-12-13 16:14:47", "unknown record code"),
        ("app1 acme inst1 : A 1 2014-13-13 16:14:47", "bad date or time"),
        ("app1 acme inst1 : A 1 2014-12-13 25:14:47", "bad date or time"),
        ("app1 acme inst1 : A 1 14-12-13 16:14:47", "bad date or time"),
        ("app1 acme inst1 : A 1 2014-12-13 16:14", "bad date or time"),
        ("app1 acme inst1 : A 1 2014-12-13 16:14:4x", "bad time"),
        ("app1 acme inst1 : A 1 2014-12-13 16:14:47.1234567890", "bad time"),
        ("app1 acme inst1 : A 1 2014-12-13 16:14:4\u00b2", "bad time"),  # not for float()
        ("app1 acme inst1 : A 1 2014-12-13 16:14:\u0664\u0667", "bad time"),
        ("app1 acme inst1 : A 1 \uff12\uff10\uff11\uff14-12-13 16:14:47", "bad date or time"),
        ("app1 acme .. : A 1 2014-12-13 16:14:47", "bad source name"),
        ("app1 ../etc inst : A 1 2014-12-13 16:14:47", "bad source name"),
        ("app1 a__b inst : A 1 2014-12-13 16:14:47", "bad source name"),
        ("app1 acme in\x00st : A 1 2014-12-13 16:14:47", "bad source name"),
    ],
)
def test_malformed_lines_say_why(parser: Parser, line: str, reason: str) -> None:
    with pytest.raises(MalformedLine) as info:
        parser.parse(line)
    assert info.value.reason == reason


def test_validation_cache_does_not_let_bad_times_through(parser: Parser) -> None:
    parser.parse("app1 acme inst1 : C 1 2014-12-13 16:14:47")
    with pytest.raises(MalformedLine):
        parser.parse("app1 acme inst1 : C 1 2014-12-13 16:14:xx")


def outcome(parser: Parser, line: str) -> Record | str:
    """The record on ``line``, or the reason it is refused."""
    try:
        return parser.parse(line)
    except MalformedLine as exc:
        return exc.reason


def warmed(lines: list[str]) -> Parser:
    """A parser that has seen ``lines`` once: their sources and minutes are known."""
    parser = Parser()
    for line in lines:
        outcome(parser, line)
    return parser


@pytest.mark.parametrize("prefix", ["app1 acme inst1 : ", "app1 acme inst1 "])
def test_fast_and_general_paths_agree(prefix: str) -> None:
    """The second sighting of a source and minute takes the fast path: same records."""
    lines = [
        prefix + "A 12 2014-12-13 16:14:47.820000 200 OK 1234",
        prefix + "C -3 2014-12-13 16:14:47",
        prefix + "E 12 2014-12-13 16:14:48.5",
        prefix + "A 12 2014-12-13 16:14:49 Error:  two  spaces",
        prefix + "B 12 2014-12-13 16:14:49 GET /x\r",
        prefix + " B 12 2014-12-13 16:14:49 GET /x",
        prefix + "- 12 2014-12-13 16:14:49",
    ]
    cold = [Parser().parse(line) for line in lines]
    warm_parser = warmed(lines)
    assert [warm_parser.parse(line) for line in lines] == cold


@pytest.mark.parametrize("prefix", ["app1 acme inst1 : ", "app1 acme inst1 "])
def test_both_line_forms_take_the_fast_path(prefix: str) -> None:
    """With or without the lone ``:`` word, a known source and minute skip the general path."""
    line = prefix + "A 12 2014-12-13 16:14:47.820000 200 1234"
    parser = warmed([line])
    assert parser._parse_syslog(line) == Parser().parse(line)


@pytest.mark.parametrize(
    "line",
    [
        "app1 acme inst1 :A 1 2014-12-13 16:14:47",
        "app1 acme inst1 : : A 1 2014-12-13 16:14:47",
        "app1 acme inst1 ::A 1 2014-12-13 16:14:47",
        "app1 acme inst1 AB 1 2014-12-13 16:14:47",
        "app1 acme inst1 Q 1 2014-12-13 16:14:47",
        "app1 acme inst1 : Q 1 2014-12-13 16:14:47",
        "app1 acme inst1 A",
        "app1 acme inst1 A ",
        "app1 acme inst1 :",
        "app1 acme inst1 : ",
        "app1 acme inst1 : A",
        "app1 acme inst1 A  1 2014-12-13 16:14:47",
        "app1 acme inst1  A 1 2014-12-13 16:14:47",
        "app1 acme inst1 A 1 2014-12-13 16:14:4x",
        "app1 acme inst1 A 1 2014-12-13 16:14",
        "app1 acme inst1 : A 1 2014-12-13 16:14 200 1",
        "app1 acme inst1 A 1 2014-12-13  16:14:47",
        "app1 acme inst1 A 1\t2 2014-12-13 16:14:47",
        "app1 acme inst1 : A 1\u00a02 2014-12-13 16:14:47",
        "app1 acme inst1 A 1 2014-12-13 16:14:47 200\u3000",
        "app1 acme inst1 : A 1 2014-12-13 16:14:47 \u2003200",
        "app1 acme inst1 A 1 2014-12-13 16:14:47\x1c200",
        "app1 acme inst1\tA 1 2014-12-13 16:14:47",
        "A 1 2014-12-13 16:14:47 200 1",
    ],
)
def test_lines_near_the_fast_path_parse_as_on_first_sight(line: str) -> None:
    """Lines almost in a fast form, from a known source in a known minute: as a cold parser."""
    known = [
        "app1 acme inst1 : C 1 2014-12-13 16:14:47",
        "app1 acme inst1 C 1 2014-12-13 16:14:47",
        "A 1 2014-12-13 16:14:47 200 1",
    ]
    assert outcome(warmed(known), line) == outcome(Parser(), line)


def test_fast_path_still_refuses_bad_seconds() -> None:
    parser = Parser()
    parser.parse("app1 acme inst1 : C 1 2014-12-13 16:14:47")
    for bad in ("16:14:4", "16:14:47.", "16:14:47.1234567", "16:14:4x"):
        with pytest.raises(MalformedLine):
            parser.parse(f"app1 acme inst1 : C 1 2014-12-13 {bad}")
