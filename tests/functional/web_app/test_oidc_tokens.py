"""The ID token checks, on tokens a real provider issued (oidc-provider-mock).

These call the app's :class:`Provider` directly (discovery, JWKS and verification
over real HTTP) for cases a browser cannot produce: a token issued to another
client, a token altered in transit, an access token it does not belong to, expiry
and a provider that rotated its key.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.flow import OIDCError
from graphmetrics.web.oidc.provider import JWKS_MIN_INTERVAL, Provider
from tests.oidc_provider import ProviderServer, running_provider

CLIENT_ID = "graphmetrics"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def make_provider(server: ProviderServer, clock: Clock | None = None) -> Provider:
    settings = WebSettings(
        rrd_dir=Path("."),
        oidc_issuer=server.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="s3cret",
    )
    return Provider(settings, clock=clock or time.time)


def tokens(server: ProviderServer, client_id: str = CLIENT_ID) -> dict[str, Any]:
    server.set_user("u-1", preferred_username="alice")
    return server.tokens_for(client_id, "u-1", nonce="n-1")


def test_a_real_token_verifies(oidc_provider: ProviderServer) -> None:
    answer = tokens(oidc_provider)
    claims = make_provider(oidc_provider).verify(answer["id_token"], "n-1", answer["access_token"])
    assert claims["preferred_username"] == "alice"
    assert claims["iss"] == oidc_provider.url
    assert "at_hash" in claims


def test_token_for_another_client_is_refused(oidc_provider: ProviderServer) -> None:
    answer = tokens(oidc_provider, client_id="another-app")
    with pytest.raises(OIDCError, match="not meant for this sign-in: Invalid audience"):
        make_provider(oidc_provider).verify(answer["id_token"], "n-1", answer["access_token"])


def test_altered_token_is_refused(oidc_provider: ProviderServer) -> None:
    answer = tokens(oidc_provider)
    header, payload, signature = answer["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(OIDCError, match="signature does not verify"):
        make_provider(oidc_provider).verify(
            f"{header}.{forged}.{signature}", "n-1", answer["access_token"]
        )


def test_access_token_not_matching_at_hash_is_refused(oidc_provider: ProviderServer) -> None:
    answer = tokens(oidc_provider)
    other = tokens(oidc_provider)
    with pytest.raises(OIDCError, match="at_hash"):
        make_provider(oidc_provider).verify(answer["id_token"], "n-1", other["access_token"])


def test_expired_token_is_refused() -> None:
    with running_provider(access_token_max_age=timedelta(seconds=-120)) as server:
        answer = tokens(server)
        with pytest.raises(OIDCError, match="expired"):
            make_provider(server).verify(answer["id_token"], "n-1", answer["access_token"])


def test_token_issued_in_the_future_is_refused(oidc_provider: ProviderServer) -> None:
    clock = Clock()
    clock.now -= 3600
    answer = tokens(oidc_provider)
    with pytest.raises(OIDCError, match="in the future"):
        make_provider(oidc_provider, clock).verify(
            answer["id_token"], "n-1", answer["access_token"]
        )


def test_rotated_key_is_fetched_again_but_not_more_often_than_allowed(
    fresh_oidc_provider: ProviderServer,
) -> None:
    server, clock = fresh_oidc_provider, Clock()
    provider = make_provider(server, clock)
    first = tokens(server)
    provider.verify(first["id_token"], "n-1", first["access_token"])

    server.swap()
    rotated = tokens(server)
    clock.now += JWKS_MIN_INTERVAL / 2
    with pytest.raises(OIDCError, match="signature does not verify"):
        provider.verify(rotated["id_token"], "n-1", rotated["access_token"])
    clock.now += JWKS_MIN_INTERVAL
    claims = provider.verify(rotated["id_token"], "n-1", rotated["access_token"])
    assert claims["sub"] == "u-1"
    with pytest.raises(OIDCError, match="signature does not verify"):
        provider.verify(first["id_token"], "n-1", first["access_token"])
