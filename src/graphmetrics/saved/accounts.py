"""Accounts: names unique whatever their case, the names the app's URLs use refused,
and an OpenID Connect account keyed on the provider's identity (issuer + subject).

:class:`Accounts` is part of :class:`~graphmetrics.saved.services.SavedGraphService`;
the helpers here are shared by the token service and the views.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from graphmetrics.saved.models import User

# names that are the first part of the app's own URLs
RESERVED_USERS = frozenset(
    {
        "api",
        "graphite",
        "healthz",
        "login",
        "logout",
        "metrics",
        "render",
        "series",
        "static",
        "tokens",
        "users",
    }
)
# what the database's INTEGER columns hold; a bigger id or generation matches nothing
MAX_DB_INT = 2**63 - 1


class InvalidInput(ValueError):
    """The request's data cannot be saved; the message says what and where."""


# whole names only (fullmatch): "alice\n" must not pass as "alice"
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def check_user_name(name: str) -> str:
    if not USER_NAME.fullmatch(name):
        raise InvalidInput(
            f"bad user name {name!r}: 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    if name.lower() in RESERVED_USERS:
        raise InvalidInput(f"{name!r} is reserved ({', '.join(sorted(RESERVED_USERS))})")
    return name


def in_db_range(value: int) -> bool:
    """Whether ``value`` fits the database's integers (else it names no row)."""
    return -MAX_DB_INT <= value <= MAX_DB_INT


def named(name: str) -> Any:
    """The condition "the user called ``name``", whatever its case."""
    return func.lower(User.name) == name.lower()


def numbered_name(name: str, n: int) -> str:
    """``name`` made distinct with ``-n``, still at most 64 characters."""
    suffix = f"-{n}"
    return name[: 64 - len(suffix)] + suffix


class Accounts:
    """Who an account is: found by the provider's identity, or bound by an operator."""

    session: Session

    def user(self, name: str) -> User | None:
        return self.session.scalar(select(User).where(named(name)))

    def identity(self, issuer: str, subject: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
        )

    def ensure_identity(self, issuer: str, subject: str, wanted: str) -> User:
        """The account of the provider's ``issuer`` + ``subject``, made if new.

        A new account is called ``wanted`` (the claim the operator chose), or
        ``wanted-2``, ``wanted-3``... when another account has that name: a name is
        only ever what the account is shown as, never who it is.
        """
        check_user_name(wanted)
        for n in range(1, 1000):
            user = self.identity(issuer, subject)
            if user is not None:
                return user
            name = wanted if n == 1 else numbered_name(wanted, n)
            if self.user(name) is not None:
                continue
            user = User(name=name, oidc_issuer=issuer, oidc_subject=subject)
            self.session.add(user)
            try:
                self.session.commit()
            except IntegrityError:  # the name or the identity was taken meanwhile
                self.session.rollback()
                continue
            return user
        raise InvalidInput(f"no free user name left for {wanted!r}")

    def bind_identity(self, name: str, issuer: str, subject: str) -> User:
        """Attach an existing account to the provider's identity (an operator's choice)."""
        if not 0 < len(issuer) <= 255 or not 0 < len(subject) <= 255:
            raise InvalidInput("the issuer and the subject are 1-255 characters each")
        user = self.user(name)
        if user is None:
            raise InvalidInput(f"there is no user {name!r}")
        other = self.identity(issuer, subject)
        if other is not None and other.id != user.id:
            raise InvalidInput(f"{issuer} {subject} is already the account {other.name!r}")
        user.oidc_issuer, user.oidc_subject = issuer, subject
        self.session.commit()
        return user
