"""``/tokens/``: the signed-in user's API tokens — create (shown once), list, revoke.

Only the cookie sign-in reaches this page: API tokens name a user on the read
routes alone (:mod:`graphmetrics.web.tokens`), so a token cannot make more tokens.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.view import view_config

from graphmetrics.saved.services import InvalidInput
from graphmetrics.saved.tokens import TokenService
from graphmetrics.web.views.helpers import route_id


def _service(request: Request) -> TokenService:
    return TokenService(request.dbsession)


def _page(request: Request, **extra: Any) -> dict[str, Any]:
    me = request.authenticated_userid
    return {
        "section": "tokens",
        "tokens": _service(request).tokens(me),
        "graphite_url": request.route_url("graphite_render").rsplit("/", 1)[0],
        "new_token": None,
        "error": None,
        **extra,
    }


@view_config(route_name="tokens", request_method="GET", renderer="tokens.jinja2", permission="view")
def tokens_page(request: Request) -> dict[str, Any]:
    return _page(request)


@view_config(
    route_name="tokens", request_method="POST", renderer="tokens.jinja2", permission="view"
)
def create_token(request: Request) -> dict[str, Any]:
    try:
        info, text = _service(request).create(
            request.authenticated_userid, request.POST.get("name", "")
        )
    except InvalidInput as exc:
        request.response.status = 400
        return _page(request, error=str(exc))
    request.response.headers["Cache-Control"] = "no-store"
    return _page(request, new_token={"name": info.name, "text": text})


@view_config(route_name="token_revoke", request_method="POST", permission="view")
def revoke_token(request: Request) -> HTTPFound:
    token_id = route_id(request, "token")
    # not this user's token: nothing to revoke, the list shows what there is
    with contextlib.suppress(InvalidInput):
        if token_id is not None:
            _service(request).revoke(request.authenticated_userid, token_id)
    return HTTPFound(location=request.route_url("tokens"))
