"""Graphite targets parsed by recursive descent, following graphite-web's ``grammar.py``.

::

    expression := (call | path) ("|" call)*
    call       := funcname "(" [args ["," kwargs]] ")"
    arg        := boolean | number | none | string | inf | expression
    kwarg      := argname "=" arg
    path       := element ("." element)*
    element    := (chars | "{" chars ("," chars)* "}")+

Numbers count only when a ``,``, a ``)`` or the end follows them (``1d.foo`` is a
path); strings keep backslashes as graphite's do; whitespace between tokens is
skipped.  A ``|`` pipes the expression on its left in as the call's first argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# graphite's validMetricChars: printable ASCII minus these symbols (and space)
SYMBOLS = "(){},.'\"\\|"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")
_KEYWORD_END = re.compile(r"[A-Za-z0-9_$]")
MAX_TARGET = 10_000
MAX_DEPTH = 100


class TargetError(ValueError):
    """A target that does not parse, or a call that cannot be evaluated."""


@dataclass(frozen=True)
class Path:
    pattern: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...] = field(default=())


Literal = bool | int | float | str | None


@dataclass(frozen=True)
class Const:
    """A literal argument: number, string (``kind`` "string"), boolean, none or inf."""

    value: Literal
    kind: str


Node = Path | Call | Const


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, expected: str) -> TargetError:
        found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
        return TargetError(f"expected {expected} at character {self.pos + 1}, found {found}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(repr(char))
        self.pos += 1

    def parse(self) -> Node:
        node = self.expression()
        if self.peek():
            raise self.fail("the end of the target")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TargetError(f"target nested deeper than {MAX_DEPTH} calls")
        self.skip()
        node = self.call() or self.path()
        while self.peek() == "|":
            self.pos += 1
            self.skip()
            piped = self.call()
            if piped is None:
                raise self.fail("a function call after '|'")
            node = Call(piped.name, (node, *piped.args), piped.kwargs)
        self.depth -= 1
        return node

    def call(self) -> Call | None:
        match = _IDENT.match(self.text, self.pos)
        if not match:
            return None
        after = match.end()
        while after < len(self.text) and self.text[after].isspace():
            after += 1
        if after >= len(self.text) or self.text[after] != "(":
            return None
        name = match.group()
        self.pos = after + 1
        args: list[Node] = []
        kwargs: list[tuple[str, Node]] = []
        if self.peek() != ")":
            while True:
                self.skip()
                kw = self.argname()
                if kw is not None:
                    kwargs.append((kw, self.arg()))
                elif kwargs:
                    raise self.fail(f"a keyword argument (positional after keywords in {name})")
                else:
                    args.append(self.arg())
                if self.peek() != ",":
                    break
                self.pos += 1
        if self.peek() != ")":
            raise self.fail(f"',' or ')' closing {name}(")
        self.pos += 1
        return Call(name, tuple(args), tuple(kwargs))

    def argname(self) -> str | None:
        match = _IDENT.match(self.text, self.pos)
        if not match:
            return None
        after = match.end()
        while after < len(self.text) and self.text[after].isspace():
            after += 1
        if after < len(self.text) and self.text[after] == "=":
            self.pos = after + 1
            return match.group()
        return None

    def arg(self) -> Node:
        self.skip()
        for word, value, kind in (
            ("true", True, "boolean"),
            ("false", False, "boolean"),
            ("none", None, "none"),
            ("inf", float("inf"), "infinity"),
        ):
            end = self.pos + len(word)
            if self.text[self.pos : end].lower() == word and not _KEYWORD_END.match(self.text, end):
                self.pos = end
                return Const(value, kind)
        number = self.number()
        if number is not None:
            return number
        if self.peek() in ("'", '"'):
            return self.string()
        return self.expression()

    def number(self) -> Const | None:
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            return None
        rest = self.text[match.end() :].lstrip()
        if rest and rest[0] not in ",)":
            return None
        self.pos = match.end()
        text = match.group()
        if "e" in text.lower() or "." in text:
            return Const(float(text), "number")
        return Const(int(text), "number")

    def string(self) -> Const:
        quote = self.text[self.pos]
        i = self.pos + 1
        while i < len(self.text) and self.text[i] != quote:
            i += 2 if self.text[i] == "\\" else 1
        if i >= len(self.text):
            raise TargetError(f"string starting at character {self.pos + 1} is not closed")
        value = self.text[self.pos + 1 : i]
        self.pos = i + 1
        return Const(value, "string")

    def path(self) -> Path:
        start = self.pos
        while True:
            self.element()
            if self.pos < len(self.text) and self.text[self.pos] == ".":
                self.pos += 1
                continue
            break
        return Path(self.text[start : self.pos])

    def element(self) -> None:
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "{":
                self.braces()
            elif char == "\\" and self.pos + 1 < len(self.text):
                self.pos += 2
            elif char.isprintable() and not char.isspace() and char not in SYMBOLS:
                self.pos += 1
            else:
                break
        if self.pos == start:
            raise self.fail("a metric path or function call")

    def braces(self) -> None:
        self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] != "}":
            char = self.text[self.pos]
            if char != "," and (char.isspace() or char in SYMBOLS):
                raise self.fail("'}' closing '{'")
            self.pos += 1
        if self.pos >= len(self.text):
            raise self.fail("'}' closing '{'")
        self.pos += 1


def parse_target(text: str) -> Node:
    """The target's syntax tree; :class:`TargetError` says what was expected where."""
    if len(text) > MAX_TARGET:
        raise TargetError(f"target longer than {MAX_TARGET} characters")
    return _Parser(text).parse()


def first_path(node: Node) -> str | None:
    """The first metric path of a target (graphite's ``_getFirstPathExpression``)."""
    while isinstance(node, Call):
        if not node.args:
            return None
        node = node.args[0]
    return node.pattern if isinstance(node, Path) else None
