"""Quoting user input in error messages: enough to recognise it, never all of it.

An error that echoes a 300 MB value costs the server its memory twice and sends it
back; :func:`quoted` is what every message quoting a request value uses instead of
``{value!r}``.
"""

from __future__ import annotations

import reprlib

MAX_QUOTED = 80
MAX_MESSAGE = 500

_REPR = reprlib.Repr()
_REPR.maxstring = MAX_QUOTED
_REPR.maxother = MAX_QUOTED
_REPR.maxlong = MAX_QUOTED
_REPR.maxlevel = 3
for _name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
    setattr(_REPR, _name, 6)


def quoted(value: object) -> str:
    """``repr(value)`` cut to about :data:`MAX_QUOTED` characters (``...`` where cut)."""
    text = _REPR.repr(value)
    if len(text) > 2 * MAX_QUOTED:  # reprlib bounds each part, not the whole
        text = text[:MAX_QUOTED] + "..." + text[-8:]
    return text


def brief(message: str) -> str:
    """An error message cut to :data:`MAX_MESSAGE` characters: the last guard for
    messages built elsewhere, whose quoted values may not have been cut."""
    if len(message) <= MAX_MESSAGE:
        return message
    return f"{message[: MAX_MESSAGE - 40]}... ({len(message)} characters)"
