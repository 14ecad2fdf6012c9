"""The original's user and page names as graphmetrics' account and page names; pure.

The original signed people in with Persona, so its users are e-mail addresses
(``jim@example.com``).  :func:`match_account` is the one place that decides whose
account an original user's pages go to, so it can follow how accounts are named:

1. an account of that very name (letters compared without case): with
   ``oidc_user_claim = email`` a person's OIDC account *is* their e-mail address;
2. else, for an e-mail address, the one account named as its local part (``jim``):
   accounts named by ``preferred_username`` when people signed in before the import;
3. else the original name itself, as a new account (it must be a valid user name),
   which the person gets when they sign in with that name.

The same rule answers the old ``/metrics/<user>/<page>/`` links, so it must give the
same answer after the import as during it: once step 3 created an account, step 1
finds it.  Page names the new store refuses (spaces, slashes, ...) become a slug
with a short hash of the original name, so two names never meet.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from graphmetrics.saved.services import PAGE_NAME, USER_NAME

_BAD_PAGE_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def match_account(original: str, accounts: Iterable[str]) -> str | None:
    """The account the original user's pages belong to; None: no valid name for them."""
    known = {name.lower(): name for name in accounts}
    if original.lower() in known:
        return known[original.lower()]
    local, at, _domain = original.partition("@")
    if at and local.lower() in known:
        return known[local.lower()]
    return original if USER_NAME.fullmatch(original) else None


def page_name(original: str) -> str:
    """The original page's name, or a slug of it with a hash when that name is refused."""
    if PAGE_NAME.fullmatch(original):
        return original
    digest = hashlib.sha1(original.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    slug = _BAD_PAGE_CHARS.sub("-", original).strip("-._")[:50]
    return f"{slug}-{digest}" if slug else f"page-{digest}"
