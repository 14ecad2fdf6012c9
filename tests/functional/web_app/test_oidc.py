"""Signing in through a real OpenID Connect provider (oidc-provider-mock on 127.0.0.1).

The app is the real one through WebTest; discovery, the JWKS and the token exchange
are real HTTP to the provider, and the authorization step is the provider's own form
submitted as the test user.  No token here is made by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from webtest import TestApp

from tests.helpers import free_port, sign_out
from tests.oidc_provider import ProviderServer

CLIENT_ID = "graphmetrics"
CALLBACK = "http://localhost/login/oidc/callback"


@pytest.fixture
def oidc_app(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> Callable[..., TestApp]:
    """``oidc_app()``: the app signing in through ``oidc_provider`` (dev login off)."""

    def make(provider: ProviderServer = oidc_provider, **overrides: Any) -> TestApp:
        settings = {
            "dev_login": "false",
            "oidc_issuer": provider.url,
            "oidc_client_id": CLIENT_ID,
            "oidc_redirect_url": CALLBACK,
            "oidc_client_secret": "s3cret",
            "oidc_allow_any": "true",  # the allow-list has its own tests (test_oidc_allow)
            **overrides,
        }
        return make_app(**settings)

    return make


def leave_for_provider(app: TestApp, came_from: str | None = None) -> str:
    """``/login/oidc``: the authorization URL the app sends the browser to."""
    params = {"came_from": came_from} if came_from is not None else {}
    res = app.get("/login/oidc", params=params, status=302)
    assert "graphmetrics_oidc" in app.cookies
    return str(res.location)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {**query_of(url), **changes}
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in(
    app: TestApp,
    provider: ProviderServer,
    sub: str,
    came_from: str | None = None,
    status: int = 302,
) -> Any:
    back = provider.authorize(leave_for_provider(app, came_from), sub)
    return app.get(back, status=status)


def test_login_page_offers_the_provider(oidc_app: Callable[..., TestApp]) -> None:
    page = oidc_app().get("/login", params={"next": "/metrics/"})
    link = page.html.find("a", string="Sign in with 127.0.0.1")
    assert link["href"] == "http://localhost/login/oidc?came_from=%2Fmetrics%2F"
    assert 'name="user"' not in page.text
    named = oidc_app(oidc_provider_name="Example SSO", dev_login="true").get("/login")
    assert "Sign in with Example SSO" in named.text
    assert 'name="user"' in named.text


def test_full_login_through_the_provider(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-1001", preferred_username="alice", email="alice@example.com")
    app = oidc_app()
    authorize = leave_for_provider(app, "/metrics/")
    assert authorize.startswith(f"{oidc_provider.url}/oauth2/authorize?")
    params = query_of(authorize)
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"] == "openid profile email"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["state"] != params["nonce"]

    back = oidc_provider.authorize(authorize, "u-1001")
    assert back.startswith(CALLBACK + "?")
    res = app.get(back, status=302)
    assert res.location == "http://localhost/metrics/"
    assert "graphmetrics_auth" in app.cookies
    assert "graphmetrics_oidc" not in app.cookies
    assert app.get("/", status=302).location.endswith("/alice/default/")
    assert "Signed in as <b>alice</b>" in app.get("/alice/default/").text

    sign_out(app)
    app.get("/alice/default/", status=302)


def test_email_then_sub_name_the_user_when_the_claim_is_absent(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-1002", email="bob@example.com")
    app = oidc_app()
    sign_in(app, oidc_provider, "u-1002")
    assert app.get("/", status=302).location.endswith("/bob@example.com/default/")
    oidc_provider.set_user("u-1003", nickname="carol")
    app = oidc_app(oidc_user_claim="nickname")
    sign_in(app, oidc_provider, "u-1003")
    assert app.get("/", status=302).location.endswith("/carol/default/")


@pytest.mark.parametrize("name", ["bob smith", "api", "x" * 65, "../etc"])
def test_bad_user_name_claim_is_refused(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer, name: str
) -> None:
    oidc_provider.set_user("u-2001", preferred_username=name, email="ok@example.com")
    app = oidc_app()
    res = sign_in(app, oidc_provider, "u-2001", status=403)
    assert "cannot be a user name here" in res.text
    assert "claim &#39;preferred_username&#39;" in res.text
    assert "graphmetrics_auth" not in app.cookies


@pytest.mark.parametrize(
    "came_from",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example"],
)
def test_came_from_elsewhere_goes_home_instead(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer, came_from: str
) -> None:
    oidc_provider.set_user("u-3001", preferred_username="dave")
    res = sign_in(oidc_app(), oidc_provider, "u-3001", came_from=came_from)
    assert res.location == "http://localhost/"


def test_state_mismatch_and_missing_state_are_refused(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-4001", preferred_username="erin")
    app = oidc_app()
    back = oidc_provider.authorize(leave_for_provider(app), "u-4001")
    res = app.get(with_query(back, state="forged"), status=400)
    assert "state mismatch" in res.text
    assert "graphmetrics_auth" not in app.cookies

    back = oidc_provider.authorize(leave_for_provider(app), "u-4001")
    code = query_of(back)["code"]
    res = app.get("/login/oidc/callback", params={"code": code}, status=400)
    assert "state mismatch" in res.text

    # an answer the browser never asked for: no sign-in cookie at all
    back = oidc_provider.authorize(leave_for_provider(app), "u-4001")
    stranger = oidc_app()
    res = stranger.get(back, status=400)
    assert "was not started here" in res.text
    assert "graphmetrics_auth" not in stranger.cookies


def test_replayed_callback_is_refused(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-4002", preferred_username="erin")
    app = oidc_app()
    back = oidc_provider.authorize(leave_for_provider(app), "u-4002")
    app.get(back, status=302)
    sign_out(app)
    res = app.get(back, status=400)
    assert "was not started here" in res.text


def test_nonce_mismatch_is_refused(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    """The provider issues a token for another nonce than the one this sign-in made."""
    oidc_provider.set_user("u-5001", preferred_username="frank")
    app = oidc_app()
    authorize = with_query(leave_for_provider(app), nonce="someone-elses-nonce")
    res = app.get(oidc_provider.authorize(authorize, "u-5001"), status=403)
    assert "nonce does not match" in res.text
    assert "graphmetrics_auth" not in app.cookies


def test_token_signed_by_another_provider_instance_is_refused(
    oidc_app: Callable[..., TestApp], fresh_oidc_provider: ProviderServer
) -> None:
    """Same URL, another provider instance and key; the app has just read the old keys."""
    provider = fresh_oidc_provider
    provider.set_user("u-6001", preferred_username="gina")
    app = oidc_app(provider)
    sign_in(app, provider, "u-6001")
    sign_out(app)

    provider.swap()
    provider.set_user("u-6001", preferred_username="gina")
    res = sign_in(app, provider, "u-6001", status=403)
    assert "signature does not verify" in res.text
    assert "graphmetrics_auth" not in app.cookies


def test_provider_refusal_and_bad_code_are_error_pages(
    oidc_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    app = oidc_app()
    back = oidc_provider.authorize(leave_for_provider(app), None, deny=True)
    res = app.get(back, status=403)
    assert "did not sign you in (access_denied" in res.text

    back = oidc_provider.authorize(leave_for_provider(app), "u-7001")
    res = app.get(with_query(back, code="not-a-code"), status=502)
    assert "/oauth2/token answered 400: invalid_grant" in res.text


def test_provider_down_is_a_clear_error_page(oidc_app: Callable[..., TestApp]) -> None:
    app = oidc_app(oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_timeout="2")
    assert "Sign in with 127.0.0.1" in app.get("/login").text
    res = app.get("/login/oidc", status=502)
    assert "Cannot reach the identity provider" in res.text
    assert "/.well-known/openid-configuration" in res.text
    assert "Traceback" not in res.text


def test_oidc_routes_are_404_when_not_configured(testapp: TestApp) -> None:
    testapp.get("/login/oidc", status=404)
    testapp.get("/login/oidc/callback?code=x&state=y", status=404)
    assert "Sign in with" not in testapp.get("/login").text


def test_issuer_without_client_id_is_a_settings_error(make_app: Callable[..., TestApp]) -> None:
    from graphmetrics.settings import SettingsError

    with pytest.raises(SettingsError, match="oidc_client_id is required"):
        make_app(oidc_issuer="https://sso.example")


def test_settings_come_from_the_environment(
    make_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHMETRICS_OIDC_ISSUER", oidc_provider.url)
    monkeypatch.setenv("GRAPHMETRICS_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("GRAPHMETRICS_OIDC_REDIRECT_URL", "https://gm.example/login/oidc/callback")
    monkeypatch.setenv("GRAPHMETRICS_OIDC_ALLOWED_DOMAINS", "example.com")
    app = make_app()
    authorize = leave_for_provider(app)
    assert query_of(authorize)["redirect_uri"] == "https://gm.example/login/oidc/callback"
