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
Graphs are drawn by a pool of worker processes (:mod:`graphmetrics.rrd.renderpool`;
settings ``render_workers``, ``render_deadline``): a graph not drawn by the deadline
is a 504, no worker free by then a 503.  Images carry the plot
area's geometry for drag-to-zoom: ``X-Graph-Left``, ``X-Graph-Top``,
``X-Graph-Width``, ``X-Graph-Height`` (pixels) and ``X-Graph-Start``,
``X-Graph-End`` (epoch seconds of the x-axis).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote_to_bytes

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.rrd import files, graph
from graphmetrics.rrd.renderpool import RenderPool
from graphmetrics.web import graphdef
from graphmetrics.web.config import WebSettings, render_worker_count

NEAR_NOW = 2 * 3600
SHORT_MAX_AGE = 30
LONG_MAX_AGE = 86400
CACHE_BYTES = 32 * 1024 * 1024


class RenderCache:
    """Least recently used answers, bounded by count and by total bytes."""

    def __init__(self, entries: int, max_bytes: int = CACHE_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, graph.Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> graph.Rendered | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: graph.Rendered) -> None:
        if self.entries <= 0 or len(item.body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(item.body) - (len(old.body) if old else 0)
            self._items[key] = item
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)


_CREATE_LOCK = threading.Lock()


class RenderState:
    """What ``/render`` keeps between requests: the answer cache, the file resolver and
    the render workers."""

    def __init__(self, registry: Registry) -> None:
        self.web: WebSettings = registry.settings["graphmetrics"]
        self.cache = RenderCache(self.web.render_cache_entries)
        self.files = files.RRDFiles(self.web.rrd_dir)
        workers = render_worker_count(self.web.render_workers, os.cpu_count())
        self.pool = RenderPool(workers, self.web.render_deadline)


def render_state(registry: Registry) -> RenderState:
    state: RenderState | None = getattr(registry, "graphmetrics_render", None)
    if state is None:
        with _CREATE_LOCK:
            state = getattr(registry, "graphmetrics_render", None)
            if state is None:
                state = RenderState(registry)
                registry.graphmetrics_render = state
    return state


def render_cache(registry: Registry) -> RenderCache:
    return render_state(registry).cache


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


def _etag(fmt: str, args: list[str], stamp: files.Stamp) -> str:
    """Hash of what decides the answer: format, rrdtool arguments and the data's stamp."""
    text = "\n".join((fmt, *args, repr(stamp)))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def resolve(state: RenderState, req: graphdef.RenderRequest) -> files.GraphFiles:
    """The definition's files and data stamp, flushed from rrdcached first if one is set."""
    found = state.files.resolve((s.path, s.name) for s in req.graph.series)
    if state.web.rrdcached:
        files.flush(found.paths.values(), state.web.rrdcached)
        found = files.restamp(found)
    return found


@view_config(route_name="render", request_method="GET", permission="view")
def render_view(request: Request) -> Response:
    state = render_state(request.registry)
    now = int(time.time())
    items = query_items(request)
    if items is None:
        return error_response(request, "query: not valid UTF-8", 400, "query")
    try:
        req = graphdef.parse_request(items, now, state.web.render_max_work)
    except graphdef.GraphDefError as exc:
        return error_response(request, str(exc), 400, exc.param)
    try:
        found = resolve(state, req)
    except files.FileError as exc:
        return error_response(request, str(exc), exc.status, "series")
    args = graph.render_args(req, found.paths, state.web.rrdcached)
    etag = f'"{_etag(req.format, args, found.stamp)}"'
    max_age = SHORT_MAX_AGE if req.end >= now - NEAR_NOW else LONG_MAX_AGE
    cache_control = f"private, max-age={max_age}"
    if etag[1:-1] in request.if_none_match:
        return Response(status=304, headerlist=[("ETag", etag), ("Cache-Control", cache_control)])
    rendered = state.cache.get(etag)
    if rendered is None:
        try:
            job = graph.make_job(req, found.paths, args)
            rendered = state.pool.render(job, light=graph.is_light(req))
        except graph.RenderError as exc:
            return error_response(request, str(exc), exc.status)
        state.cache.put(etag, rendered)
    headers = [
        ("Content-Type", rendered.content_type),
        ("Content-Length", str(len(rendered.body))),
        *rendered.headers,
        ("ETag", etag),
        ("Cache-Control", cache_control),
    ]
    return Response(body=rendered.body, headerlist=headers)
