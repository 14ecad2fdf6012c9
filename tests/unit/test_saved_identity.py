"""Schema 0004 and the account rules: identity key, names unique whatever the case,
reserved names, the page limit under concurrent creations (a real SQLite file)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.models import Page
from graphmetrics.saved.services import InvalidInput, Limits, SavedGraphService
from graphmetrics.saved.tokens import TokenService
from tests.helpers import database_at


def test_0004_keeps_every_row_and_renames_case_duplicates(tmp_path: Path) -> None:
    engine, _ = database_at(tmp_path / "old.sqlite", "0003_user_sign_in_generation")
    with engine.begin() as db:
        for user_id, name in ((1, "alice"), (2, "ALICE"), (3, "Alice"), (4, "bob")):
            db.execute(
                text("INSERT INTO users (id, name, created) VALUES (:i, :n, '2026-01-01')"),
                {"i": user_id, "n": name},
            )
            db.execute(
                text(
                    "INSERT INTO pages (user_id, section, name, position, generation, updated)"
                    " VALUES (:i, 'tracelog', 'default', 0, 1, '2026-01-01')"
                ),
                {"i": user_id},
            )
        db.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created)"
                " VALUES (4, 'cron', 'h', '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.connect() as db:
        names = db.execute(text("SELECT id, name FROM users ORDER BY id")).all()
        assert names == [(1, "alice"), (2, "ALICE-2"), (3, "Alice-3"), (4, "bob")]
        assert db.execute(text("SELECT count(*) FROM pages")).scalar() == 4
        assert db.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1
    with Session(engine) as session:
        svc = SavedGraphService(session)
        assert svc.ensure_user("BOB").id == 4
        svc.bind_identity("bob", "https://sso", "s1")
        with pytest.raises(InvalidInput, match="already the account 'bob'"):
            svc.bind_identity("alice", "https://sso", "s1")
    engine.dispose()


def test_identity_names_are_made_unique(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    upgrade(engine)
    with Session(engine) as session:
        svc = SavedGraphService(session)
        assert svc.ensure_user("alice").name == "alice"
        assert svc.ensure_identity("https://sso", "1", "Alice").name == "Alice-2"
        assert svc.ensure_identity("https://sso", "2", "alice").name == "alice-3"
        assert svc.ensure_identity("https://other", "1", "ALICE").name == "ALICE-4"
        assert svc.ensure_identity("https://sso", "1", "whatever").name == "Alice-2"
        long = "x" * 64
        assert svc.ensure_identity("https://sso", "3", long).name == long
        assert svc.ensure_identity("https://sso", "4", long).name == "x" * 62 + "-2"
    engine.dispose()


@pytest.mark.parametrize("name", ["api", "Login", "TOKENS"])
def test_reserved_names_are_refused_for_tokens_and_accounts(tmp_path: Path, name: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    upgrade(engine)
    with Session(engine) as session:
        with pytest.raises(InvalidInput, match="is reserved"):
            TokenService(session).create(name, "cron")
        with pytest.raises(InvalidInput, match="is reserved"):
            SavedGraphService(session).ensure_user(name)
    engine.dispose()


def test_concurrent_creations_never_pass_the_page_limit(tmp_path: Path) -> None:
    """20 creations at once with 190 pages and a limit of 200 end at 200 (were 207)."""
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    upgrade(engine)
    limits = Limits(pages_per_user=200)
    with Session(engine) as session:
        owner = SavedGraphService(session, limits).ensure_user("alice")
        session.add_all(Page(owner=owner, section="metrics", name=f"p{i}") for i in range(190))
        session.commit()
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def create(i: int) -> None:
        with Session(engine) as session:
            svc = SavedGraphService(session, limits)
            start.wait()
            try:
                svc.create_page("alice", "tracelog", f"new{i}")
                outcomes.append("created")
            except InvalidInput as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(engine) as session:
        assert session.scalar(select(func.count(Page.id))) == 200
    assert outcomes.count("created") == 10
    assert all("the most allowed here" in o for o in outcomes if o != "created")
    engine.dispose()
