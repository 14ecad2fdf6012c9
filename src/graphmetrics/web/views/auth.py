"""Signing in and out, and what a visitor who may not see a page gets instead.

The login page offers "Sign in with <provider>" when OpenID Connect is configured
(:mod:`.oidc` does that sign-in) and the development login (``/login?user=NAME``)
when ``dev_login`` is true; both end in ``remember`` and leave every other view alone.
"""

from __future__ import annotations

from typing import Any

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import (
    HTTPForbidden,
    HTTPFound,
    HTTPMovedPermanently,
    HTTPNotFound,
    HTTPUnauthorized,
)
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from graphmetrics.web import oidc
from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.flow import safe_came_from as safe_next
from graphmetrics.web.oidc.provider import provider_name
from graphmetrics.web.tokens import token_required
from graphmetrics.web.views.helpers import json_error, service, valid_user
from graphmetrics.web.views.render import error_response as render_error


@view_config(route_name="login", renderer="login.jinja2")
def login(request: Request) -> Any:
    settings: WebSettings = request.registry.settings["graphmetrics"]
    user = request.params.get("user")
    next_url = safe_next(request.params.get("next"))
    info = {
        "dev_login": settings.dev_login,
        "oidc_url": None,
        "oidc_name": None,
        "next": next_url or "",
        "error": None,
        "user": user,
    }
    if oidc.enabled(request):
        query = {"came_from": next_url} if next_url else {}
        info["oidc_url"] = request.route_url("oidc_login", _query=query)
        info["oidc_name"] = provider_name(settings)
    if user is None:
        return info
    if not settings.dev_login:
        request.response.status = 403
        info["error"] = "The development login is switched off (dev_login = false)" + (
            "; sign in through your identity provider." if oidc.enabled(request) else "."
        )
        return info
    if not valid_user(user):
        request.response.status = 400
        info["error"] = (
            f"{user!r} cannot be a user name: use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit (api, login, metrics, static... are reserved)."
        )
        return info
    account = service(request).ensure_user(user)  # Alice signs in as the existing alice
    headers = remember(request, account.name)
    return HTTPFound(location=next_url or request.route_url("home"), headers=headers)


@view_config(route_name="logout", request_method="GET", renderer="logout.jinja2")
def logout_page(request: Request) -> dict[str, Any]:
    """A page asking to sign out: a GET (a link, an ``<img>``) never signs anyone out."""
    return {"section": None}


@view_config(route_name="logout", request_method="POST")
def logout(request: Request) -> Response:
    """Sign out (a form POST with the CSRF token): every earlier ticket of the user ends."""
    return HTTPFound(location=request.route_url("login"), headers=forget(request))


@view_config(route_name="home")
def home(request: Request) -> Response:
    user = request.authenticated_userid
    if user is None:
        return HTTPFound(location=request.route_url("login"))
    return HTTPFound(location=request.route_url("dashboard", user=user, page="default"))


SIGN_IN_FIRST = "sign in first (/login)"


def route_name(request: Request) -> str:
    route = request.matched_route
    return route.name if route is not None else ""


def is_api(request: Request) -> bool:
    return route_name(request).startswith("api_")


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request: Request) -> Response:
    """Pages send a visitor to the login; data URLs (an ``<img>``, a script) say 4xx."""
    user = request.authenticated_userid
    owner = getattr(request.context, "owner", None)
    if user is None:
        route = route_name(request)
        if route in ("render", "original_show"):
            return render_error(request, SIGN_IN_FIRST, HTTPForbidden.code, "login")
        if route == "series":
            return json_error(HTTPForbidden, SIGN_IN_FIRST, param="login")
        if is_api(request):
            return json_error(HTTPUnauthorized, SIGN_IN_FIRST)
        if route.startswith("graphite_"):
            return token_required(SIGN_IN_FIRST + " or send an API token")
        return HTTPFound(location=request.route_url("login", _query={"next": request.path_qs}))
    message = (
        f"only {owner} can change {owner}'s pages; clone the page or graph into your own"
        if owner
        else "you may not do this"
    )
    if is_api(request):
        return json_error(HTTPForbidden, message)
    return error_page(request, HTTPForbidden.code, "Not allowed", message)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    response = render_to_response(
        "error.jinja2", {"title": title, "message": message}, request=request
    )
    response.status = status
    return response


@notfound_view_config(append_slash=HTTPMovedPermanently)
def not_found(exc: HTTPNotFound, request: Request) -> Response:
    """A page for people; JSON errors and other views' own bodies pass through."""
    if exc.body or is_api(request) or not request.accept.acceptable_offers(["text/html"]):
        return exc
    message = exc.detail or f"There is nothing at {request.path}."
    return error_page(request, HTTPNotFound.code, "Not found", str(message))


@view_config(context=UnicodeDecodeError)
def not_utf8(exc: UnicodeDecodeError, request: Request) -> Response:
    """A path, query or form with bytes that are not UTF-8 (``/login?next=%FF``):
    WebOb decodes lazily, so any view may meet it; a 400, not a traceback."""
    return Response(
        "the URL or form is not valid UTF-8 (percent-encode UTF-8 bytes only)\n",
        status=400,
        content_type="text/plain",
        charset="utf-8",
    )


@view_config(context=BadCSRFToken, renderer="json")
def bad_csrf(exc: BadCSRFToken, request: Request) -> Any:
    request.response.status = 400
    return {"error": "missing or outdated CSRF token: reload the page and try again"}
