"""Who may sign in through OpenID Connect: allowed e-mail domains, groups or user names.

Any one rule admits a user: an ``email`` claim in an allowed domain *that the
provider marks verified* (``email_verified`` true), a groups claim holding one of the
allowed groups, or a user name on the list.  With none configured the app refuses
to start unless ``oidc_allow_any`` says, on purpose, that everyone the provider signs
in may come in (a public provider signs in anyone at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.flow import OIDCError


def has_allow_list(settings: WebSettings) -> bool:
    return bool(
        settings.oidc_allowed_domains or settings.oidc_allowed_groups or settings.oidc_allowed_users
    )


def check_settings(settings: WebSettings) -> None:
    """Refuse an OpenID Connect setup that would let anyone in by accident."""
    if settings.oidc_issuer and not has_allow_list(settings) and not settings.oidc_allow_any:
        raise SettingsError(
            "oidc_issuer is set but nobody is on the allow-list: set oidc_allowed_domains, "
            "oidc_allowed_groups and/or oidc_allowed_users, or oidc_allow_any = true to let "
            "in everyone the provider signs in"
        )


def _domain_reason(claims: Mapping[str, Any], domains: tuple[str, ...]) -> str | None:
    """None when the verified e-mail is in an allowed domain, else why not."""
    email = claims.get("email")
    allowed = ", ".join(domains)
    if not isinstance(email, str) or "@" not in email:
        return f"the provider gave no e-mail address (allowed domains: {allowed})"
    if claims.get("email_verified") is not True:
        return f"the provider has not verified your e-mail address {email}"
    domain = email.rsplit("@", 1)[1].lower()
    if domain in {d.lower().lstrip("@") for d in domains}:
        return None
    return f"your e-mail domain {domain} is not one of {allowed}"


def _group_reason(claims: Mapping[str, Any], claim: str, groups: tuple[str, ...]) -> str | None:
    value = claims.get(claim)
    held = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if set(map(str, held)) & set(groups):
        return None
    return f"you are in none of the groups {', '.join(groups)} (claim '{claim}')"


def check_user(settings: WebSettings, user: str, claims: Mapping[str, Any]) -> None:
    """Raise a 403 :class:`OIDCError` saying why, unless a rule admits ``user``."""
    if not has_allow_list(settings):
        return
    reasons: list[str] = []
    if settings.oidc_allowed_users:
        if user in settings.oidc_allowed_users:
            return
        reasons.append(f"the user name {user} is not on the list")
    if settings.oidc_allowed_domains:
        reason = _domain_reason(claims, settings.oidc_allowed_domains)
        if reason is None:
            return
        reasons.append(reason)
    if settings.oidc_allowed_groups:
        reason = _group_reason(claims, settings.oidc_groups_claim, settings.oidc_allowed_groups)
        if reason is None:
            return
        reasons.append(reason)
    raise OIDCError(
        f"{user} may not sign in to graphmetrics: {'; '.join(reasons)}. "
        "Ask your administrator to be let in.",
        403,
    )
