"""``GET /series?q=&page=``: search the RRD series by regex or glob, 100 per page.

Signed-in users only (permission ``view``); anyone else gets a 403 JSON error.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from graphmetrics.text import quoted
from graphmetrics.web.interfaces import ISeriesIndex
from graphmetrics.web.series_index import SearchError
from graphmetrics.web.services import find


@view_config(route_name="series", request_method="GET", renderer="json", permission="view")
def series_view(request: Request) -> dict[str, Any]:
    try:
        try:
            params = request.GET
            query = params.get("q", "")
        except UnicodeDecodeError:
            raise SearchError("q", "the query string is not valid UTF-8") from None
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            raise SearchError("page", f"must be an integer, got {quoted(params['page'])}") from None
        found: dict[str, Any] = find(request, ISeriesIndex).search(query, page)
        # new files show up within the index's check interval: no reuse without asking
        request.response.headers["Cache-Control"] = "private, no-cache"
        return found
    except SearchError as exc:
        request.response.status = 400
        return {"error": str(exc), "param": exc.param}
