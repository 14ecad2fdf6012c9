"""Who is signed in: a signed cookie holding the user name, and ACL-based permissions.

Login methods (the development login today, OpenID Connect later) only decide *who*
the user is and call ``pyramid.security.remember``; views ask
``request.authenticated_userid`` and declare permissions, so swapping the login
method never touches them.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from pyramid.authentication import AuthTktCookieHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy
from pyramid.request import Request

from graphmetrics.saved.services import USER_NAME
from graphmetrics.web.config import WebSettings
from graphmetrics.web.tokens import token_identity

log = logging.getLogger(__name__)

COOKIE = "graphmetrics_auth"
# Cookie headers whose signed ticket was checked, remembered per policy (then cleared).
MAX_KNOWN_COOKIES = 4096


def user_principal(name: str) -> str:
    return f"user:{name}"


class CookieSecurityPolicy:
    """The user named by a signed ``auth_tkt`` cookie.

    The ticket has no timeout (the browser forgets it after ``max_age``), so a given
    Cookie header names the same user, or nobody, for as long as the secret stays:
    headers carrying a valid ticket are remembered, and the next request sending the
    same header (every ``<img>`` of a dashboard) skips parsing and hashing it again.
    """

    def __init__(self, secret: str, secure: bool = False) -> None:
        self.cookie = AuthTktCookieHelper(
            secret,
            cookie_name=COOKIE,
            secure=secure,
            http_only=True,
            samesite="Lax",
            hashalg="sha512",
            max_age=30 * 24 * 3600,
        )
        self.acl = ACLHelper()
        self._known: dict[str, str] = {}

    def identity(self, request: Request) -> str | None:
        authorization = request.environ.get("HTTP_AUTHORIZATION")
        if authorization:  # an API token, on the read routes only (web.tokens)
            token_user = token_identity(request, authorization)
            if token_user is not None:
                return token_user
        header = request.environ.get("HTTP_COOKIE")
        if not header:
            return None
        userid = self._known.get(header)
        if userid is not None:
            return userid
        found = self.cookie.identify(request)
        if not found or not USER_NAME.match(str(found["userid"])):
            return None
        userid = str(found["userid"])
        if len(self._known) >= MAX_KNOWN_COOKIES:
            self._known = {}
        self._known[header] = userid
        return userid

    def authenticated_userid(self, request: Request) -> str | None:
        return self.identity(request)

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        principals = [Everyone]
        userid = self.identity(request)
        if userid is not None:
            principals += [Authenticated, user_principal(userid)]
        return self.acl.permits(context, principals, permission)

    def remember(self, request: Request, userid: str, **kw: Any) -> list[tuple[str, str]]:
        return self.cookie.remember(request, userid, **kw)

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        return self.cookie.forget(request)


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    secret = settings.auth_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("auth_secret is not set: using a random one, sign-ins end on restart")
    config.set_security_policy(CookieSecurityPolicy(secret, secure=settings.cookie_secure))
    config.set_csrf_storage_policy(CookieCSRFStoragePolicy(secure=settings.cookie_secure))
    config.set_default_csrf_options(require_csrf=True)
