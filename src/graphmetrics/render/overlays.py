"""What the renderer adds to a graph definition: the same lines in the past.

Pure functions over :class:`~graphmetrics.render.graph.Graph` values (imported for type
checking only: :mod:`graphmetrics.render.graph` uses this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphmetrics.render.graph import Graph

_INTERNAL = "gm" + "_" * 62


def internal_name(tag: str) -> str:
    """A variable name of the renderer's own: longer than any name a definition may
    use (at most 63 characters), so it never collides with one."""
    return f"{_INTERNAL}{tag}"


def is_internal(name: str) -> bool:
    return name.startswith(_INTERNAL)


def _renamed(rpn: str, names: Mapping[str, str]) -> str:
    def token(tok: str) -> str:
        if tok.startswith("PREV(") and tok.endswith(")"):
            return f"PREV({names.get(tok[5:-1], tok[5:-1])})"
        return names.get(tok, tok)

    return ",".join(token(tok) for tok in rpn.split(","))


def with_past(graph: Graph) -> Graph:
    """``graph`` plus, when it compares, each LINE/AREA as it was ``compare`` s earlier.

    Every series is read again shifted (rrdtool ``SHIFT``) under an internal name and
    every CDEF is repeated over those names; the past lines are dashed and half
    transparent in their line's colour, their legend says how long ago.
    """
    if not graph.compare:
        return graph
    names = {s.name: internal_name(f"past_{s.name}") for s in graph.series}
    names |= {c.name: internal_name(f"past_{c.name}") for c in graph.cdefs}
    series = [replace(s, name=names[s.name], shift=graph.compare) for s in graph.series]
    cdefs = [replace(c, name=names[c.name], rpn=_renamed(c.rpn, names)) for c in graph.cdefs]
    ago = _ago(graph.compare)
    past = [
        replace(
            line,
            value=names[line.value],
            type="LINE",
            width=max(line.width, 1.0),
            color=line.color[:7] + "99",
            legend=f"{line.legend or line.value} ({ago})",
            dash=(4, 3),
            stack=False,
        )
        for line in graph.lines
        if line.type in ("LINE", "AREA") and line.value in names
    ]
    return replace(
        graph,
        series=graph.series + tuple(series),
        cdefs=graph.cdefs + tuple(cdefs),
        lines=graph.lines + tuple(past),
    )


def _ago(seconds: int) -> str:
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return f"{seconds} s ago"
