"""``graphmetrics-web import-original --zodb Data.fs --config FILE [--dry-run] [--replace]``.

Moves the original graphmetrics' saved charts (its ZODB, opened read only) into the
saved-graph database named by the ini file's ``db_url`` (``GRAPHMETRICS_DB_URL``
wins), upgrading its schema first like the app does; a dry run neither upgrades nor
writes.  Prints one line per page (created, filled, replaced, unchanged), each chart
that could not be moved with the reason, notes about what was adjusted, and a
summary.  Exit 0 when the run finished (skipped charts are reported, not fatal),
1 when the ZODB or the database could not be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from graphmetrics.cli.web_config import web_settings
from graphmetrics.saved.db import alembic_config, make_engine, upgrade
from graphmetrics.saved.services import Limits, SavedGraphService


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphmetrics-web import-original",
        description="Import the original graphmetrics' saved metrics pages (its ZODB "
        "Data.fs, read only) as /metrics pages of the same users.",
        epilog="Users are matched by name: an account of the same name (the Persona "
        "e-mail), else the account named as the e-mail's local part, else a new account "
        "named by the e-mail. Running it again changes nothing.",
    )
    parser.add_argument("--zodb", required=True, metavar="Data.fs", help="the original's ZODB")
    parser.add_argument("--config", required=True, metavar="FILE", help="the web app's ini file")
    parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="overwrite pages of the same name holding other graphs",
    )
    return parser


def database_exists(url: str) -> bool:
    """False for a SQLite file not there yet (opening it would create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).is_file()


def schema_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def main(argv: Sequence[str]) -> int:
    from graphmetrics.cutover import importer, zodb  # ZODB is the 'original' extra

    parser = make_parser()
    args = parser.parse_args(argv)
    web = web_settings(parser, args.config)
    limits = Limits(web.max_pages_per_user, web.max_page_bytes)
    rrd_dir = Path(web.rrd_dir) if Path(web.rrd_dir).is_dir() else None
    # a dry run does not even create the SQLite file
    fresh = args.dry_run and not database_exists(web.db_url)
    engine = None if fresh else make_engine(web.db_url)
    try:
        with zodb.opened(Path(args.zodb)) as root:
            charts = zodb.charts(root)
            if engine is None or (args.dry_run and not schema_current(engine)):
                print("the saved-graph database is not created or upgraded yet: "
                      "planned as if empty", file=sys.stderr)  # fmt: skip
                report = importer.run(None, charts, dry_run=True, rrd_dir=rrd_dir)
            else:
                if not args.dry_run:
                    upgrade(engine)
                with Session(engine) as session:
                    report = importer.run(
                        SavedGraphService(session, limits),
                        charts,
                        dry_run=args.dry_run,
                        replace=args.replace,
                        rrd_dir=rrd_dir,
                    )
    except zodb.OriginalError as exc:
        print(f"graphmetrics-web import-original: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(f"graphmetrics-web import-original: database: {exc.orig or exc}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    for line in report.lines():
        print(line)
    return 0
