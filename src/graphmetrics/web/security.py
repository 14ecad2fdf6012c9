"""Who is signed in: a signed cookie holding the user name, and ACL-based permissions.

Login methods (the development login, OpenID Connect) only decide *who* the user is
and call ``pyramid.security.remember``; views ask ``request.authenticated_userid``
and declare permissions, so swapping the login method never touches them.

A sign-in ticket (``auth_tkt``) names the user, when it was issued and the user's
*sign-in generation* at that moment.  It is refused once older than ``auth_timeout``
(a ticket in use is reissued every ``auth_reissue_time``), and once the user's
generation in the database has moved on: signing out (or ``graphmetrics-web
signout USER``) moves it, which ends every ticket issued so far, in every browser.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from pyramid.authentication import AuthTktCookieHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy
from pyramid.request import Request

from graphmetrics.saved.interfaces import ISavedGraphs
from graphmetrics.saved.services import USER_NAME, SavedGraphService
from graphmetrics.settings import SettingsError
from graphmetrics.web.config import (
    WebSettings,
    shared_database_problem,
    shared_secret_problem,
)
from graphmetrics.web.tokens import token_identity

log = logging.getLogger(__name__)

COOKIE = "graphmetrics_auth"
COOKIE_PREFIX = COOKIE + "="
# Checked tickets remembered per policy, keyed by the auth cookie's value alone
# (never the whole Cookie header): at most this many, then cleared.  With values of
# at most MAX_TICKET_CHARS that is a few MB at worst.
MAX_KNOWN_TICKETS = 4096
# Users whose sign-in generation is remembered (for ``auth_recheck`` seconds).
MAX_KNOWN_USERS = 4096
# An auth_tkt of a 64-character name is ~200 characters; longer values are not ours.
MAX_TICKET_CHARS = 1024
GENERATION_TOKEN = "g"


def user_principal(name: str) -> str:
    """The principal of a user name, whatever its case (``Alice`` is ``alice``)."""
    return f"user:{name.lower()}"


class SignIns(Protocol):
    """Where the users' sign-in generations live (the saved-graph database)."""

    def generation(self, request: Request, user: str) -> int | None:
        """The user's current generation; None when there is no such user."""

    def end_all(self, request: Request, user: str) -> int | None:
        """Move the user to a new generation, ending every earlier ticket."""


def service(request: Request) -> SavedGraphService:
    svc: SavedGraphService = request.find_service(ISavedGraphs)
    return svc


class DatabaseSignIns:
    """Sign-in generations in the ``users`` table, through the saved-graph service."""

    def generation(self, request: Request, user: str) -> int | None:
        return service(request).sign_in_generation(user)

    def end_all(self, request: Request, user: str) -> int | None:
        return service(request).end_sign_ins(user)


@dataclass(frozen=True)
class Ticket:
    """What a checked auth cookie says: who, when it was issued, which generation."""

    userid: str
    issued: float
    generation: int


def raw_auth_cookie(header: str) -> str | None:
    """The auth cookie's value as sent (quotes included), found without parsing the
    whole header: WebOb's parser costs ~20 us per cookie on every request."""
    start = 0
    while (at := header.find(COOKIE_PREFIX, start)) >= 0:
        if at == 0 or header[at - 1] in " \t;,":
            value_at = at + len(COOKIE_PREFIX)
            end = header.find(";", value_at)
            return (header[value_at:] if end < 0 else header[value_at:end]).strip()
        start = at + 1
    return None


def ticket_generation(tokens: Any) -> int | None:
    for token in tokens or ():
        text = str(token)
        if text.startswith(GENERATION_TOKEN) and text[1:].isdigit():
            return int(text[1:])
    return None


class CookieSecurityPolicy:
    """The user named by a signed ``auth_tkt`` cookie that is recent and not revoked.

    Checked tickets are remembered (by the auth cookie's value alone), so
    the next request with the same ticket (every ``<img>`` of a dashboard) skips
    parsing the Cookie header and checking the signature again; the ticket's age and
    the user's generation are still checked each time.
    """

    def __init__(
        self,
        secret: str,
        sign_ins: SignIns,
        *,
        secure: bool = False,
        timeout: float = 86400,
        reissue_time: float = 600,
        recheck: float = 10,
    ) -> None:
        self.cookie = AuthTktCookieHelper(
            secret,
            cookie_name=COOKIE,
            secure=secure,
            http_only=True,
            samesite="Lax",
            hashalg="sha512",
            timeout=timeout,
            reissue_time=reissue_time,
            max_age=int(timeout),
            wild_domain=False,  # host-only: no Domain= attribute
        )
        self.sign_ins = sign_ins
        self.timeout = timeout
        self.reissue_time = reissue_time
        self.recheck = recheck
        self.acl = ACLHelper()
        self._known: dict[str, Ticket] = {}
        self._generations: dict[str, tuple[int | None, float]] = {}
        self._lock = threading.Lock()

    # -- who ---------------------------------------------------------------------
    def identity(self, request: Request) -> str | None:
        authorization = request.environ.get("HTTP_AUTHORIZATION")
        if authorization:  # an API token, on the read routes only (web.tokens)
            token_user = token_identity(request, authorization)
            if token_user is not None:
                return token_user
        raw = raw_auth_cookie(request.environ.get("HTTP_COOKIE", ""))
        if not raw or len(raw) > MAX_TICKET_CHARS:
            return None
        now = time.time()
        ticket = self._known.get(raw)
        if ticket is None or now - ticket.issued > self.reissue_time:
            ticket = self._check(request)
            if ticket is None:
                return None
            # remembered only when the full cookie parser read the same value (not,
            # e.g., a second graphmetrics_auth cookie further on)
            if request.cookies.get(COOKIE) == raw.removeprefix('"').removesuffix('"'):
                if len(self._known) >= MAX_KNOWN_TICKETS:
                    self._known = {}
                self._known[raw] = ticket
        if now - ticket.issued > self.timeout:
            self._known.pop(raw, None)
            return None
        if ticket.generation != self._generation(request, ticket.userid, now):
            request._authtkt_reissue_revoked = True
            return None
        return ticket.userid

    def _check(self, request: Request) -> Ticket | None:
        """The ticket parsed and verified (the helper also schedules its reissue)."""
        found = self.cookie.identify(request)
        if not found:
            return None
        userid = str(found["userid"])
        generation = ticket_generation(found.get("tokens"))
        if not USER_NAME.fullmatch(userid) or generation is None:
            request._authtkt_reissue_revoked = True
            return None
        return Ticket(userid, float(found["timestamp"]), generation)

    def _generation(self, request: Request, user: str, now: float) -> int | None:
        known = self._generations.get(user)
        if known is not None and now - known[1] < self.recheck:
            return known[0]
        generation = self.sign_ins.generation(request, user)
        self._remember_generation(user, generation, now)
        return generation

    def _remember_generation(self, user: str, generation: int | None, now: float) -> None:
        with self._lock:
            if len(self._generations) >= MAX_KNOWN_USERS:
                self._generations = {}
            self._generations[user] = (generation, now)

    def authenticated_userid(self, request: Request) -> str | None:
        return self.identity(request)

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        principals = [Everyone]
        userid = self.identity(request)
        if userid is not None:
            principals += [Authenticated, user_principal(userid)]
        return self.acl.permits(context, principals, permission)

    # -- signing in and out --------------------------------------------------------
    def remember(self, request: Request, userid: str, **kw: Any) -> list[tuple[str, str]]:
        generation = self.sign_ins.generation(request, userid)
        if generation is None:
            raise LookupError(f"cannot sign in {userid!r}: no such user")
        self._remember_generation(userid, generation, time.time())
        tokens = (f"{GENERATION_TOKEN}{generation}",)
        return self.cookie.remember(request, userid, tokens=tokens, **kw)

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        """Sign out: the cookie goes, and every ticket the user holds stops working."""
        user = self.identity(request)
        if user is not None:
            self.end_sign_ins(request, user)
        return self.cookie.forget(request)

    def end_sign_ins(self, request: Request, user: str) -> None:
        """Sign ``user`` out everywhere: tickets issued until now are refused."""
        generation = self.sign_ins.end_all(request, user)
        self._remember_generation(user, generation, time.time())
        log.info("signed out %s everywhere (sign-in generation %s)", user, generation)


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    if settings.auth_reissue_time >= settings.auth_timeout:
        raise SettingsError(
            f"auth_reissue_time ({settings.auth_reissue_time:g} s) must be less than "
            f"auth_timeout ({settings.auth_timeout:g} s), or sign-ins in use would expire"
        )
    for problem in (shared_secret_problem(settings), shared_database_problem(settings)):
        if problem:
            raise SettingsError(problem)
    secret = settings.auth_secret
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning("auth_secret is not set: using a random one, sign-ins end on restart")
    policy = CookieSecurityPolicy(
        secret,
        DatabaseSignIns(),
        secure=settings.cookie_secure,
        timeout=settings.auth_timeout,
        reissue_time=settings.auth_reissue_time,
        recheck=settings.auth_recheck,
    )
    config.set_security_policy(policy)
    config.set_csrf_storage_policy(CookieCSRFStoragePolicy(secure=settings.cookie_secure))
    config.set_default_csrf_options(require_csrf=True)
