"""Regular expressions in targets (grep, exclude, aliasSub, …) through RE2.

RE2 matches in time linear in the name, whatever the pattern, like the series
search; a pattern RE2 cannot run (back-references, look-around) is a 400 naming
the function.  graphite-web uses Python's ``re``: the syntax both share (classes,
groups, ``\\1`` in replacements, ``(?i)``) behaves the same.
"""

from __future__ import annotations

from typing import Any

import re2

from graphmetrics.graphite.grammar import TargetError

MAX_PATTERN = 1000
_MAX_MEM = 8 << 20


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is the user's 400, not the server's log
    options.max_mem = _MAX_MEM
    return options


def compile_regex(func: str, pattern: str) -> Any:
    """``pattern`` compiled by RE2; :class:`TargetError` saying why it cannot be."""
    if len(pattern) > MAX_PATTERN:
        raise TargetError(f"{func}: the pattern is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise TargetError(
            f"{func}: bad regular expression {pattern!r}: {reason} (RE2 syntax)"
        ) from None


def substitute(func: str, regex: Any, replace: str, text: str) -> str:
    """``regex.sub(replace, text)``, a bad group reference being the user's error."""
    try:
        return str(regex.sub(replace, text))
    except (re2.error, IndexError, ValueError) as exc:
        raise TargetError(f"{func}: cannot replace with {replace!r}: {exc}") from None
