"""The identity provider as the web app sees it: discovery, keys and the token endpoint.

Discovery and the JWKS are cached (``CACHE_SECONDS``). A token whose key is not in
the cached JWKS makes it be fetched again once, at most every
``JWKS_MIN_INTERVAL`` seconds, so a provider rotating its keys is followed while a
stream of forged tokens cannot make the app hammer the provider.  HTTP goes through
the standard library with a timeout; every failure becomes an :class:`OIDCError`
saying what went wrong with which URL.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote_plus, urlencode, urlsplit
from urllib.request import Request, urlopen

from zope.interface import implementer

from graphmetrics.web.config import WebSettings
from graphmetrics.web.interfaces import IOIDCProvider
from graphmetrics.web.oidc import tokens
from graphmetrics.web.oidc.flow import OIDCError, token_auth_method

CACHE_SECONDS = 3600.0
JWKS_MIN_INTERVAL = 60.0
MAX_RESPONSE_BYTES = 1_000_000
DISCOVERY_PATH = "/.well-known/openid-configuration"


def fetch_json(url: str, timeout: float, data: bytes | None = None, **headers: str) -> Any:
    """GET (or POST ``data``) and decode a JSON object; 502 errors naming the URL."""
    request = Request(url, data=data, headers={"Accept": "application/json", **headers})
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 (http/https only)
            body = response.read(MAX_RESPONSE_BYTES)
    except HTTPError as exc:
        raise OIDCError(f"{url} answered {exc.code}: {_error_text(exc)}", 502) from exc
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OIDCError(f"Cannot reach the identity provider at {url}: {reason}", 502) from exc
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise OIDCError(f"{url} did not answer JSON: {exc}", 502) from exc
    if not isinstance(value, dict):
        raise OIDCError(f"{url} did not answer a JSON object", 502)
    return value


def _error_text(exc: HTTPError) -> str:
    """The OAuth ``error`` (and description) of an error response, or its reason."""
    try:
        body = json.loads(exc.read(MAX_RESPONSE_BYTES))
    except (ValueError, OSError):
        return str(exc.reason)
    if isinstance(body, dict) and "error" in body:
        description = body.get("error_description")
        return f"{body['error']}" + (f" ({description})" if description else "")
    return str(exc.reason)


@implementer(IOIDCProvider)
class Provider:
    """One OpenID Connect provider, shared by every request of the app (thread-safe)."""

    def __init__(
        self,
        settings: WebSettings,
        clock: Callable[[], float] = time.time,
        fetch: Callable[..., Any] = fetch_json,
    ) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise ValueError("Provider needs oidc_issuer and oidc_client_id")
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.timeout = settings.oidc_timeout
        self.clock = clock
        self.fetch = fetch
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None
        self._jwks_at = 0.0

    # discovery

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            if self._metadata is None or now - self._metadata_at > CACHE_SECONDS:
                self._metadata = self._discover()
                self._metadata_at = now
            return self._metadata

    def _discover(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + DISCOVERY_PATH
        doc = self.fetch(url, self.timeout)
        if str(doc.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            raise OIDCError(
                f"{url} names issuer {doc.get('issuer')!r}, not the configured {self.issuer!r}",
                502,
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = doc.get(field)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise OIDCError(f"{url} has no usable {field}", 502)
        return dict(doc)

    def endpoint(self, name: str) -> str:
        return str(self.metadata()[name])

    # keys

    def jwks(self, refresh: bool = False) -> dict[str, Any]:
        """The provider's keys; ``refresh`` fetches them again unless that was just done."""
        uri = self.endpoint("jwks_uri")
        with self._lock:
            now = self.clock()
            stale = self._jwks is None or now - self._jwks_at > CACHE_SECONDS
            may_refresh = refresh and now - self._jwks_at >= JWKS_MIN_INTERVAL
            if stale or may_refresh:
                keys = self.fetch(uri, self.timeout)
                if not isinstance(keys.get("keys"), list):
                    raise OIDCError(f"{uri} is not a JWK set (no 'keys' list)", 502)
                self._jwks = dict(keys)
                self._jwks_at = now
            assert self._jwks is not None
            return self._jwks

    def verify(self, id_token: str, nonce: str, access_token: str | None) -> dict[str, Any]:
        """The ID token's claims, checked against the (possibly refreshed) JWKS."""
        meta = self.metadata()
        algorithms = tokens.allowed_algorithms(meta.get("id_token_signing_alg_values_supported"))
        expected = tokens.Expected(
            issuer=str(meta["issuer"]),
            client_id=self.client_id,
            nonce=nonce,
            algorithms=algorithms,
            access_token=access_token,
        )
        try:
            return tokens.verify_id_token(id_token, self.jwks(), expected, self.clock())
        except tokens.UnknownKey:
            pass
        except tokens.BadSignature:
            if "kid" in tokens.token_header(id_token):
                raise
        # unknown kid, or no kid and the only key failed: the keys may have rotated
        return tokens.verify_id_token(id_token, self.jwks(refresh=True), expected, self.clock())

    # token endpoint

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        """The token response for an authorization code (RFC 6749 §4.1.3, RFC 7636)."""
        meta = self.metadata()
        method = token_auth_method(
            meta.get("token_endpoint_auth_methods_supported"), bool(self.client_secret)
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if method == "client_secret_basic":
            headers["Authorization"] = basic_auth(self.client_id, self.client_secret or "")
        else:
            form["client_id"] = self.client_id
            if method == "client_secret_post":
                form["client_secret"] = self.client_secret or ""
        url = str(meta["token_endpoint"])
        answer = self.fetch(url, self.timeout, urlencode(form).encode("ascii"), **headers)
        if not isinstance(answer.get("id_token"), str):
            raise OIDCError(f"{url} answered without an id_token (is 'openid' a scope?)", 502)
        return dict(answer)


def basic_auth(client_id: str, secret: str) -> str:
    """``client_secret_basic``: both parts form-encoded first (RFC 6749 §2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def provider_name(settings: WebSettings) -> str:
    """What the 'Sign in with ...' button says."""
    if settings.oidc_provider_name:
        return settings.oidc_provider_name
    host = urlsplit(settings.oidc_issuer or "").hostname
    return host or "your identity provider"
