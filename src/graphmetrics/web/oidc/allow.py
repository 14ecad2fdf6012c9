"""Who may sign in through OpenID Connect: verified e-mails and domains, groups, subjects.

Any one rule admits a user: an ``email`` claim *that the provider marks verified*
(``email_verified`` true) in an allowed domain or on the list of allowed addresses, a
groups claim holding one of the allowed groups, or a ``sub`` on the list of allowed
subjects.  A name the user may choose (``preferred_username``, ``nickname``) admits
nobody: a user calling themselves ``ops-robot`` is not ops-robot.  With no rule the
app refuses to start unless ``oidc_allow_any`` says, on purpose, that everyone the
provider signs in may come in (a public provider signs in anyone at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings
from graphmetrics.web.oidc.flow import OIDCError


def has_allow_list(settings: WebSettings) -> bool:
    return bool(
        settings.oidc_allowed_domains
        or settings.oidc_allowed_groups
        or settings.oidc_allowed_emails
        or settings.oidc_allowed_subjects
    )


def check_settings(settings: WebSettings) -> None:
    """Refuse an OpenID Connect setup that would let anyone in by accident."""
    if settings.oidc_allowed_users:
        raise SettingsError(
            "oidc_allowed_users is no longer accepted: it matched the user name, which "
            "many providers let users choose. List verified addresses in "
            "oidc_allowed_emails or the provider's subjects ('sub') in oidc_allowed_subjects"
        )
    if settings.oidc_issuer and not has_allow_list(settings) and not settings.oidc_allow_any:
        raise SettingsError(
            "oidc_issuer is set but nobody is on the allow-list: set oidc_allowed_domains, "
            "oidc_allowed_emails, oidc_allowed_groups and/or oidc_allowed_subjects, or "
            "oidc_allow_any = true to let in everyone the provider signs in"
        )


def verified_email(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the e-mail address if the provider verified it, else None; why not)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None, "the provider gave no e-mail address"
    if claims.get("email_verified") is not True:
        return None, f"the provider has not verified your e-mail address {email}"
    return email, None


def _domain_reason(claims: Mapping[str, Any], domains: tuple[str, ...]) -> str | None:
    """None when the verified e-mail is in an allowed domain, else why not."""
    allowed = ", ".join(domains)
    email, why = verified_email(claims)
    if email is None:
        return f"{why} (allowed domains: {allowed})" if "no e-mail" in str(why) else why
    domain = email.rsplit("@", 1)[1].lower()
    if domain in {d.lower().lstrip("@") for d in domains}:
        return None
    return f"your e-mail domain {domain} is not one of {allowed}"


def _email_reason(claims: Mapping[str, Any], emails: tuple[str, ...]) -> str | None:
    email, why = verified_email(claims)
    if email is None:
        return why
    if email.lower() in {e.lower() for e in emails}:
        return None
    return f"your e-mail address {email} is not on the list"


def _group_reason(claims: Mapping[str, Any], claim: str, groups: tuple[str, ...]) -> str | None:
    value = claims.get(claim)
    held = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if set(map(str, held)) & set(groups):
        return None
    return f"you are in none of the groups {', '.join(groups)} (claim '{claim}')"


def check_user(settings: WebSettings, user: str, claims: Mapping[str, Any]) -> None:
    """Raise a 403 :class:`OIDCError` saying why, unless a rule admits the token's claims.

    ``user`` only names the person in the message; it admits nobody.
    """
    if not has_allow_list(settings):
        return
    reasons: list[str] = []
    if settings.oidc_allowed_subjects:
        if claims.get("sub") in settings.oidc_allowed_subjects:
            return
        reasons.append("your subject is not on the list")
    if settings.oidc_allowed_emails:
        reason = _email_reason(claims, settings.oidc_allowed_emails)
        if reason is None:
            return
        reasons.append(reason)
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
        f"{user} may not sign in to graphmetrics: {'; '.join(dict.fromkeys(reasons))}. "
        "Ask your administrator to be let in.",
        403,
    )
