"""Alembic environment: the app passes its connection (already holding the migration
lock on PostgreSQL); the CLI uses ``sqlalchemy.url`` and takes the lock here."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from graphmetrics.saved.db import lock_for_migrations
from graphmetrics.saved.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return os.environ.get("GRAPHMETRICS_DB_URL") or config.get_main_option("sqlalchemy.url") or ""


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            lock_for_migrations(conn)
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
