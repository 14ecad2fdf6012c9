"""Small helpers shared by the test folders: waiting with a deadline, free ports, a
saved-graph database at an older migration."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine

from graphmetrics.saved.db import alembic_config, make_engine

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def wait_for(
    check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(interval)


def sign_out(app: Any) -> Any:
    """Sign out as a person does: the sign-out page's form, POSTed with its CSRF token."""
    page = app.get("/logout", status=200)
    return page.forms["logout-form"].submit(status=302)


def database_at(path: Path, revision: str) -> tuple[Engine, AlembicConfig]:
    """A SQLite saved-graph database at ``path`` migrated up to ``revision`` only (to
    test the migrations after it), and the Alembic config to move it further."""
    engine = make_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    migrate(engine, cfg, revision)
    return engine, cfg


def migrate(engine: Engine, cfg: AlembicConfig, revision: str, *, down: bool = False) -> None:
    """Run ``cfg``'s migrations up (or down) to ``revision`` on ``engine``."""
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)
