"""Graphite target parsing: the tree for good targets, a message naming the place for bad."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import Call, Const, Path, TargetError, parse_target


def test_path_with_patterns() -> None:
    assert parse_target("a.b*.{c,d}.e[12]?") == Path("a.b*.{c,d}.e[12]?")


def test_nested_calls_with_literals_and_keywords() -> None:
    node = parse_target("summarize(sumSeries(a.*, b.c), '1h', func=\"max\", alignToFrom=true)")
    assert node == Call(
        "summarize",
        (Call("sumSeries", (Path("a.*"), Path("b.c"))), Const("1h", "string")),
        (("func", Const("max", "string")), ("alignToFrom", Const(True, "boolean"))),
    )


def test_numbers_none_and_inf() -> None:
    node = parse_target("f(a, -1, 2.5, 1e3, None, inf)")
    assert isinstance(node, Call)
    assert [a.value for a in node.args[1:]] == [-1, 2.5, 1000.0, None, float("inf")]  # type: ignore[union-attr]


def test_a_number_followed_by_path_characters_is_a_path() -> None:
    assert parse_target("f(1d.foo)") == Call("f", (Path("1d.foo"),))


def test_pipes_become_first_arguments() -> None:
    assert parse_target("a.b | scale(2) | alias('x')") == Call(
        "alias",
        (Call("scale", (Path("a.b"), Const(2, "number"))), Const("x", "string")),
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sumSeries(a.b", "expected ',' or ')' closing sumSeries( at character 14"),
        ("a..b", "expected a metric path or function call at character 3"),
        ("f(a, 'x)", "string starting at character 6 is not closed"),
        ("a.{b,c", "expected '}' closing '{'"),
        ("f(x=1, a.b)", "positional after keywords"),
        ("", "expected a metric path or function call at character 1"),
        ("a.b)", "expected the end of the target at character 4, found ')'"),
    ],
)
def test_bad_targets_say_what_and_where(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_target(target)
