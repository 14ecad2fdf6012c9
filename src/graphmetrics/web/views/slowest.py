"""The slowest requests: ``/api/tracelog/slowest`` (JSON) and the ``/slowest`` page
that shows it."""

from __future__ import annotations

import time
from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from graphmetrics.web import slowest
from graphmetrics.web.config import WebSettings
from graphmetrics.web.graphjson import GraphDefError, read_int
from graphmetrics.web.views.helpers import json_error, tracelog_instances

#: epoch seconds a range may start or end at (1970 to 2100)
LATEST = 4_102_444_800
#: the range when none is given: the last hour
DEFAULT_RANGE = 3600


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """``name`` as an integer from ``low`` to ``high`` (``default`` when absent or
    empty), read as the render API reads its integers; a 400 saying why."""
    text = request.params.get(name)
    if text is None or text == "":
        return default
    try:
        return read_int(name, text, low, high)
    except GraphDefError as exc:
        raise json_error(HTTPBadRequest, str(exc)) from None


def _stems(request: Request) -> tuple[list[str], str]:
    """The instances asked for (``instance=STEM``, or ``customer=C`` and optionally
    ``host=H``) and a title saying which."""
    params = request.params
    instance, customer, host = params.get("instance"), params.get("customer"), params.get("host")
    if instance:
        if not slowest.valid_stem(instance):
            raise json_error(HTTPBadRequest, f"bad instance name {instance[:80]!r}")
        if not any(i.stem == instance for i in tracelog_instances(request)):
            raise json_error(HTTPNotFound, f"no tracelog instance {instance[:80]!r}")
        return [instance], instance
    if not customer:
        raise json_error(HTTPBadRequest, "say instance=STEM, or customer=C (and host=H)")
    pool = [
        i.stem
        for i in tracelog_instances(request)
        if i.customer == customer and (not host or i.host == host)
    ]
    where = f"customer {customer[:80]!r}" + (f", host {host[:80]!r}" if host else "")
    if not pool:
        raise json_error(HTTPNotFound, f"no tracelog instances for {where}")
    return pool, where


@view_config(route_name="api_slowest", renderer="json", permission="view")
def api_slowest(request: Request) -> dict[str, Any]:
    """The slowest requests of ``[start, end)`` (epoch seconds; the last hour by
    default), slowest first, at most ``limit``; and all of them by URL pattern."""
    stems, scope = _stems(request)
    now = int(time.time())
    end = _int_param(request, "end", now + 60, 1, LATEST)
    start = _int_param(request, "start", end - DEFAULT_RANGE, 0, LATEST)
    if start >= end:
        raise json_error(HTTPBadRequest, f"start ({start}) must be before end ({end})")
    if end - start > slowest.MAX_DAYS * 86400:
        raise json_error(HTTPBadRequest, f"the range is longer than {slowest.MAX_DAYS} days")
    limit = _int_param(request, "limit", slowest.DEFAULT_LIMIT, 1, slowest.MAX_LIMIT)
    web: WebSettings = request.registry.settings["graphmetrics"]
    found = slowest.read_range(web.rrd_dir, stems, start, end)
    return {
        "scope": scope,
        "instances": stems,
        "start": start,
        "end": end,
        "minutes": found.minutes,
        "unreadable": found.unreadable,
        "truncated": found.truncated,
        "count": len(found.requests),
        "requests": slowest.slowest(found, limit),
        "patterns": slowest.patterns(found),
    }


@view_config(route_name="slowest", renderer="slowest.jinja2", permission="view")
def slowest_page(request: Request) -> dict[str, Any]:
    """The page; its script reads the query (instance or customer, start, end) and asks
    ``/api/tracelog/slowest``."""
    params = request.params
    return {
        "section": "tracelog",
        "form": {key: params.get(key, "")[:200] for key in ("instance", "customer", "host")},
        "config": {"urls": {"api": request.route_url("api_slowest")}},
    }
