"""A dashboard variable's values: what its ``$name`` matches in the series names.

``GET /api/variables/values?pattern=metrics/$env/$service&name=service&var-env=prod``
answers the services under ``metrics/prod/``.  The series index finds the candidates
with the pattern's glob (every variable as ``*``, so one cached search serves every
choice of the earlier variables); RE2 then reads each candidate's value, the earlier
variables standing for their given values (``var-env=``, empty, matches any env).
A ``$`` naming neither ``name`` nor a ``var-`` parameter is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import re2

from graphmetrics.saved.accounts import InvalidInput
from graphmetrics.saved.variables import (
    MAX_PATTERN,
    MAX_VARIABLES,
    NAME,
    Variable,
    printable,
    references,
    split_pattern,
)
from graphmetrics.web.series_index import SearchError, _class_end, glob_to_regex

MAX_VALUES = 1000
MAX_VALUE = 200


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 8 << 20
    return options


def value_regex(pattern: str, name: str, values: Mapping[str, str]) -> str:
    """The regular expression matching a whole series name of ``pattern``, its group 1
    the value of ``$name``; the other variables are their ``values`` (empty: any)."""
    out = []
    for part in split_pattern(pattern, [name, *values]):
        if isinstance(part, str):
            out.append(glob_to_regex(part))
        elif part[0] == name:
            out.append("([^/]+?)")
        elif values.get(part[0]):
            out.append(re.escape(values[part[0]]))
        else:
            out.append("[^/]+")
    # like a glob: search: the whole name, or the name after its first "/"
    return "^(?:[^/]*/)?" + "".join(out) + "$"


def candidate_glob(pattern: str, names: Collection[str]) -> str:
    """``pattern`` with every variable as ``*``: a glob finding at least its names."""
    return "".join(p if isinstance(p, str) else "*" for p in split_pattern(pattern, names))


def check_classes(pattern: str, names: Collection[str], where: str = "pattern") -> None:
    """``InvalidInput`` when a variable is inside a ``[...]`` set of the glob: its value
    would be a set of characters, not a part of the name."""
    marked = "".join(
        p if isinstance(p, str) else "\0" for p in split_pattern(pattern, names, where)
    )
    i = 0
    while i < len(marked):
        if marked[i] == "[" and (end := _class_end(marked, i + 1)) > 0:
            if "\0" in marked[i + 1 : end]:
                raise InvalidInput(f"{where}: a variable cannot be inside [...]")
            i = end
        i += 1


def check_globs(variables: Sequence[Variable]) -> None:
    """Each declared pattern as the values' search reads it (``variables[1].pattern: …``)."""
    for i, variable in enumerate(variables):
        names = [v.name for v in variables[: i + 1]]
        check_classes(variable.pattern, names, f"variables[{i}].pattern")


def check_request(pattern: Any, name: Any, values: Mapping[str, str]) -> None:
    """``InvalidInput`` naming the parameter that cannot be used."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInput("pattern: missing: the series glob, e.g. metrics/$env/*")
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"pattern: longer than {MAX_PATTERN} characters")
    if not printable(pattern):
        raise InvalidInput("pattern: one line of printable characters")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise InvalidInput("name: missing or not a variable name (e.g. env)")
    if len(values) > MAX_VARIABLES:
        raise InvalidInput(f"var-: at most {MAX_VARIABLES} other variables' values")
    for other, value in values.items():
        if not NAME.fullmatch(other):
            raise InvalidInput(f"var-{other[:40]}: not a variable name (e.g. var-env=prod)")
        if len(value) > MAX_VALUE or "/" in value or "\n" in value:
            raise InvalidInput(
                f"var-{other}: a value is one path segment of at most {MAX_VALUE} characters"
            )
    used = references(pattern, [name, *values])
    check_classes(pattern, [name, *values])
    if used.count(name) != 1:
        raise InvalidInput(f"pattern: must use ${name} exactly once, where its values are")


def variable_values(
    matching: Callable[[str], list[str]],
    pattern: str,
    name: str,
    values: Mapping[str, str],
    limit: int = MAX_VALUES,
) -> dict[str, Any]:
    """``{"values": sorted distinct values, "truncated": more than limit}`` of ``$name``
    in the names ``matching(query)`` finds (a series index's search)."""
    check_request(pattern, name, values)
    try:
        program = re2.compile(value_regex(pattern, name, values), _options())
    except re2.error:
        raise InvalidInput("pattern: too complex to match (RE2 refused it)") from None
    try:
        candidates = matching(f"glob:{candidate_glob(pattern, [name, *values])}")
    except SearchError as exc:
        raise InvalidInput(f"pattern: {str(exc).removeprefix('q: ')}") from None
    found = {m.group(1) for m in map(program.fullmatch, candidates) if m is not None}
    return {"values": sorted(found)[:limit], "truncated": len(found) > limit}
