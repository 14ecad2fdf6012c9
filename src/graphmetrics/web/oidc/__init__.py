"""Signing in through an OpenID Connect provider (authorization code flow with PKCE).

``config.include("graphmetrics.web.oidc")`` does nothing unless ``oidc_issuer`` is
set; then it registers the :class:`~.provider.Provider` as the
:class:`~graphmetrics.web.interfaces.IOIDCProvider` service and the signed cookie that
carries a sign-in from the redirect to the callback.  The views are in
:mod:`graphmetrics.web.views.oidc`; like every login method they end in
``pyramid.security.remember``.
"""

from __future__ import annotations

import logging
import secrets

from pyramid.config import Configurator
from pyramid.request import Request
from webob.cookies import SignedCookieProfile

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings
from graphmetrics.web.interfaces import IOIDCProvider
from graphmetrics.web.oidc.allow import check_settings
from graphmetrics.web.oidc.flow import TRANSACTION_SECONDS
from graphmetrics.web.oidc.provider import Provider
from graphmetrics.web.services import find

log = logging.getLogger(__name__)

COOKIE_PROFILE = "graphmetrics.oidc.cookie"
COOKIE = "graphmetrics_oidc"


def enabled(request: Request) -> bool:
    """Is the provider registered (``oidc_issuer`` set)?"""
    settings: WebSettings = request.registry.settings["graphmetrics"]
    return bool(settings.oidc_issuer)


def provider(request: Request) -> Provider:
    found: Provider = find(request, IOIDCProvider)
    return found


def transaction_cookie(request: Request) -> SignedCookieProfile:
    profile: SignedCookieProfile = request.registry[COOKIE_PROFILE]
    return profile.bind(request)


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    if not settings.oidc_issuer:
        return
    if not settings.oidc_client_id:
        raise SettingsError(
            "oidc_client_id is required when oidc_issuer is set "
            "(GRAPHMETRICS_OIDC_CLIENT_ID, or oidc_client_id in the ini file)"
        )
    if not settings.oidc_redirect_url:
        raise SettingsError(
            "oidc_redirect_url is required when oidc_issuer is set: the callback URL "
            "registered at the provider, e.g. https://graphs.example.com/login/oidc/callback "
            "(it is never taken from the request's Host or X-Forwarded-Host)"
        )
    check_settings(settings)
    config.include("pyramid_services")
    config.register_service(Provider(settings), IOIDCProvider)
    secret = settings.auth_secret or secrets.token_urlsafe(32)
    config.registry[COOKIE_PROFILE] = SignedCookieProfile(
        secret,
        "graphmetrics.oidc",
        COOKIE,
        secure=settings.cookie_secure,
        max_age=TRANSACTION_SECONDS,
        httponly=True,
        # Lax: the provider's redirect back is a top-level GET, which carries it
        samesite="Lax",
    )
    log.info("OpenID Connect sign-in through %s", settings.oidc_issuer)
