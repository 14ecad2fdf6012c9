"""A page's dashboard variables: ``[{"name": "env", "pattern": "metrics/$env/*"}]``.

A pattern is a series glob (the ``glob:`` search of ``/series``) in which ``$name``
(or ``${name}``) marks the part of one path segment whose matches are the variable's
values; it may use the variables declared before it, which stand for their current
values (``metrics/$env/$service``: the services of the chosen environment).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from graphmetrics.saved.accounts import InvalidInput

MAX_VARIABLES = 10
MAX_PATTERN = 200  # as long as a /series query (series_index.MAX_QUERY)
NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")
BRACED = re.compile(r"\{([a-z][a-z0-9_]{0,30})\}")


@dataclass(frozen=True)
class Variable:
    name: str
    pattern: str

    def json(self) -> dict[str, str]:
        return {"name": self.name, "pattern": self.pattern}


def printable(text: str) -> bool:
    """No control character (a newline, a NUL) and no half of a UTF-16 surrogate pair."""
    return not any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in text)


def split_pattern(
    pattern: str, names: Collection[str], where: str = "pattern"
) -> list[str | tuple[str]]:
    """``pattern`` as glob text and ``(name,)`` references to ``names``, in order.

    ``${name}`` is a reference; so is ``$`` followed by the longest of ``names`` it
    starts with: ``tracelog/*__$customer__*`` uses ``$customer``, whatever follows.
    ``InvalidInput`` for a ``$`` naming none of ``names``.
    """
    parts: list[str | tuple[str]] = []
    text, pos = [], 0
    while pos < len(pattern):
        if pattern[pos] != "$":
            text.append(pattern[pos])
            pos += 1
            continue
        braced = BRACED.match(pattern, pos + 1)
        if braced:
            name, end = braced.group(1), braced.end()
        else:
            name = max((n for n in names if pattern.startswith(n, pos + 1)), key=len, default="")
            end = pos + 1 + len(name)
        if not name or name not in names:
            shown = pattern[pos : pos + 20]
            known = ", ".join(f"${n}" for n in names) or "none"
            raise InvalidInput(
                f"{where}: {shown!r} names no variable it may use (here: {known}); "
                "a '$' starts $name or ${name}"
            )
        parts += ["".join(text), (name,)]
        text, pos = [], end
    parts.append("".join(text))
    return [p for p in parts if p != ""]


def references(pattern: str, names: Collection[str], where: str = "pattern") -> list[str]:
    """The variable names ``pattern`` uses, in order (repeated as often as used)."""
    return [p[0] for p in split_pattern(pattern, names, where) if isinstance(p, tuple)]


def check_pattern(name: str, pattern: Any, earlier: list[str], where: str) -> str:
    """``pattern`` if it is a variable ``name``'s: its own ``$name`` once (its matches
    in one path segment are the values), otherwise only the ``earlier`` variables."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput(f"{where}: must be a series glob using ${name}, e.g. metrics/${name}/*")
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"{where}: longer than {MAX_PATTERN} characters")
    if not printable(pattern):
        raise InvalidInput(f"{where}: a pattern is one line of printable characters")
    used = references(pattern, [*earlier, name], where)
    if used.count(name) != 1:
        raise InvalidInput(
            f"{where}: must use ${name} once, where its values are "
            f"(it is used {used.count(name)} times)"
        )
    return pattern


def parse_variables(items: Any, where: str = "variables") -> list[Variable]:
    """The ``variables`` of a page save, checked; messages say which one
    (``variables[1].pattern: …``)."""
    if not isinstance(items, list):
        raise InvalidInput(f"{where} must be a list of {{name, pattern}} objects")
    if len(items) > MAX_VARIABLES:
        raise InvalidInput(f"{where}: at most {MAX_VARIABLES} variables, got {len(items)}")
    found: list[Variable] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{here} must be an object with a name and a pattern")
        unknown = set(item) - {"name", "pattern"}
        if unknown:
            raise InvalidInput(f"{here}: unknown key {sorted(unknown)[0]!r} (name, pattern)")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            shown = repr(name)[:40]
            raise InvalidInput(
                f"{here}.name: {shown} is not a variable name: a lowercase letter, then "
                "up to 30 lowercase letters, digits or '_'"
            )
        earlier = [v.name for v in found]
        if name in earlier:
            raise InvalidInput(f"{here}.name: {name!r} is declared twice")
        pattern = check_pattern(name, item.get("pattern"), earlier, f"{here}.pattern")
        found.append(Variable(name, pattern))
    return found
