"""Signing in through the OpenID Connect provider: leave for it, come back, ``remember``.

``/login/oidc?came_from=PATH`` sends the browser to the provider's authorization
endpoint with ``state``, ``nonce`` and a PKCE challenge, kept in a signed cookie;
``/login/oidc/callback`` checks ``state``, exchanges the code, verifies the ID token
and signs the user in.  Every failure is an error page saying what went wrong.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import remember
from pyramid.view import view_config

from graphmetrics.saved.services import InvalidInput
from graphmetrics.web import oidc
from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.allow import check_user
from graphmetrics.web.oidc.flow import (
    OIDCError,
    Transaction,
    authorization_url,
    pick_user_name,
    safe_came_from,
)
from graphmetrics.web.views.auth import error_page
from graphmetrics.web.views.helpers import service

log = logging.getLogger(__name__)

TITLE = "Sign-in failed"


def settings_of(request: Request) -> WebSettings:
    settings: WebSettings = request.registry.settings["graphmetrics"]
    return settings


def cookie_path(request: Request) -> str:
    return str(request.script_name) + "/login/oidc"


def redirect_uri(request: Request) -> str:
    """The configured callback: a request's Host or X-Forwarded-Host never chooses it."""
    return str(settings_of(request).oidc_redirect_url)


def failure(request: Request, error: OIDCError) -> Response:
    """The error page; the sign-in's cookie goes, so a retry starts afresh."""
    log.warning("OpenID Connect sign-in refused: %s", error.message)
    response = error_page(request, error.status, TITLE, error.message)
    forget_transaction(request, response)
    return response


def forget_transaction(request: Request, response: Response) -> None:
    for name, value in oidc.transaction_cookie(request).get_headers(
        None, path=cookie_path(request)
    ):
        response.headerlist.append((name, value))


def not_configured(request: Request) -> Response:
    message = "OpenID Connect sign-in is not configured on this server."
    return error_page(request, HTTPNotFound.code, "Not found", message)


@view_config(route_name="oidc_login", request_method="GET")
def start(request: Request) -> Response:
    if not oidc.enabled(request):
        return not_configured(request)
    settings = settings_of(request)
    came_from = safe_came_from(request.params.get("came_from")) or request.route_path("home")
    transaction = Transaction.start(came_from, redirect_uri(request), time.time())
    try:
        endpoint = oidc.provider(request).endpoint("authorization_endpoint")
    except OIDCError as exc:
        return failure(request, exc)
    client_id = settings.oidc_client_id or ""
    response = HTTPFound(
        location=authorization_url(endpoint, client_id, settings.oidc_scopes, transaction)
    )
    response.headerlist.extend(
        oidc.transaction_cookie(request).get_headers(
            transaction.as_dict(), path=cookie_path(request)
        )
    )
    response.cache_control = "no-store"
    return response


@view_config(route_name="oidc_callback", request_method="GET")
def callback(request: Request) -> Response:
    if not oidc.enabled(request):
        return not_configured(request)
    try:
        transaction = checked_transaction(request)
        issuer, subject, wanted = sign_in(request, transaction)
        user = account_of(request, issuer, subject, wanted)
    except OIDCError as exc:
        return failure(request, exc)
    response = HTTPFound(location=transaction.came_from, headers=remember(request, user))
    forget_transaction(request, response)
    log.info("signed in %s through OpenID Connect", user)
    return response


def checked_transaction(request: Request) -> Transaction:
    """The sign-in this callback belongs to, after the provider's answer and ``state``."""
    params = request.GET
    if "error" in params:
        # The provider's words are logged, never shown: anyone can send a victim a
        # callback URL whose error_description reads like instructions from us.
        log.warning(
            "the identity provider refused the sign-in: error=%r error_description=%r",
            str(params["error"])[:200],
            str(params.get("error_description", ""))[:500],
        )
        code = str(params["error"])
        reason = code if code.isascii() and code.replace("_", "").isalpha() else "error"
        raise OIDCError(
            f"The identity provider did not sign you in ({reason[:40]}). Try again, or ask "
            "your administrator if it keeps happening.",
            403,
        )
    transaction = Transaction.from_dict(oidc.transaction_cookie(request).get_value())
    if transaction is None:
        raise OIDCError(
            "This sign-in was not started here, or it was started in another browser or "
            "has expired: start again from the login page.",
            400,
        )
    if transaction.expired(time.time()):
        raise OIDCError("This sign-in took too long: start again from the login page.", 400)
    state = params.get("state")
    if not state or not hmac.compare_digest(str(state), transaction.state):
        raise OIDCError(
            "The provider's answer does not belong to this sign-in (state mismatch): "
            "start again from the login page.",
            400,
        )
    if not params.get("code"):
        raise OIDCError("The provider's answer has no authorization code.", 400)
    return transaction


def account_of(request: Request, issuer: str, subject: str, wanted: str) -> str:
    """The name of the account bound to ``issuer`` + ``subject``, made if new."""
    try:
        return service(request).ensure_identity(issuer, subject, wanted).name
    except InvalidInput as exc:
        raise OIDCError(str(exc), 403) from exc


def sign_in(request: Request, transaction: Transaction) -> tuple[str, str, str]:
    """Exchange the code, verify the ID token and check the allow-list: the token's
    issuer and subject (who the user is) and the name a new account would get."""
    provider = oidc.provider(request)
    answer: dict[str, Any] = provider.exchange(
        str(request.GET["code"]), transaction.redirect_uri, transaction.verifier
    )
    access_token = answer.get("access_token")
    claims = provider.verify(
        str(answer["id_token"]),
        transaction.nonce,
        access_token if isinstance(access_token, str) else None,
    )
    settings = settings_of(request)
    user = pick_user_name(claims, settings.oidc_user_claim)
    check_user(settings, user, claims)  # before anything is stored for the user
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not subject:
        raise OIDCError("The identity provider's token has no issuer or subject.", 403)
    if len(issuer) > 255 or len(subject) > 255:
        raise OIDCError("The identity provider's issuer or subject is too long.", 403)
    return issuer, subject, user
