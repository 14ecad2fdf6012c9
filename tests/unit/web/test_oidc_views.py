"""The OpenID Connect views over a fake :class:`IOIDCProvider` (no identity provider)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pyramid import testing
from pyramid.config import Configurator
from zope.interface import implementer
from zope.interface.verify import verifyObject

from graphmetrics import settings as gm_settings
from graphmetrics.web.config import WebSettings
from graphmetrics.web.interfaces import IOIDCProvider
from graphmetrics.web.oidc.provider import Provider
from graphmetrics.web.views.oidc import start
from tests.unit.web.conftest import make_request

ISSUER = "https://id.example"


@implementer(IOIDCProvider)
class FakeProvider:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def endpoint(self, name: str) -> str:
        self.asked.append(name)
        return f"{ISSUER}/authorize"

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        raise AssertionError("not in these tests")

    def verify(self, id_token: str, nonce: str, access_token: str | None) -> dict[str, Any]:
        raise AssertionError("not in these tests")


@pytest.fixture
def oidc_config() -> Iterator[Configurator]:
    raw = {
        "rrd_dir": "/nonexistent",
        "oidc_issuer": ISSUER,
        "oidc_client_id": "gm",
        "oidc_redirect_url": "http://localhost/login/oidc/callback",
    }
    web = gm_settings.from_mapping(WebSettings, {**raw, "oidc_allow_any": "true"}, environ={})
    with testing.testConfig(settings={"graphmetrics": web}) as config:
        config.include("graphmetrics.web.oidc")
        config.add_route("home", "/")
        config.add_route("oidc_callback", "/login/oidc/callback")
        config.commit()
        yield config


def test_the_real_provider_is_registered_by_interface(oidc_config: Configurator) -> None:
    request = make_request(oidc_config, "/login/oidc")
    found = request.find_service(IOIDCProvider)
    assert isinstance(found, Provider)
    verifyObject(IOIDCProvider, found)


def test_sign_in_starts_at_the_provider_authorization_endpoint(
    oidc_config: Configurator,
) -> None:
    fake = FakeProvider()
    verifyObject(IOIDCProvider, fake)
    oidc_config.register_service(fake, IOIDCProvider)
    res = start(make_request(oidc_config, "/login/oidc?came_from=/alice/default/"))
    assert res.status_int == 302
    location = urlsplit(res.location)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == ["gm"]
    assert query["redirect_uri"] == ["http://localhost/login/oidc/callback"]
    assert fake.asked == ["authorization_endpoint"]
    assert any(name == "Set-Cookie" for name, _ in res.headerlist)
