"""The pure parts of the authorization code flow: PKCE, the sign-in transaction,
where to go afterwards and which claim names the user.

Nothing here does I/O; :mod:`.provider` talks to the identity provider and
:mod:`graphmetrics.web.views.oidc` ties both to requests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from graphmetrics.web.views.helpers import valid_user

FALLBACK_CLAIMS = ("email", "sub")
# how long a sign-in may take, from leaving for the provider to coming back
TRANSACTION_SECONDS = 600
# characters kept as they are when a came_from path is percent-encoded
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


class OIDCError(Exception):
    """A sign-in that cannot go on; ``status`` is the HTTP status of the error page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def random_token() -> str:
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of a ``code_verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Transaction:
    """What the browser carries (in a signed cookie) from the redirect to the callback."""

    state: str
    nonce: str
    verifier: str
    came_from: str
    redirect_uri: str
    started: int

    @classmethod
    def start(cls, came_from: str, redirect_uri: str, now: float) -> Transaction:
        return cls(
            random_token(), random_token(), random_token(), came_from, redirect_uri, int(now)
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Transaction | None:
        if not isinstance(data, dict):
            return None
        fields = ("state", "nonce", "verifier", "came_from", "redirect_uri")
        if not all(isinstance(data.get(name), str) for name in fields):
            return None
        started = data.get("started")
        if isinstance(started, bool) or not isinstance(started, int):
            return None
        return cls(**{name: data[name] for name in fields}, started=started)

    def expired(self, now: float) -> bool:
        return not self.started - 60 <= now <= self.started + TRANSACTION_SECONDS


def scope_list(scopes: str) -> list[str]:
    """The configured scopes, ``openid`` always first."""
    words = [w for w in scopes.split() if w != "openid"]
    return ["openid", *dict.fromkeys(words)]


def authorization_url(endpoint: str, client_id: str, scopes: str, transaction: Transaction) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": transaction.redirect_uri,
        "scope": " ".join(scope_list(scopes)),
        "state": transaction.state,
        "nonce": transaction.nonce,
        "code_challenge": pkce_challenge(transaction.verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if urlsplit(endpoint).query else "?"
    return endpoint + separator + urlencode(params)


def safe_came_from(target: str | None) -> str | None:
    """A path on this site to go back to after signing in, or None.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read
    ``/\\host`` as ``//host``) and control characters (browsers drop a tab or
    newline, turning ``/\\t/host`` into ``//host``).  Characters outside ASCII are
    percent-encoded (UTF-8), as a browser would send them.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if target.isascii():
        return target
    # A Location header is Latin-1 at most: other characters go percent-encoded.
    try:
        return quote(target, safe=URL_SAFE)
    except UnicodeEncodeError:  # a lone surrogate
        return None


def user_claim_order(user_claim: str) -> list[str]:
    return list(dict.fromkeys([user_claim, *FALLBACK_CLAIMS]))


def pick_user_name(claims: Mapping[str, Any], user_claim: str) -> str:
    """The user name from the first of ``user_claim``, ``email``, ``sub`` present.

    A present claim that is not a valid user name refuses the sign-in rather than
    falling back, so one person never ends up with two names.
    """
    order: Sequence[str] = user_claim_order(user_claim)
    for name in order:
        value = claims.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not valid_user(value):
            raise OIDCError(
                f"The identity provider names you {value!r} (claim '{name}'), which cannot "
                "be a user name here: it must be 1-64 letters, digits, '_', '.', '@' or '-', "
                "starting with a letter or digit (api, login, metrics, static... are "
                "reserved). Ask your administrator.",
                403,
            )
        return value
    raise OIDCError(
        f"The identity provider's token has none of the claims {', '.join(order)}.", 403
    )


def token_auth_method(supported: Sequence[str] | None, has_secret: bool) -> str:
    """How to authenticate at the token endpoint, given what discovery advertises.

    The spec's default when the provider says nothing is ``client_secret_basic``.
    """
    if not has_secret:
        return "none"
    offered = list(supported) if supported else ["client_secret_basic"]
    for method in ("client_secret_basic", "client_secret_post"):
        if method in offered:
            return method
    raise OIDCError(
        "The identity provider supports none of client_secret_basic, client_secret_post "
        f"at its token endpoint (it offers {', '.join(offered)}).",
        502,
    )
