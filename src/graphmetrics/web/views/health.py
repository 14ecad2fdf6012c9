"""``/healthz`` for load balancers: 200 ``ok``, or 503 naming each failed check."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.web.health import CHECKS, HealthChecks


@view_config(route_name="healthz", request_method=("GET", "HEAD"))
def healthz(request: Request) -> Response:
    checks: HealthChecks = request.registry[CHECKS]
    failed = {name: why for name, why in checks.run(request.registry).items() if why}
    text = "".join(f"{name}: {why}\n" for name, why in failed.items()) or "ok\n"
    response = Response(
        status=503 if failed else 200, content_type="text/plain", charset="utf-8", text=text
    )
    response.cache_control = "no-store"
    return response
