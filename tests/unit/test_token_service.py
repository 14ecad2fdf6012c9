"""API tokens on an in-memory SQLite database migrated by Alembic."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.models import ApiToken
from graphmetrics.saved.services import InvalidInput
from graphmetrics.saved.tokens import TokenError, TokenService


@pytest.fixture
def svc() -> Iterator[TokenService]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    with Session(engine) as session:
        yield TokenService(session)
    engine.dispose()


def test_created_token_is_stored_only_as_its_hash(svc: TokenService) -> None:
    info, text = svc.create("alice", " grafana ")
    assert info.name == "grafana" and text.startswith("gmt_") and len(text) == 47
    (row,) = svc.session.scalars(select(ApiToken)).all()
    assert row.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in (row.name, row.token_hash)
    assert svc.authenticate(text) == "alice"
    assert svc.authenticate(text, "alice") == "alice"


def test_last_used_is_written_at_most_once_a_minute(svc: TokenService) -> None:
    _, text = svc.create("alice", "t")
    svc.authenticate(text)
    first = svc.tokens("alice")[0].last_used
    assert first is not None
    svc.authenticate(text)
    assert svc.tokens("alice")[0].last_used == first
    svc.session.execute(update(ApiToken).values(last_used=first - timedelta(minutes=2)))
    svc.session.commit()
    svc.authenticate(text)
    assert svc.tokens("alice")[0].last_used > first - timedelta(minutes=1)  # type: ignore[operator]


def test_unknown_revoked_and_other_users_tokens_are_refused(svc: TokenService) -> None:
    _, text = svc.create("alice", "old")
    with pytest.raises(TokenError, match="unknown API token"):
        svc.authenticate(text + "x")
    with pytest.raises(TokenError, match="belongs to another user than 'bob'"):
        svc.authenticate(text, "bob")
    token_id = svc.tokens("alice")[0].id
    with pytest.raises(InvalidInput, match="bob has no token"):
        svc.revoke("bob", token_id)
    assert svc.revoke("alice", token_id).revoked is not None
    with pytest.raises(TokenError, match="API token 'old' was revoked on"):
        svc.authenticate(text)


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\there"])
def test_token_names_are_checked(svc: TokenService, name: str) -> None:
    with pytest.raises(InvalidInput, match="token name is 1-64 printable characters"):
        svc.create("alice", name)


def test_tokens_are_listed_newest_first_per_user(svc: TokenService) -> None:
    svc.create("alice", "one")
    svc.create("alice", "two")
    svc.create("bob", "other")
    assert [t.name for t in svc.tokens("alice")] == ["two", "one"]
