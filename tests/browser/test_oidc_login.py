"""Signing in through a real OpenID Connect provider in Chromium: the app's button,
the provider's own authorization form, and back to the dashboard signed in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, serve
from tests.oidc_provider import ProviderServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def oidc_server(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: ProviderServer
) -> Iterator[LiveServer]:
    overrides = {
        "dev_login": "false",
        "oidc_issuer": oidc_provider.url,
        "oidc_client_id": "graphmetrics",
        "oidc_client_secret": "s3cret",
        "oidc_provider_name": "Example SSO",
        "oidc_allowed_domains": "example.com",
    }
    with serve(tmp_path_factory.mktemp("oidc-live"), **overrides) as server:
        yield server


def test_sign_in_with_the_provider_lands_on_the_dashboard(
    browser: Any, oidc_server: LiveServer, oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user(
        "browser-1", preferred_username="heidi", email="heidi@example.com", email_verified=True
    )
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{oidc_server.url}/")
        expect(page).to_have_url(f"{oidc_server.url}/login")
        expect(page.locator("input[name=user]")).to_have_count(0)
        page.get_by_role("link", name="Sign in with Example SSO").click()

        authorize = re.escape(f"{oidc_provider.url}/oauth2/authorize?")
        expect(page).to_have_url(re.compile(authorize + ".*code_challenge_method=S256"))
        page.locator("input[name=sub]").fill("browser-1")
        page.get_by_role("button", name="Authorize").click()

        expect(page).to_have_url(f"{oidc_server.url}/heidi/default/")
        expect(page.locator(".account .who")).to_have_text("Signed in as heidi")
        expect(page.locator("#empty")).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{oidc_server.url}/login")
        page.goto(f"{oidc_server.url}/heidi/default/")
        expect(page).to_have_url(re.compile(re.escape(f"{oidc_server.url}/login?next=")))
    finally:
        context.close()


def test_a_user_outside_the_allow_list_is_refused_saying_why(
    browser: Any, oidc_server: LiveServer, oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user(
        "browser-2", preferred_username="mallory", email="mallory@evil.example", email_verified=True
    )
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{oidc_server.url}/login")
        page.get_by_role("link", name="Sign in with Example SSO").click()
        page.locator("input[name=sub]").fill("browser-2")
        with page.expect_response(re.compile(r"/login/oidc/callback\?")) as callback:
            page.get_by_role("button", name="Authorize").click()
        assert callback.value.status == 403
        expect(page.locator("main")).to_contain_text("mallory may not sign in to graphmetrics")
        expect(page.locator("main")).to_contain_text(
            "your e-mail domain evil.example is not one of example.com"
        )
        assert not [c for c in context.cookies() if c["name"] == "graphmetrics_auth"]
        page.goto(f"{oidc_server.url}/")
        expect(page).to_have_url(f"{oidc_server.url}/login")
    finally:
        context.close()
