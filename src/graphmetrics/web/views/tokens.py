"""``/tokens/``: the signed-in user's API tokens — create (shown once), list, revoke.

Creating answers with a redirect to the list (POST-redirect-GET), which shows the
new token once, with a copy button (``static/js/tokens.js``).

Only the cookie sign-in reaches this page: API tokens name a user on the read
routes alone (:mod:`graphmetrics.web.tokens`), so a token cannot make more tokens.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from graphmetrics.saved.services import InvalidInput
from graphmetrics.saved.tokens import TokenService
from graphmetrics.web.config import WebSettings
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


# The new token's text, carried across the redirect after the POST in a short-lived
# cookie of this page alone: a reload shows the list, never creates a second token.
NEW_TOKEN_COOKIE = "graphmetrics_new_token"
NEW_TOKEN_SECONDS = 120


@view_config(route_name="tokens", request_method="GET", renderer="tokens.jinja2", permission="view")
def tokens_page(request: Request) -> dict[str, Any]:
    carried = request.cookies.get(NEW_TOKEN_COOKIE)
    if not carried:
        return _page(request)
    path = request.route_path("tokens")
    request.response.delete_cookie(NEW_TOKEN_COOKIE, path=path)
    request.response.headers["Cache-Control"] = "no-store"
    token_id, _, text = carried.partition(".")
    tokens = _service(request).tokens(request.authenticated_userid)
    made = next((t for t in tokens if str(t.id) == token_id and t.revoked is None), None)
    if made is None or not text.startswith("gmt_"):
        return _page(request)
    return _page(request, new_token={"name": made.name, "text": text, "id": made.id})


@view_config(
    route_name="tokens", request_method="POST", renderer="tokens.jinja2", permission="view"
)
def create_token(request: Request) -> Any:
    try:
        info, text = _service(request).create(
            request.authenticated_userid, request.POST.get("name", "")
        )
    except InvalidInput as exc:
        request.response.status = 400
        return _page(request, error=str(exc))
    web: WebSettings = request.registry.settings["graphmetrics"]
    done = HTTPSeeOther(location=request.route_url("tokens"))
    done.set_cookie(
        NEW_TOKEN_COOKIE,
        f"{info.id}.{text}",
        max_age=NEW_TOKEN_SECONDS,
        path=request.route_path("tokens"),
        secure=web.cookie_secure,
        httponly=True,
        samesite="Strict",
    )
    return done


@view_config(route_name="token_revoke", request_method="POST", permission="view")
def revoke_token(request: Request) -> HTTPFound:
    token_id = route_id(request, "token")
    # not this user's token: nothing to revoke, the list shows what there is
    with contextlib.suppress(InvalidInput):
        if token_id is not None:
            _service(request).revoke(request.authenticated_userid, token_id)
    return HTTPFound(location=request.route_url("tokens"))
