"""The Graphite HTTP API under ``/graphite/``: what Grafana's Graphite data source calls.

``/metrics/find``, ``/metrics/expand``, ``/render`` (GET or a POSTed form),
``/functions`` and ``/version``.  Read-only, for signed-in users (cookie or API
token), permission ``view``.  Problems are a 400 whose plain-text body says what was
wrong and in which parameter or target.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from datetime import datetime
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.attime import TimeError, parse_attime, zone
from graphmetrics.graphite.evaluator import FUNCTIONS, Context, evaluate_target
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.limits import Budget
from graphmetrics.graphite.series import Series
from graphmetrics.render import graph
from graphmetrics.web.errors import http_status
from graphmetrics.web.graphite.reader import ReadError
from graphmetrics.web.graphite.tree import Node, PatternError
from graphmetrics.web.interfaces import IGraphiteFinder
from graphmetrics.web.services import find

VERSION = "1.1.8"
MAX_TARGETS = 100
MAX_POINTS = 1_000_000
MAX_FORM = 256 * 1024
MAX_EXPAND_QUERIES = 100


class BadRequest(Exception):
    """A request we cannot answer; the message says why, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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
    body = json.dumps(data).replace("NaN,", "null,").replace("Infinity,", "1e9999,")
    response = Response(body, content_type="application/json", charset="utf-8")
    response.headers["Cache-Control"] = "no-cache"
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
            return _json(
                sorted(
                    ({"path": n.path, "is_leaf": n.is_leaf} for n in nodes),
                    key=lambda item: str(item["path"]),
                )
            )
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
def _times(params: Any, clock: int) -> tuple[int, int, int, Any]:
    tz = zone(params.get("tz"))
    try:
        now = parse_attime(params["now"], clock, tz) if params.get("now") else clock
    except (TimeError, ValueError) as exc:
        raise BadRequest(f"now: {exc}") from None
    values = {}
    for name, default in (("until", "now"), ("from", "-1d")):
        text = params.get(name) or default
        try:
            values[name] = parse_attime(text, now, tz)
        except (TimeError, ValueError) as exc:
            raise BadRequest(f"{name}: cannot read {text!r}: {exc}") from None
    start, end = min(values.values()), max(values.values())
    if start == end:
        raise BadRequest("from/until: the time range is empty")
    return start, end, now, tz


def evaluate(request: Request, params: Any) -> tuple[list[Series], int, int, Any]:
    targets = [t for t in params.getall("target") if t.strip()]
    if len(targets) > MAX_TARGETS:
        raise BadRequest(f"target: at most {MAX_TARGETS} targets, got {len(targets)}")
    start, end, now, tz = _times(params, int(time.time()))
    try:
        factor = float(params.get("xFilesFactor", 0) or 0)
    except ValueError:
        raise BadRequest(f"xFilesFactor: not a number: {params.get('xFilesFactor')!r}") from None
    read = find(request, IGraphiteFinder)
    budget = Budget()

    def fetch(pattern: str, s: int, e: int, n: int) -> list[Series]:
        return read.fetch(pattern, s, e, n, factor, budget)

    ctx = Context(start, end, now, fetch, factor, budget=budget)
    series: list[Series] = []
    for i, target in enumerate(targets, 1):
        try:
            series += evaluate_target(ctx, parse_target(target))
        except TargetError as exc:
            raise BadRequest(f"target {i} ({target}): {exc}") from None
        except ReadError as exc:
            raise BadRequest(f"target {i} ({target}): {exc}", exc.status) from None
        if sum(len(s) for s in series) > MAX_POINTS:
            raise BadRequest(f"more than {MAX_POINTS} points asked for; narrow the targets")
    return series, start, end, tz


def consolidate_for(series: list[Series], max_points: int) -> None:
    """graphite-web's maxDataPoints rule: average runs of points, bands aligned."""
    if not any(series):
        return
    time_range = max(s.end for s in series) - min(s.start for s in series)
    for s in series:
        if max_points == 1:
            s.consolidate(len(s))
            continue
        count = time_range / s.step
        if max_points < count:
            per_point = math.ceil(count / max_points)
            seconds = int(per_point * s.step)
            nudge = seconds + (s.start % s.step) - (s.start % seconds)
            s.start += nudge
            del s[0 : max(0, int(nudge / s.step) - 1)]
            s.consolidate(per_point)


def _csv(series: list[Series], tz: Any) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel")
    for s in series:
        for i, value in enumerate(s):
            moment = datetime.fromtimestamp(s.start + i * s.step, tz)
            writer.writerow((s.name, moment.strftime("%Y-%m-%d %H:%M:%S"), value))
    return Response(out.getvalue(), content_type="text/csv", charset="utf-8")


def _size(params: Any, name: str, default: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise BadRequest(f"{name}: not an integer: {params.get(name)!r}") from None
    if not 100 <= value <= 4000:
        raise BadRequest(f"{name}: must be between 100 and 4000 pixels")
    return value


def _png(series: list[Series], params: Any, start: int, end: int) -> Response:
    lines = [(s.name, s.start, s.step * s.values_per_point, list(s)) for s in series]
    width, height = _size(params, "width", 330), _size(params, "height", 250)
    try:
        body = graph.draw_lines(lines, start, end, width, height, params.get("title", ""))
    except graph.RenderError as exc:
        return _text(str(exc), http_status(exc))
    return Response(body, content_type="image/png", cache_control="no-cache")


@view_config(
    route_name="graphite_render",
    request_method=("GET", "POST"),
    permission="view",
    require_csrf=False,
)
def render_view(request: Request) -> Response:
    try:
        params = _params(request)
        fmt = params.get("format", "png")
        if fmt not in ("json", "csv", "png"):
            raise BadRequest(f"format: must be json, csv or png, got {fmt!r}")
        series, start, end, tz = evaluate(request, params)
        max_points = params.get("maxDataPoints", "")
        if fmt == "json":
            if max_points.isdigit() and int(max_points) > 0:
                consolidate_for(series, int(max_points))
            drop_nulls = "noNullPoints" in params
            out = []
            for s in series:
                points = s.datapoints()
                if drop_nulls:
                    points = [p for p in points if p[0] is not None and not math.isnan(p[0])]
                    if not points:
                        continue
                out.append({"target": s.name, "tags": {"name": s.name}, "datapoints": points})
            return _json(out)
        if fmt == "csv":
            return _csv(series, tz)
        return _png(series, params, start, end)
    except BadRequest as exc:
        return _text(str(exc), exc.status)


# -- functions / version -------------------------------------------------------
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
    return _json(result)


@view_config(route_name="graphite_version", request_method="GET", permission="view")
def version_view(request: Request) -> Response:
    return Response(VERSION, content_type="text/plain", charset="utf-8")
