"""Regular expressions in Graphite targets, always through RE2 (linear time).

Python's ``re`` backtracks: ``aliasSub(x, "(a+)+b", "")`` on a name of 27 ``a``
takes seconds, and each more character doubles it.  RE2 matches in time linear in
the name, and refuses what it cannot do that way (backreferences, lookaround) with
an error the user gets as a 400.  Every Graphite function taking a regular
expression (``aliasSub``, ``grep``, ``exclude``, ``aliasByTags``...) compiles it
here::

    pattern = compile_pattern(search, "aliasSub")      # TargetError when refused
    name = substitute(pattern, replace, s.name, "aliasSub")
    keep = [s for s in series if pattern.search(s.name)]
"""

from __future__ import annotations

import functools
from typing import Any

import re2

from graphmetrics.graphite.grammar import TargetError
from graphmetrics.text import quoted

MAX_PATTERN = 1000
# RE2's memory for one program: plenty for any pattern of MAX_PATTERN characters but
# nested counted repetitions, which RE2 then refuses ("pattern too large").
_MAX_MEM = 8 << 20


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the user's 400, not our log
    options.max_mem = _MAX_MEM
    options.case_sensitive = not ignore_case
    return options


def _reason(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, ignore_case: bool) -> Any:
    return re2.compile(pattern, _options(ignore_case))


def compile_pattern(pattern: str, func: str, *, ignore_case: bool = False) -> Any:
    """``pattern`` compiled by RE2 (``search``, ``match``, ``sub`` as in ``re``).

    :class:`TargetError` naming ``func`` for a pattern longer than
    :data:`MAX_PATTERN` or one RE2 refuses (bad syntax, backreferences, lookaround,
    too large).  Compiled patterns are cached.
    """
    if len(pattern) > MAX_PATTERN:
        raise TargetError(f"{func}: regular expression longer than {MAX_PATTERN} characters")
    try:
        return _compile(pattern, ignore_case)
    except re2.error as exc:
        raise TargetError(
            f"{func}: bad regular expression {quoted(pattern)}: {_reason(exc)} "
            "(RE2 syntax: no backreferences or lookaround)"
        ) from None


def substitute(pattern: Any, replace: str, text: str, func: str) -> str:
    """``pattern.sub(replace, text)`` (``\\1``, ``\\g<name>``); a bad group is a TargetError."""
    try:
        return str(pattern.sub(replace, text))
    except (re2.error, IndexError, KeyError, ValueError) as exc:
        raise TargetError(f"{func}: bad replacement {quoted(replace)}: {_reason(exc)}") from None
