"""Which consolidations a file keeps, and a graph that asks only for those.

graphmetrics' own files keep AVERAGE and MAX archives; the original graphmetrics'
tracelog files (and other files served as they are) keep only AVERAGE.  rrdtool
(1.7) does not refuse a DEF asking for a consolidation a file has no archive of: it
silently reads another archive, so a line labelled MAX would show something else
without a word.  A graph wanting MAX of such a file (a dashboard's restart ticks, a
builder line set to MAX) is drawn from AVERAGE instead, and says so in its title and
the ``X-Graphmetrics-Notice`` header (:func:`fall_back`).  A file's archives
are fixed when it is created, so they are remembered per file identity (device,
inode, size): one ``stat`` per file and request, one ``rrdtool info`` per file.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping

import rrdtool

from graphmetrics.render.graph import Graph

FALLBACK = "AVERAGE"


@functools.lru_cache(maxsize=8192)
def _consolidations(path: str, _identity: tuple[int, int, int]) -> frozenset[str]:
    info = rrdtool.info(path)
    return frozenset(str(v) for k, v in info.items() if k.startswith("rra[") and k.endswith("].cf"))


def consolidations(path: str) -> frozenset[str] | None:
    """The consolidation functions ``path`` keeps archives of; None: cannot tell."""
    try:
        st = os.stat(path)
        return _consolidations(path, (st.st_dev, st.st_ino, st.st_size))
    except (OSError, rrdtool.OperationalError):
        return None


def fall_back(graph: Graph, paths: Mapping[str, str]) -> tuple[Graph, tuple[str, ...]]:
    """``graph`` with AVERAGE for every series whose file lacks the asked consolidation,
    and the notes saying so (also appended to the title, so the image tells)."""
    notes: list[str] = []
    series = []
    for s in graph.series:
        path = paths.get(s.path)
        kept = consolidations(path) if s.cf != FALLBACK and path else None
        if kept is not None and s.cf not in kept and FALLBACK in kept:
            note = f"{s.path} keeps no {s.cf} archive: {FALLBACK} drawn"
            if note not in notes:
                notes.append(note)
            s = dataclasses.replace(s, cf=FALLBACK)
        series.append(s)
    if not notes:
        return graph, ()
    cfs = sorted({n.split(" keeps no ")[1].split(" ")[0] for n in notes})
    suffix = f"({FALLBACK} drawn: {len(notes)} files keep no {'/'.join(cfs)})"
    title = f"{graph.title} {suffix}" if graph.title else suffix
    return dataclasses.replace(graph, series=tuple(series), title=title), tuple(notes)
