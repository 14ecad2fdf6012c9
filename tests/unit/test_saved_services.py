"""The saved-graph service on an in-memory SQLite database migrated by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.models import Base
from graphmetrics.saved.services import (
    GraphInput,
    InvalidInput,
    SavedGraphService,
    StaleGeneration,
    check_view,
    parse_graphs,
)

DEF: dict[str, Any] = {
    "title": "t",
    "series": [{"name": "a", "path": "tracelog/x__y__z", "ds": "rpm"}],
}


@pytest.fixture
def svc() -> Iterator[SavedGraphService]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    with Session(engine) as session:
        yield SavedGraphService(session)
    engine.dispose()


def test_migrations_match_the_models() -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine("sqlite://")
    upgrade(engine)
    upgrade(engine)  # idempotent on startup
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert set(inspect(engine).get_table_names()) >= {"users", "pages", "graphs"}


def test_sqlite_file_folder_is_created(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/a/b/saved.sqlite")
    upgrade(engine)
    assert (tmp_path / "a" / "b" / "saved.sqlite").exists()
    engine.dispose()


def test_default_page_first_then_creation_order(svc: SavedGraphService) -> None:
    svc.create_page("alice", "tracelog", "zeta")
    svc.create_page("alice", "tracelog", "alpha")
    svc.ensure_default_page("alice", "tracelog")
    svc.create_page("alice", "metrics", "m")
    assert [p.name for p in svc.pages("alice", "tracelog")] == ["default", "zeta", "alpha"]
    assert [p.name for p in svc.pages("alice", "metrics")] == ["m"]
    assert svc.users() == [("alice", 4)]


def test_save_bumps_generation_and_refuses_stale(svc: SavedGraphService) -> None:
    page = svc.ensure_default_page("alice", "tracelog")
    assert page.generation == 1
    page = svc.save_graphs(page, 1, [GraphInput(DEF, {"trail": 2}), GraphInput(DEF, {})])
    assert page.generation == 2
    first, second = (g.id for g in page.graphs)
    page = svc.save_graphs(page, 2, [GraphInput(DEF, {}, id=second)])
    assert [g.id for g in page.graphs] == [second]
    with pytest.raises(StaleGeneration) as info:
        svc.save_graphs(page, 2, [])
    assert info.value.current == 3
    assert [g.id for g in svc.page("alice", "tracelog", "default").graphs] == [second]  # type: ignore[union-attr]


def test_ids_from_other_pages_become_new_graphs(svc: SavedGraphService) -> None:
    mine = svc.save_graphs(svc.ensure_default_page("alice", "tracelog"), 1, [GraphInput(DEF, {})])
    theirs = svc.ensure_default_page("bob", "tracelog")
    foreign = mine.graphs[0].id
    theirs = svc.save_graphs(theirs, 1, [GraphInput(DEF, {}, id=foreign)])
    assert theirs.graphs[0].id != foreign
    assert svc.page("alice", "tracelog", "default").graphs[0].id == foreign  # type: ignore[union-attr]


def test_clone_page_and_graph(svc: SavedGraphService) -> None:
    source = svc.save_graphs(
        svc.ensure_default_page("alice", "tracelog"), 1, [GraphInput(DEF, {"trail": 1})]
    )
    copy = svc.clone_page(source, "bob", "from-alice")
    assert (copy.owner.name, copy.name, len(copy.graphs)) == ("bob", "from-alice", 1)
    with pytest.raises(InvalidInput, match="already has a page"):
        svc.clone_page(source, "bob", "from-alice")
    target = svc.ensure_default_page("bob", "tracelog")
    svc.clone_graph(source.graphs[0], target)
    svc.clone_graph(source.graphs[0], target)
    assert target.generation == 3
    assert [g.view for g in target.graphs] == [{"trail": 1}, {"trail": 1}]


def test_delete(svc: SavedGraphService) -> None:
    page = svc.create_page("alice", "tracelog", "tmp")
    with pytest.raises(StaleGeneration):
        svc.delete_page(page, 7)
    svc.delete_page(page, 1)
    assert svc.page("alice", "tracelog", "tmp") is None
    with pytest.raises(InvalidInput, match="default page"):
        svc.delete_page(svc.ensure_default_page("alice", "tracelog"), 1)


@pytest.mark.parametrize(
    ("name", "section"),
    [("../x", "tracelog"), ("", "tracelog"), ("ok", "other"), ("x" * 65, "tracelog")],
)
def test_bad_page_names_and_sections(svc: SavedGraphService, name: str, section: str) -> None:
    with pytest.raises(InvalidInput):
        svc.create_page("alice", section, name)


def test_bad_user_name(svc: SavedGraphService) -> None:
    with pytest.raises(InvalidInput, match="bad user name"):
        svc.ensure_user("a/b")


def test_view_and_graph_validation() -> None:
    assert check_view({"start": "-1d", "end": None}, "g") == {"start": "-1d"}
    assert check_view(None, "g") == {}
    for bad in ({"trail": True}, {"trail": 0}, {"start": 5}, {"start": "x" * 65}, {"zoom": 1}, []):
        with pytest.raises(InvalidInput):
            check_view(bad, "g")
    parsed = parse_graphs([{"definition": DEF, "view": {"trail": 1.5}, "id": 4}])
    assert parsed == [GraphInput(DEF, {"trail": 1.5}, 4)]
    with pytest.raises(InvalidInput, match=r"graphs\[0\].id"):
        parse_graphs([{"definition": DEF, "id": True}])
