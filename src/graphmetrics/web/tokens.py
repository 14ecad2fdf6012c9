"""API tokens on read requests: ``Authorization: Bearer <token>`` or HTTP Basic.

Basic carries the user name and the token as password (what Grafana's data source
settings offer).  A token names its owner on the read routes only
(:data:`TOKEN_ROUTES`); anywhere else the header is ignored, so a token never
authorises a write.  An unknown, revoked or malformed token is a 401 saying so.
"""

from __future__ import annotations

import base64
import binascii

from pyramid.httpexceptions import HTTPUnauthorized
from pyramid.request import Request

from graphmetrics.saved.tokens import TokenError, TokenService

TOKEN_ROUTES = frozenset(
    {
        "render",
        "series",
        "graphite_find",
        "graphite_expand",
        "graphite_render",
        "graphite_functions",
        "graphite_version",
        "graphite_tag_complete",
        "graphite_events",
        "api_variable_values",
    }
)
_CHECKED = "graphmetrics.token_user"
REALM = 'Basic realm="graphmetrics", charset="UTF-8"'


def token_required(message: str) -> HTTPUnauthorized:
    """A 401 whose plain-text body says why, asking for Basic or Bearer credentials."""
    return HTTPUnauthorized(
        body=f"{message}\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"WWW-Authenticate": REALM},
    )


def _credentials(header: str) -> tuple[str | None, str]:
    """(user name or None, token) from an Authorization header."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise token_required(
                "Authorization: Basic credentials are not base64 of user:token"
            ) from None
        user, sep, token = decoded.partition(":")
        if not sep or not token:
            raise token_required("Authorization: Basic credentials need the API token as password")
        return user or None, token  # an empty user name: the token alone decides
    raise token_required("Authorization: use 'Bearer <token>' or Basic with an API token")


def token_identity(request: Request, header: str) -> str | None:
    """The token owner's name on a read route, None elsewhere; raises a 401 for bad tokens."""
    route = request.matched_route
    if route is None or route.name not in TOKEN_ROUTES:
        return None
    known = request.environ.get(_CHECKED)
    if known is not None:
        return str(known)
    user, token = _credentials(header)
    try:
        owner = TokenService(request.dbsession).authenticate(token, user)
    except TokenError as exc:
        raise token_required(str(exc)) from None
    request.environ[_CHECKED] = owner
    return owner
