"""The Graphite API's one JSON writer: strict JSON that browsers and Grafana read.

Python's :mod:`json` writes ``NaN`` and ``Infinity``, which are not JSON.  A null
point is written ``null`` and an infinite value ``1e9999`` (``-1e9999``), which
JavaScript's ``JSON.parse`` reads as ``Infinity``; graphite-web writes the bare
words, which Grafana has to work around.  Text is never rewritten: an alias such as
``"NaN, Infinity,"`` comes back as it was sent.
"""

from __future__ import annotations

import json
import math
from typing import Any

# stands for an infinity while the text is written; a JSON string cannot hold NUL raw
_INF = "\x00inf\x00"
_INF_TEXT = ((json.dumps("-" + _INF), "-1e9999"), (json.dumps(_INF), "1e9999"))


def _marked(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return _INF if value > 0 else "-" + _INF
        return value
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(v) for v in value]
    return value


def strict_json(data: Any) -> bytes:
    """Any answer (find, expand, functions, ...) as strict JSON."""
    body = json.dumps(_marked(data), allow_nan=False)
    for marker, text in _INF_TEXT:
        body = body.replace(marker, text)
    return body.encode()


def _points(points: list[Any]) -> str:
    # numbers only: the words Python writes for them can be replaced as text
    text = json.dumps(points)
    if "N" in text or "I" in text:
        text = text.replace("NaN", "null").replace("Infinity", "1e9999")
    return text


def series_json(series: list[tuple[str, list[Any]]]) -> bytes:
    """``/graphite/render``'s JSON: each ``(name, datapoints)`` as graphite-web writes
    it, the names encoded as strings and only the points' numbers rewritten.

    Built per series so the points, most of the answer, go through :mod:`json`'s C
    encoder in one call each.
    """
    parts = []
    for name, points in series:
        text = json.dumps(name)
        parts.append(
            f'{{"target": {text}, "tags": {{"name": {text}}}, "datapoints": {_points(points)}}}'
        )
    return ("[" + ", ".join(parts) + "]").encode()
