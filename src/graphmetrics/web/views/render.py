"""``GET /render``: one graph as PNG, SVG, CSV or JSON (see :mod:`graphmetrics.web.graphdef`).

Only signed-in users may render (permission ``view``); anyone else gets a 403 in
the asked format (see :func:`graphmetrics.web.views.auth.forbidden`), never a
redirect an ``<img>`` could not follow.  Answers carry an ETag (hash of the format,
the rrdtool arguments and the data files' mtimes and sizes) and a ``private``
Cache-Control (per user: a shared proxy must not hand them to anyone) whose max-age
is short when the range ends near now and long for the past; ``If-None-Match`` gets
a 304.  A small LRU cache, keyed the same way, holds recent answers (setting
``render_cache_entries``, default 256, 0 turns it off).  Every problem is a 4xx
whose body states it: a small image of a fixed size for png/svg (and the
``X-Graphmetrics-Error`` header), ``{"error", "param"}`` for json, text for csv.
Graphs are drawn by a pool of worker processes (:mod:`graphmetrics.render.renderpool`;
settings ``render_workers``, ``render_deadline``): a graph not drawn by the deadline
is a 504, no worker free by then a 503; a heavy graph is admitted first
(:mod:`graphmetrics.render.admission`), and refused at once with a 503 and
``Retry-After`` when the server or the user has as many as it may.  Images carry the plot
area's geometry for drag-to-zoom: ``X-Graph-Left``, ``X-Graph-Top``,
``X-Graph-Width``, ``X-Graph-Height`` (pixels) and ``X-Graph-Start``,
``X-Graph-End`` (epoch seconds of the x-axis).
"""

from __future__ import annotations

import json
import time
from urllib.parse import unquote_to_bytes

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.render import graph
from graphmetrics.render.admission import RenderBusy
from graphmetrics.rrd import files
from graphmetrics.web import graphdef
from graphmetrics.web.config import WebSettings
from graphmetrics.web.errors import http_status
from graphmetrics.web.interfaces import IRRDReader
from graphmetrics.web.services import find
from graphmetrics.web.views.helpers import heavy_user

NEAR_NOW = 2 * 3600
SHORT_MAX_AGE = 30
LONG_MAX_AGE = 86400


def error_response(request: Request, message: str, status: int, param: str = "") -> Response:
    """The error in the format asked for (json when that is unreadable); images are
    small and of a fixed size whatever was asked, and never drawn by a render worker."""
    params = dict(query_items(request) or [])
    fmt = params.get("format", "png").lower()
    fmt = fmt if fmt in graphdef.FORMATS else "json"
    printable = "".join(c if c.isprintable() and c.isascii() else "?" for c in message[:500])
    headers = {"X-Graphmetrics-Error": printable}
    response = Response(status=status, headers=headers, cache_control="no-store")
    if fmt in ("png", "svg"):
        image = graph.error_image(message, fmt)
        response.body, response.content_type = image.body, image.content_type
    elif fmt == "json":
        response.content_type = "application/json"
        response.body = json.dumps({"error": message, "param": param}).encode()
    else:
        response.content_type = "text/plain"
        response.charset = "utf-8"
        response.text = f"error: {message}\n"
    return response


def query_items(request: Request) -> list[tuple[str, str]] | None:
    """The query parameters in order, or None when they are not UTF-8.

    Parsed as WebOb's ``request.GET`` does (``&`` or ``;`` between items, ``+`` for a
    space, bad ``%`` escapes kept as they are), at a third of its cost.
    """
    raw = request.environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    items = []
    try:
        for part in raw.replace(b"+", b" ").replace(b";", b"&").split(b"&"):
            if part:
                name, _, value = part.partition(b"=")
                items.append((unquote_to_bytes(name).decode(), unquote_to_bytes(value).decode()))
    except UnicodeDecodeError:
        return None
    return items


@view_config(route_name="render", request_method="GET", permission="view")
def render_view(request: Request) -> Response:
    items = query_items(request)
    if items is None:
        return error_response(request, "query: not valid UTF-8", 400, "query")
    return answer(request, items)


def answer(request: Request, items: list[tuple[str, str]]) -> Response:
    """The answer to ``/render`` with these query parameters (also what the original
    graphmetrics' ``show.png`` links are answered with, :mod:`.original`)."""
    web: WebSettings = request.registry.settings["graphmetrics"]
    now = int(time.time())
    try:
        req = graphdef.parse_request(items, now, web.render_max_work)
    except graphdef.GraphDefError as exc:
        return error_response(request, str(exc), 400, exc.param)
    reader = find(request, IRRDReader)
    try:
        prepared = reader.prepare(req)
    except files.FileError as exc:
        return error_response(request, str(exc), http_status(exc), "series")
    max_age = SHORT_MAX_AGE if req.end >= now - NEAR_NOW else LONG_MAX_AGE
    cache_control = f"private, max-age={max_age}"
    if prepared.etag[1:-1] in request.if_none_match:
        headers = [("ETag", prepared.etag), ("Cache-Control", cache_control)]
        return Response(status=304, headerlist=headers)
    try:
        rendered = reader.draw(prepared, heavy_user(request))
    except graph.RenderError as exc:
        response = error_response(request, str(exc), http_status(exc))
        if isinstance(exc, RenderBusy):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    headers = [
        ("Content-Type", rendered.content_type),
        ("Content-Length", str(len(rendered.body))),
        *rendered.headers,
        ("ETag", prepared.etag),
        ("Cache-Control", cache_control),
    ]
    if prepared.notes:  # e.g. AVERAGE drawn for a file keeping no MAX archive
        notice = "; ".join(prepared.notes)[:500]
        notice = "".join(c if c.isprintable() and c.isascii() else "?" for c in notice)
        headers.append(("X-Graphmetrics-Notice", notice))
    return Response(body=rendered.body, headerlist=headers)
