"""API tokens: created, listed and revoked per user; checked on read requests.

A token is ``gmt_`` and 43 URL-safe random characters, shown once when created;
the database keeps only its SHA-256, so a leaked database yields no usable token.
Revoking keeps the row (with the revocation time) so a request with it can be told
"revoked" rather than "unknown".  ``last_used`` is written at most once a minute
per token, so a dashboard polling every few seconds does not write on every read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from graphmetrics.saved.accounts import InvalidInput, check_user_name, in_db_range, named
from graphmetrics.saved.models import ApiToken, User, utcnow

PREFIX = "gmt_"
MAX_NAME = 64
MAX_TOKENS = 100
TOUCH_INTERVAL = timedelta(minutes=1)


class TokenError(Exception):
    """A token that does not authenticate; the message says why (for the 401)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created: datetime
    last_used: datetime | None
    revoked: datetime | None


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.created, row.last_used, row.revoked)


class TokenService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _user(self, name: str) -> User | None:
        return self.session.scalar(select(User).where(named(name)))

    def create(self, user: str, name: str) -> tuple[TokenInfo, str]:
        """A new token for ``user`` (created if new): its info and its text, shown once."""
        check_user_name(user)
        name = name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise InvalidInput(f"a token name is 1-{MAX_NAME} printable characters")
        owner = self._user(user)
        if owner is None:
            owner = User(name=user)
            self.session.add(owner)
            self.session.flush()
        live = [t for t in self.tokens(user) if t.revoked is None]
        if len(live) >= MAX_TOKENS:
            raise InvalidInput(f"{user} already has {MAX_TOKENS} tokens; revoke some first")
        text = PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(owner=owner, name=name, token_hash=token_hash(text))
        self.session.add(row)
        self.session.commit()
        return _info(row), text

    def tokens(self, user: str) -> list[TokenInfo]:
        """The user's tokens, newest first (revoked ones too)."""
        rows = self.session.scalars(
            select(ApiToken)
            .join(User)
            .where(named(user))
            .order_by(ApiToken.created.desc(), ApiToken.id.desc())
        )
        return [_info(r) for r in rows]

    def revoke(self, user: str, token_id: int) -> TokenInfo:
        row = (
            self.session.scalar(
                select(ApiToken).join(User).where(named(user), ApiToken.id == token_id)
            )
            if in_db_range(token_id)
            else None
        )
        if row is None:
            raise InvalidInput(f"{user} has no token {token_id}")
        if row.revoked is None:
            row.revoked = utcnow()
            self.session.commit()
        return _info(row)

    def authenticate(self, token: str, user: str | None = None) -> str:
        """The owner's name; :class:`TokenError` for an unknown, revoked or misnamed token."""
        row = self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        if row is None:
            raise TokenError("unknown API token (create one on your /tokens/ page)")
        if row.revoked is not None:
            raise TokenError(
                f"API token {row.name!r} was revoked on {row.revoked:%Y-%m-%d %H:%M} UTC"
            )
        owner = row.owner.name
        if user is not None and user.lower() != owner.lower():
            raise TokenError(f"this API token belongs to another user than {user!r}")
        now = utcnow()
        if row.last_used is None or now - row.last_used >= TOUCH_INTERVAL:
            self.session.execute(
                update(ApiToken).where(ApiToken.id == row.id).values(last_used=now),
                execution_options={"synchronize_session": False},
            )
            self.session.commit()
        return owner
