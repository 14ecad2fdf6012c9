"""Storage errors no view handled itself (the series listing of a storage node that
cannot be reached, say) as their HTTP status, with a JSON body saying what failed."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config

from graphmetrics.rrd.files import FileError
from graphmetrics.web.errors import http_status


@exception_view_config(FileError)
def storage_error(exc: FileError, request: Request) -> Response:
    body = {"error": str(exc)}
    return Response(status=http_status(exc), json_body=body, cache_control="no-store")
