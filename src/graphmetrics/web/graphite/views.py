"""The Graphite HTTP API under ``/graphite/``: what Grafana's Graphite data source calls.

``/metrics/find``, ``/metrics/expand``, ``/render`` (GET or a POSTed form),
``/functions`` and ``/version``.  Read-only, for signed-in users (cookie or API
token), permission ``view``.  Problems are a 400 whose plain-text body says what was
wrong and in which parameter or target (a 413 for a form past 256 KiB, a 503 with
``Retry-After`` when heavy work is not admitted, a 504 past the deadline).
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.graphite.evaluator import FUNCTIONS
from graphmetrics.graphite.limits import Budget, NotLight
from graphmetrics.render import graph
from graphmetrics.render.admission import RenderBusy
from graphmetrics.render.renderpool import Task
from graphmetrics.web.config import WebSettings
from graphmetrics.web.errors import http_status
from graphmetrics.web.graphite import compute
from graphmetrics.web.graphite.compute import BadRequest
from graphmetrics.web.graphite.jsonout import strict_json
from graphmetrics.web.graphite.tree import Node, PatternError
from graphmetrics.web.interfaces import IGraphiteFinder, IRRDReader
from graphmetrics.web.services import find
from graphmetrics.web.views.helpers import heavy_user

VERSION = "1.1.8"
# a signed-in user's data: kept by the browser (revalidated), never by a shared cache
PRIVATE = "private, no-cache"
MAX_INTERVALS = 2000
MAX_FORM = 256 * 1024
MAX_EXPAND_QUERIES = 100


def _params(request: Request) -> Any:
    """The query and form, read only when small enough: a 413 past :data:`MAX_FORM` bytes."""
    if (request.content_length or 0) > MAX_FORM:
        raise BadRequest(f"the form is larger than {MAX_FORM} bytes", 413)
    try:
        params = request.params
        list(params.items())  # WebOb decodes lazily: make a bad byte show up here
    except UnicodeDecodeError:
        raise BadRequest("the query or form is not valid UTF-8") from None
    return params


def _text(message: str, status: int = 400) -> Response:
    return Response(
        message + "\n", status=status, content_type="text/plain", charset="utf-8",
        cache_control="no-store",
    )  # fmt: skip


def _json(data: Any) -> Response:
    response = Response(strict_json(data), content_type="application/json", charset="utf-8")
    response.headers["Cache-Control"] = PRIVATE
    return response


def _flag(params: Any, name: str) -> bool:
    try:
        return int(params.get(name, 0) or 0) != 0
    except ValueError:
        raise BadRequest(f"{name}: must be 0 or 1, got {params.get(name)!r}") from None


# -- find / expand -------------------------------------------------------------
def _find(request: Request, query: str) -> list[Node]:
    try:
        return list(find(request, IGraphiteFinder).find(query))
    except PatternError as exc:
        raise BadRequest(f"query: {exc}") from None


def tree_json(nodes: list[Node], base: str, wildcards: bool) -> list[dict[str, Any]]:
    branch = {"allowChildren": 1, "expandable": 1, "leaf": 0}
    leaf = {"allowChildren": 0, "expandable": 0, "leaf": 1}
    result: list[dict[str, Any]] = []
    if len(nodes) > 1 and wildcards:
        star: dict[str, Any] = {"text": "*", "id": base + "*"}
        star.update(branch if any(not n.is_leaf for n in nodes) else leaf)
        result.append(star)
    seen: set[str] = set()
    branches, leaves = [], []
    for node in nodes:
        if node.name in seen:
            continue
        seen.add(node.name)
        item: dict[str, Any] = {"text": node.name, "id": base + node.name}
        if node.is_leaf:
            leaves.append({**item, **leaf})
        else:
            branches.append({**item, **branch})
    return result + branches + leaves


def json_nodes(request: Request, nodes: list[Node]) -> list[dict[str, Any]]:
    """``format=json``: path and is_leaf, leaves with their ``intervals``."""
    leaves = [n for n in nodes if n.is_leaf]
    if len(leaves) > MAX_INTERVALS:
        raise BadRequest(f"query: {len(leaves)} leaves, more than {MAX_INTERVALS}; narrow it")
    spans = find(request, IGraphiteFinder).intervals(leaves) if leaves else {}
    result = []
    for n in sorted(nodes, key=lambda n: n.path):
        info: dict[str, Any] = {"path": n.path, "is_leaf": n.is_leaf}
        if n.is_leaf:
            info["intervals"] = spans[n.path]
        result.append(info)
    return result


@view_config(
    route_name="graphite_find",
    request_method=("GET", "POST"),
    permission="view",
    require_csrf=False,
)
def find_view(request: Request) -> Response:
    try:
        params = _params(request)
        query = params.get("query", "")
        if not query:
            raise BadRequest("query: required parameter, empty or missing")
        fmt = params.get("format", "treejson")
        wildcards = _flag(params, "wildcards")
        leaves_only = _flag(params, "leavesOnly")
        if fmt == "completer":
            query = query.replace("..", "*.") + ("" if query.endswith("*") else "*")
        # graphite-web orders by the last node's name (then dedups by it in treejson)
        nodes = sorted(_find(request, query), key=lambda n: n.name)
        if leaves_only:
            nodes = [n for n in nodes if n.is_leaf]
        base = query.rsplit(".", 1)[0] + "." if "." in query else ""
        if fmt == "treejson":
            return _json(tree_json(nodes, base, wildcards))
        if fmt == "json":
            return _json(json_nodes(request, nodes))
        if fmt == "completer":
            metrics: list[dict[str, str]] = [
                {
                    "path": n.path + ("" if n.is_leaf else "."),
                    "name": n.name,
                    "is_leaf": str(int(n.is_leaf)),
                }
                for n in nodes
            ]
            if len(metrics) > 1 and wildcards:
                metrics.append({"name": "*"})
            return _json({"metrics": metrics})
        raise BadRequest(f"format: must be treejson, json or completer, got {fmt!r}")
    except BadRequest as exc:
        return _text(str(exc), exc.status)


@view_config(
    route_name="graphite_expand",
    request_method=("GET", "POST"),
    permission="view",
    require_csrf=False,
)
def expand_view(request: Request) -> Response:
    try:
        params = _params(request)
        leaves_only = _flag(params, "leavesOnly")
        by_query = _flag(params, "groupByExpr")
    except BadRequest as exc:
        return _text(str(exc), exc.status)
    results: dict[str, list[str]] = {}
    queries = params.getall("query")
    if len(queries) > MAX_EXPAND_QUERIES:
        return _text(f"query: at most {MAX_EXPAND_QUERIES} queries, got {len(queries)}")
    try:
        for query in queries:
            found = {n.path for n in _find(request, query) if n.is_leaf or not leaves_only}
            results[query] = sorted(found)
    except BadRequest as exc:
        return _text(str(exc), exc.status)
    if by_query:
        return _json({"results": results})
    return _json({"results": sorted({p for paths in results.values() for p in paths})})


# -- render --------------------------------------------------------------------
# One light request is evaluated in this process at a time; others go to a worker.
_LIGHT_HERE = threading.Lock()


def _answer(request: Request, params: Any) -> compute.Answer:
    clock = int(time.time())
    light = compute.check(params, clock)
    finder = find(request, IGraphiteFinder)
    pool = find(request, IRRDReader).pool
    web: WebSettings = request.registry.settings["graphmetrics"]
    pairs = list(params.items())
    if light:
        here = functools.partial(_light_here, finder, params, clock)
        task = Task(compute.answer_in_worker, (web, pairs, clock, True))
        found: compute.Answer | None = pool.light(_LIGHT_HERE, here, task)
        if found is not None:
            return found
    # not light, or it outgrew the light budget: heavy work, admitted first
    task = Task(compute.answer_in_worker, (web, pairs, clock, False))
    heavy: compute.Answer = pool.call(task, heavy=True, user=heavy_user(request))
    return heavy


def _light_here(finder: Any, params: Any, clock: int) -> compute.Answer | None:
    """A light request's answer computed here; None when it outgrew the light budget."""
    try:
        return compute.answer(finder, params, clock, Budget.for_light())
    except NotLight:
        return None


@view_config(
    route_name="graphite_render",
    request_method=("GET", "POST"),
    permission="view",
    require_csrf=False,
)
def render_view(request: Request) -> Response:
    """Targets evaluated under the render service's limits (:mod:`.compute`): light
    ones here, the rest in a render worker, admitted as heavy work."""
    try:
        found = _answer(request, _params(request))
    except BadRequest as exc:
        return _text(str(exc), exc.status)
    except graph.RenderError as exc:
        response = _text(str(exc), http_status(exc))
        if isinstance(exc, RenderBusy):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = Response(found.body, status=found.status, content_type=found.content_type)
    response.charset = None if found.content_type == "image/png" else "utf-8"
    response.headers["Cache-Control"] = PRIVATE if found.status == 200 else "no-store"
    return response


# -- functions / version -------------------------------------------------------
def _strict_json(data: Any) -> Response:
    """The functions list: an infinite default is written ``1e9999`` (:mod:`.jsonout`)."""
    response = Response(strict_json(data), content_type="application/json", charset="utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response


@view_config(route_name="graphite_functions", request_method="GET", permission="view")
def functions_view(request: Request) -> Response:
    grouped = request.params.get("grouped", "").lower() in ("1", "true")
    wanted = request.params.get("group")
    result: dict[str, Any] = {}
    for name, func in sorted(FUNCTIONS.items()):
        info = func.json()
        if wanted is not None and wanted != func.group:
            continue
        if grouped:
            result.setdefault(func.group, {})[name] = info
        else:
            result[name] = info
    return _strict_json(result)


@view_config(route_name="graphite_version", request_method="GET", permission="view")
def version_view(request: Request) -> Response:
    return Response(VERSION, content_type="text/plain", charset="utf-8", cache_control=PRIVATE)


# -- tags / events: what Grafana's query editor asks besides render --------------
@view_config(
    route_name="graphite_tag_complete",
    request_method=("GET", "POST"),
    permission="view",
    require_csrf=False,
)
def tag_complete_view(request: Request) -> Response:
    """``tags/autoComplete/{tags,values}``: there is no tag database, so no tags.

    graphite-web without a tag database answers the same ``[]``; Grafana's editor
    then offers plain series paths instead of showing "Fetching tags failed".
    """
    what = request.matchdict["what"]
    if what not in ("tags", "values"):
        return _text(f"tags/autoComplete/{what}: unknown, use tags or values", 404)
    try:
        if what == "values" and not _params(request).get("tag"):
            raise BadRequest("tag: required parameter, empty or missing")  # as graphite-web
    except BadRequest as exc:
        return _text(str(exc), exc.status)
    return _json([])


@view_config(
    route_name="graphite_events", request_method=("GET", "POST"), permission="view",
    require_csrf=False,
)  # fmt: skip
def events_view(request: Request) -> Response:
    """``events/get_data``: graphmetrics records no Graphite events, so none."""
    return _json([])
