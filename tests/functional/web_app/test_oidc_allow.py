"""Who may sign in through the real provider: verified e-mails and domains, groups, subjects.

A refused user gets a 403 page saying why, no login cookie, and no user row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from webtest import TestApp

from graphmetrics.settings import SettingsError
from tests.functional.web_app.test_oidc import sign_in
from tests.oidc_provider import ProviderServer


@pytest.fixture
def allow_app(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> Callable[..., TestApp]:
    def make(**allow: str) -> TestApp:
        settings = {
            "dev_login": "false",
            "oidc_issuer": oidc_provider.url,
            "oidc_client_id": "graphmetrics",
            "oidc_redirect_url": "http://localhost/login/oidc/callback",
            "oidc_client_secret": "s3cret",
            **allow,
        }
        return make_app(**settings)

    return make


def signed_in_as(app: TestApp) -> str | None:
    res = app.get("/", status=302)
    return None if res.location.endswith("/login") else res.location.split("/")[3]


def users_stored(app: TestApp, provider: ProviderServer) -> list[str]:
    """The user list, as seen by a user the allow-list admits by subject."""
    provider.set_user("admin-1", preferred_username="admin")
    sign_in(app, provider, "admin-1")
    return [th.text.split()[0] for th in app.get("/users/").html.select("tbody th")]


def refused(app: TestApp, provider: ProviderServer, sub: str) -> str:
    res = sign_in(app, provider, sub, status=403)
    assert "graphmetrics_auth" not in app.cookies
    assert "Sign-in failed" in res.text
    return str(res.html.select_one("main").get_text(" ", strip=True))


def test_verified_email_in_an_allowed_domain_gets_in(
    allow_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user(
        "d-1", preferred_username="dora", email="dora@Example.com", email_verified=True
    )
    app = allow_app(oidc_allowed_domains="example.com, example.org")
    sign_in(app, oidc_provider, "d-1")
    assert signed_in_as(app) == "dora"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "eve@evil.example", "email_verified": True},
         "your e-mail domain evil.example is not one of example.com, example.org"),
        ({"email": "eve@example.com", "email_verified": False},
         "the provider has not verified your e-mail address eve@example.com"),
        ({"email": "eve@example.com"},
         "the provider has not verified your e-mail address eve@example.com"),
        ({}, "the provider gave no e-mail address (allowed domains: example.com, example.org)"),
    ],
)  # fmt: skip
def test_other_or_unverified_domains_are_refused_saying_why(
    allow_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
    claims: dict[str, Any],
    reason: str,
) -> None:
    oidc_provider.set_user("e-1", preferred_username="eve", **claims)
    app = allow_app(oidc_allowed_domains="example.com,example.org", oidc_allowed_subjects="admin-1")
    text = refused(app, oidc_provider, "e-1")
    assert "eve may not sign in to graphmetrics" in text
    assert "your subject is not on the list" in text
    assert reason in text
    assert "eve" not in users_stored(app, oidc_provider)


def test_groups_claim_admits_members_of_an_allowed_group(
    allow_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    app = allow_app(oidc_allowed_groups="ops dev", oidc_groups_claim="roles")
    oidc_provider.set_user("g-1", preferred_username="gina", roles=["staff", "dev"])
    sign_in(app, oidc_provider, "g-1")
    assert signed_in_as(app) == "gina"
    other = allow_app(oidc_allowed_groups="ops dev", oidc_groups_claim="roles")
    oidc_provider.set_user("g-2", preferred_username="gus", roles=["staff"], groups=["ops"])
    text = refused(other, oidc_provider, "g-2")
    assert "you are in none of the groups ops, dev (claim 'roles')" in text


def test_subjects_and_verified_emails_on_the_list_get_in_whatever_their_domain(
    allow_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-1", preferred_username="uma", email="uma@elsewhere.example")
    app = allow_app(oidc_allowed_subjects="u-1,admin-1", oidc_allowed_domains="example.com")
    sign_in(app, oidc_provider, "u-1")
    assert signed_in_as(app) == "uma"
    oidc_provider.set_user(
        "v-1", preferred_username="vic", email="Vic@Elsewhere.example", email_verified=True
    )
    app = allow_app(oidc_allowed_emails="vic@elsewhere.example")
    sign_in(app, oidc_provider, "v-1")
    assert signed_in_as(app) == "vic"
    oidc_provider.set_user("v-2", preferred_username="vic2", email="vic@elsewhere.example")
    text = refused(allow_app(oidc_allowed_emails="vic@elsewhere.example"), oidc_provider, "v-2")
    assert "the provider has not verified your e-mail address vic@elsewhere.example" in text


def test_a_self_chosen_name_admits_nobody(
    allow_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    """N7: an evil.test user calling themselves ops-robot is not let in as ops-robot."""
    with pytest.raises(SettingsError, match="oidc_allowed_users is no longer accepted"):
        allow_app(oidc_allowed_users="ops-robot")
    oidc_provider.set_user("robot-1", preferred_username="ops-robot")
    oidc_provider.set_user(
        "e-7", preferred_username="ops-robot", email="eve@evil.test", email_verified=True
    )
    app = allow_app(oidc_allowed_subjects="robot-1", oidc_allowed_emails="ops@example.com")
    text = refused(app, oidc_provider, "e-7")
    assert "ops-robot may not sign in" in text
    assert "your subject is not on the list" in text
    assert "your e-mail address eve@evil.test is not on the list" in text
    sign_in(app, oidc_provider, "robot-1")
    assert signed_in_as(app) == "ops-robot"


def test_no_allow_list_refuses_to_start_unless_allow_any(
    allow_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    with pytest.raises(SettingsError, match="nobody is on the allow-list.*oidc_allow_any = true"):
        allow_app()
    app = allow_app(oidc_allow_any="true")
    oidc_provider.set_user("a-1", preferred_username="anyone", email="x@anywhere.example")
    sign_in(app, oidc_provider, "a-1")
    assert signed_in_as(app) == "anyone"
