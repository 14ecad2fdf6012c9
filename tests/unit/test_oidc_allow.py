"""The sign-in allow-list's rules, on ID token claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.allow import check_settings, check_user
from graphmetrics.web.oidc.flow import OIDCError


def settings(**options: Any) -> WebSettings:
    return WebSettings(rrd_dir=Path("."), oidc_issuer="https://sso.example", **options)


VERIFIED = {"email": "a@example.com", "email_verified": True}


@pytest.mark.parametrize(
    ("options", "user", "claims"),
    [
        ({"oidc_allowed_domains": ("example.com",)}, "a", VERIFIED),
        ({"oidc_allowed_domains": ("@EXAMPLE.com",)}, "a", VERIFIED),
        ({"oidc_allowed_groups": ("ops",)}, "a", {"groups": ["dev", "ops"]}),
        ({"oidc_allowed_groups": ("ops",)}, "a", {"groups": "ops"}),
        (
            {"oidc_allowed_subjects": ("s1",), "oidc_allowed_domains": ("x.org",)},
            "a",
            {"sub": "s1"},
        ),
        ({"oidc_allowed_emails": ("A@example.com",)}, "a", VERIFIED),
        ({"oidc_allow_any": True}, "anyone", {}),
    ],
)
def test_admitted(options: dict[str, Any], user: str, claims: dict[str, Any]) -> None:
    check_user(settings(**options), user, claims)


@pytest.mark.parametrize(
    ("options", "claims", "reason"),
    [
        ({"oidc_allowed_domains": ("example.com",)}, {**VERIFIED, "email_verified": "true"},
         "has not verified your e-mail address a@example.com"),
        ({"oidc_allowed_domains": ("example.com",)}, {"email": "a@sub.example.com",
         "email_verified": True}, "domain sub.example.com is not one of example.com"),
        ({"oidc_allowed_groups": ("ops",)}, {"groups": [["ops"]]},
         "you are in none of the groups ops (claim 'groups')"),
        ({"oidc_allowed_subjects": ("b",)}, {**VERIFIED, "sub": "a"},
         "your subject is not on the list"),
        ({"oidc_allowed_emails": ("a@example.com",)}, {"email": "a@example.com"},
         "has not verified your e-mail address a@example.com"),
        ({"oidc_allowed_emails": ("b@example.com",)}, VERIFIED,
         "your e-mail address a@example.com is not on the list"),
    ],
)  # fmt: skip
def test_refused_with_the_reason(
    options: dict[str, Any], claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(OIDCError) as refused:
        check_user(settings(**options), "a", claims)
    assert refused.value.status == 403
    assert reason in refused.value.message


def test_oidc_without_allow_list_needs_allow_any() -> None:
    with pytest.raises(SettingsError, match="nobody is on the allow-list"):
        check_settings(settings())
    check_settings(settings(oidc_allow_any=True))
    check_settings(settings(oidc_allowed_subjects=("a",)))
    with pytest.raises(SettingsError, match="oidc_allowed_users is no longer accepted"):
        check_settings(settings(oidc_allowed_users=("a",), oidc_allow_any=True))
    check_settings(WebSettings(rrd_dir=Path(".")))  # no OIDC: nothing to check
