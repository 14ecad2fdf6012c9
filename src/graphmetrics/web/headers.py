"""Headers every answer carries, and the HTTP methods the app refuses outright.

* ``Content-Security-Policy``: scripts, styles, images and fetches from this site
  only (images also ``data:`` and ``blob:``, which the graph cards use), no plugin,
  no ``<base>``, forms posting here only, and no framing at all;
  ``X-Frame-Options: DENY`` says the same to older browsers.
* ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` keeping URLs (page
  names, graph definitions) on this site.
* ``Cache-Control: private, no-store`` on HTML and JSON that did not set their own
  (``/render`` sets a ``private`` one with an ETag): a signed-in page is never kept
  by a proxy or the browser's history cache.
* ``Strict-Transport-Security`` when the request came over HTTPS.

Methods other than GET, HEAD, POST, PUT, PATCH and DELETE (``OPTIONS``, ``TRACE``...) get
a 405: the app answers no CORS preflight and echoes nothing back.
"""

from __future__ import annotations

from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")
NO_STORE = "private, no-store"
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
NO_STORE_TYPES = ("text/html", "application/json")


def refused_method(request: Request) -> Response:
    response = Response(
        status=405,
        content_type="text/plain",
        charset="utf-8",
        text=f"method {request.method[:20]!r} is not allowed here\n",
    )
    response.allow = ALLOWED_METHODS
    return response


def add_headers(request: Request, response: Response) -> None:
    headerlist = response.headerlist
    headerlist.extend(ALWAYS)
    if request.scheme == "https":
        headerlist.append(HSTS)
    if response.content_type in NO_STORE_TYPES and "Cache-Control" not in response.headers:
        headerlist.append(("Cache-Control", NO_STORE))


def security_headers_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    def tween(request: Request) -> Response:
        if request.method not in ALLOWED_METHODS:
            response = refused_method(request)
        else:
            response = handler(request)
        add_headers(request, response)
        return response

    return tween


def includeme(config: Configurator) -> None:
    config.add_tween("graphmetrics.web.headers.security_headers_tween")
