"""The pure parts of the OpenID Connect sign-in: PKCE, came_from, claims, key choice."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from graphmetrics.web.oidc.flow import (
    OIDCError,
    Transaction,
    authorization_url,
    pick_user_name,
    pkce_challenge,
    safe_came_from,
    scope_list,
    token_auth_method,
)
from graphmetrics.web.oidc.provider import basic_auth
from graphmetrics.web.oidc.tokens import UnknownKey, allowed_algorithms, select_key


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_transaction_values_are_fresh_and_long() -> None:
    one, two = (Transaction.start("/", "https://gm.example/cb", 1000.0) for _ in range(2))
    assert len({one.state, one.nonce, one.verifier, two.state}) == 4
    assert 43 <= len(one.verifier) <= 128  # RFC 7636 §4.1


def test_transaction_round_trip_and_garbage() -> None:
    tx = Transaction.start("/metrics/", "https://gm.example/cb", 1000.0)
    assert Transaction.from_dict(tx.as_dict()) == tx
    for bad in (None, "x", [], {}, {**tx.as_dict(), "state": 3}, {**tx.as_dict(), "started": "1"}):
        assert Transaction.from_dict(bad) is None


def test_transaction_expires() -> None:
    tx = Transaction.start("/", "https://gm.example/cb", 1000.0)
    assert not tx.expired(1000.0 + 599)
    assert tx.expired(1000.0 + 601)
    assert tx.expired(1000.0 - 3600)


def test_authorization_url_carries_state_nonce_and_s256_challenge() -> None:
    tx = Transaction.start("/", "https://gm.example/login/oidc/callback", 0)
    url = authorization_url("https://sso.example/auth?tenant=a", "gm", "email openid", tx)
    assert url.startswith("https://sso.example/auth?tenant=a&")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params == {
        "tenant": "a",
        "response_type": "code",
        "client_id": "gm",
        "redirect_uri": "https://gm.example/login/oidc/callback",
        "scope": "openid email",
        "state": tx.state,
        "nonce": tx.nonce,
        "code_challenge": pkce_challenge(tx.verifier),
        "code_challenge_method": "S256",
    }


def test_scope_list_always_asks_for_openid_once() -> None:
    assert scope_list("openid profile email") == ["openid", "profile", "email"]
    assert scope_list("profile  profile") == ["openid", "profile"]
    assert scope_list("") == ["openid"]


@pytest.mark.parametrize("target", ["/", "/alice/default/?start=-1d", "/metrics/#x"])
def test_safe_came_from_keeps_local_paths(target: str) -> None:
    assert safe_came_from(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "alice/default/",
        "//evil.example/",
        "///evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\x7f",
    ],
)
def test_safe_came_from_refuses_other_sites(target: str | None) -> None:
    assert safe_came_from(target) is None


def test_user_name_from_the_configured_claim_then_email_then_sub() -> None:
    claims = {"preferred_username": "alice", "email": "a@example.com", "sub": "123"}
    assert pick_user_name(claims, "preferred_username") == "alice"
    assert pick_user_name({**claims, "preferred_username": ""}, "preferred_username") == (
        "a@example.com"
    )
    assert pick_user_name({"sub": "123"}, "preferred_username") == "123"
    assert pick_user_name({"upn": "bob", "sub": "1"}, "upn") == "bob"


@pytest.mark.parametrize("value", ["bob smith", "api", "x" * 65, 42, ["a"], "-a"])
def test_invalid_user_name_claim_refuses_rather_than_falls_back(value: object) -> None:
    with pytest.raises(OIDCError, match="cannot be a user name") as info:
        pick_user_name(
            {"preferred_username": value, "email": "ok@example.com"}, "preferred_username"
        )
    assert info.value.status == 403


def test_no_naming_claim_at_all() -> None:
    with pytest.raises(OIDCError, match="none of the claims preferred_username, email, sub"):
        pick_user_name({"name": "Alice"}, "preferred_username")


def test_token_auth_method_follows_discovery() -> None:
    assert token_auth_method(None, True) == "client_secret_basic"
    assert token_auth_method(["client_secret_post"], True) == "client_secret_post"
    assert token_auth_method(["private_key_jwt", "client_secret_basic"], True) == (
        "client_secret_basic"
    )
    assert token_auth_method(["client_secret_basic"], False) == "none"
    with pytest.raises(OIDCError, match="private_key_jwt"):
        token_auth_method(["private_key_jwt"], True)


def test_basic_auth_form_encodes_both_parts() -> None:
    header = basic_auth("my app", "p@ss:word")
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    assert decoded == "my+app:p%40ss%3Aword"


def test_only_asymmetric_algorithms_are_accepted() -> None:
    assert allowed_algorithms(None) == ["RS256"]
    assert allowed_algorithms(["HS256", "none", "RS256", "ES256", "PS256"]) == ["RS256", "ES256"]


def test_key_selection_by_kid_or_the_only_key() -> None:
    rsa1 = {"kty": "RSA", "kid": "1", "n": "x", "e": "AQAB"}
    rsa2 = {"kty": "RSA", "kid": "2", "use": "sig", "n": "y", "e": "AQAB"}
    enc = {"kty": "RSA", "kid": "3", "use": "enc", "n": "z", "e": "AQAB"}
    ec = {"kty": "EC", "kid": "4", "crv": "P-256", "x": "a", "y": "b"}
    jwks = {"keys": [rsa1, rsa2, enc, ec]}
    assert select_key({"alg": "RS256", "kid": "2"}, jwks) is rsa2
    assert select_key({"alg": "ES256", "kid": "4"}, jwks) is ec
    assert select_key({"alg": "RS256"}, {"keys": [rsa1, enc, ec]}) is rsa1
    for header in ({"alg": "RS256", "kid": "3"}, {"alg": "RS256", "kid": "4"}, {"alg": "RS256"}):
        with pytest.raises(UnknownKey):
            select_key(header, jwks)
