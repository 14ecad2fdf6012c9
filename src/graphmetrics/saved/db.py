"""The saved-graph database: engine, schema upgrade on startup, one session per request.

SQLite (one process, the default) or PostgreSQL through psycopg 3 (several web
processes behind a load balancer).  On PostgreSQL the schema upgrade holds an
advisory lock, so processes started together upgrade it once: Alembic itself does
not guard against two concurrent upgrades.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

MIGRATIONS = str(Path(__file__).with_name("migrations"))
# The advisory lock key taken while migrating: "graphmet" in ASCII, one bigint.
MIGRATION_LOCK = int.from_bytes(b"graphmet", "big")


@dataclass(frozen=True)
class Pool:
    """Connection pool sizes (PostgreSQL; SQLite ignores them)."""

    size: int = 5
    max_overflow: int = 10
    timeout: float = 30.0


def make_engine(url: str, pool: Pool | None = None) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, foreign keys enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 15})
        else:  # one shared in-memory database, not one per connection
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    pool = pool or Pool()
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout,
    )


def alembic_config(url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def lock_for_migrations(connection: Connection) -> None:
    """On PostgreSQL, wait for the migration lock (held until the transaction ends).

    The process that gets it first upgrades the schema; the others then find it up
    to date.  Other databases are left alone (SQLite serialises writers itself).
    """
    if connection.dialect.name != "postgresql":
        return
    key = {"key": MIGRATION_LOCK}
    if not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), key).scalar():
        log.info("another process is upgrading the saved-graph database: waiting for it")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creates it on an empty database).

    One transaction: on PostgreSQL the DDL and the advisory lock end together.
    """
    cfg = alembic_config()
    with engine.begin() as connection:
        lock_for_migrations(connection)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    log.info("saved-graph database at %s is up to date", engine.url.render_as_string())
