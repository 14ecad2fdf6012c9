"""Verifying an ID token with python-jose, given the provider's keys (no I/O here).

OpenID Connect Core §3.1.3.7: the signature by a key of the provider's JWKS with an
asymmetric algorithm the provider advertises, ``iss``, ``aud`` (and ``azp`` when
there are several audiences), ``exp`` and ``iat`` with a small leeway, ``nonce``,
and ``at_hash`` when the token carries one.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jose import jwk, jws, jwt
from jose.exceptions import JOSEError, JWTClaimsError, JWTError

from graphmetrics.web.oidc.flow import OIDCError

# Asymmetric algorithms python-jose verifies; never "none" nor the HMAC ones.
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
KEY_TYPES = {"RS": "RSA", "ES": "EC"}
LEEWAY = 60


class UnknownKey(OIDCError):
    """No key of the JWKS fits the token: the provider may have rotated its keys."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 403)


class BadSignature(OIDCError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 403)


@dataclass(frozen=True)
class Expected:
    """What the ID token must say, besides being signed by the provider."""

    issuer: str
    client_id: str
    nonce: str
    algorithms: Sequence[str]
    access_token: str | None = None
    leeway: int = LEEWAY


def allowed_algorithms(advertised: Sequence[str] | None) -> list[str]:
    """The asymmetric algorithms both the provider and python-jose support (RS256 default)."""
    offered = advertised or ["RS256"]
    return [alg for alg in offered if alg in ASYMMETRIC]


def token_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise OIDCError(f"The identity provider's ID token is not a JWT: {exc}", 502) from exc
    return dict(header)


def select_key(header: Mapping[str, Any], jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The JWK named by the header's ``kid`` (or the only fitting key when it has none)."""
    alg = header.get("alg")
    kty = KEY_TYPES.get(str(alg)[:2])
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    usable = [
        k
        for k in keys
        if k.get("kty") == kty and k.get("use", "sig") == "sig" and k.get("alg", alg) == alg
    ]
    kid = header.get("kid")
    if kid is not None:
        named = [k for k in usable if k.get("kid") == kid]
        if not named:
            raise UnknownKey(f"The ID token is signed with key {kid!r}, unknown to the provider.")
        return named[0]
    if len(usable) != 1:
        raise UnknownKey(
            f"The ID token names no key (kid) and the provider has {len(usable)} {alg} keys."
        )
    return usable[0]


def verify_id_token(
    token: str, jwks: Mapping[str, Any], expected: Expected, now: float
) -> dict[str, Any]:
    """The ID token's claims once every check passed; :class:`OIDCError` otherwise."""
    header = token_header(token)
    alg = header.get("alg")
    if alg not in expected.algorithms:
        raise OIDCError(
            f"The ID token is signed with {alg!r}; accepted: {', '.join(expected.algorithms)}.",
            403,
        )
    key = jwk.construct(select_key(header, jwks), algorithm=alg)
    try:
        jws.verify(token, key, algorithms=[alg])
    except JOSEError as exc:
        raise BadSignature(f"The ID token's signature does not verify: {exc}") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=expected.client_id,
            issuer=expected.issuer,
            access_token=expected.access_token,
            options={"leeway": expected.leeway, "require_exp": True, "require_iat": True},
        )
    except JWTClaimsError as exc:
        raise OIDCError(f"The ID token was not meant for this sign-in: {exc}", 403) from exc
    except JWTError as exc:
        raise OIDCError(f"The ID token is not valid: {exc}", 403) from exc
    check_claims(claims, expected, now)
    return claims


def check_claims(claims: Mapping[str, Any], expected: Expected, now: float) -> None:
    """What python-jose leaves to the caller: ``iat`` in the past, ``azp``, ``nonce``, ``sub``."""
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > now + expected.leeway:
        raise OIDCError(f"The ID token's issue time (iat {iat!r}) is in the future.", 403)
    audiences = claims.get("aud")
    several = isinstance(audiences, list) and len(audiences) > 1
    if several and claims.get("azp") != expected.client_id:
        raise OIDCError("The ID token has several audiences and another azp.", 403)
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected.nonce):
        raise OIDCError(
            "The ID token's nonce does not match this sign-in (a replayed or mixed-up "
            "token): start again from the login page.",
            403,
        )
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OIDCError("The ID token has no subject (sub).", 403)
