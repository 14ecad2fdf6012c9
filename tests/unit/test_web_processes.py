"""Settings for several web processes: a shared auth_secret and a shared database."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings, shared_database_problem, shared_secret_problem

PG = "postgresql+psycopg://graphs@db.internal/graphs"


def settings(tmp_path: Path, **values: object) -> WebSettings:
    return WebSettings(rrd_dir=tmp_path, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, None),
        ({"db_url": "sqlite:////var/lib/g.sqlite"}, None),
        ({"web_processes": 2}, "web_processes = 2: set auth_secret"),
        ({"db_url": PG}, "db_url is a shared postgresql database: set auth_secret"),
        ({"db_url": PG, "auth_secret": "s" * 32}, None),
        ({"web_processes": 3, "db_url": PG, "auth_secret": "s" * 32}, None),
    ],
)
def test_an_explicit_secret_is_needed_once_processes_share_users(
    tmp_path: Path, values: dict[str, object], problem: str | None
) -> None:
    found = shared_secret_problem(settings(tmp_path, **values))
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
        assert "the same in every web process" in found


def test_an_in_memory_database_cannot_be_shared(tmp_path: Path) -> None:
    assert shared_database_problem(settings(tmp_path, db_url="sqlite://")) is None
    found = shared_database_problem(settings(tmp_path, db_url="sqlite://", web_processes=2))
    assert found is not None and "in-memory database is private to each process" in found
    shared = settings(tmp_path, db_url=PG, web_processes=2)
    assert shared_database_problem(shared) is None


def test_a_bad_database_url_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="bad value for db_url"):
        shared_secret_problem(settings(tmp_path, db_url="not a url"))


def test_the_app_refuses_to_start_before_opening_the_database(tmp_path: Path) -> None:
    from graphmetrics.web import configure

    unreachable = "postgresql+psycopg://graphs@127.0.0.1:1/graphs"
    with pytest.raises(SettingsError, match="web_processes = 2: set auth_secret"):
        configure({"rrd_dir": str(tmp_path), "db_url": unreachable, "web_processes": "2"})


def test_pool_sizes_reach_the_engine() -> None:
    from graphmetrics.saved.db import Pool, make_engine

    engine = make_engine(PG, Pool(size=2, max_overflow=3, timeout=4.5))
    pool = engine.pool
    assert (pool.size(), pool.timeout()) == (2, 4.5)  # type: ignore[attr-defined]
    assert pool._max_overflow == 3  # type: ignore[attr-defined]
    assert pool._pre_ping
    engine.dispose()
