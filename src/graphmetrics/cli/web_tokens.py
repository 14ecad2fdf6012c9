"""``graphmetrics-web token create|list|revoke USER --config FILE``: API tokens for operators.

Works on the database named by the ini file's ``db_url`` (``GRAPHMETRICS_DB_URL``
wins), upgrading its schema first like the app does.  ``create`` prints the token
once on stdout (only its hash is stored); ``list`` prints id, name, created,
last used and revoked; ``revoke`` takes the token id from ``list``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.orm import Session

from graphmetrics.cli.web_config import web_settings
from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.services import InvalidInput
from graphmetrics.saved.tokens import TokenService


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphmetrics-web token",
        description="Create, list or revoke a user's API tokens (Bearer or Basic auth on "
        "/render, /series and /graphite/).",
    )
    parser.add_argument("action", choices=("create", "list", "revoke"))
    parser.add_argument("user", help="the user the token belongs to")
    parser.add_argument("--config", required=True, metavar="FILE", help="the web app's ini file")
    parser.add_argument("--name", default="cli", help="name of a new token (create)")
    parser.add_argument("--id", type=int, dest="token_id", help="token id to revoke (see list)")
    return parser


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"  # type: ignore[attr-defined]


def main(argv: Sequence[str]) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    web = web_settings(parser, args.config)
    engine = make_engine(web.db_url)
    upgrade(engine)
    with Session(engine) as session:
        service = TokenService(session)
        try:
            if args.action == "create":
                info, text = service.create(args.user, args.name)
                print(f"created token {info.id} {info.name!r} for {args.user}:", file=sys.stderr)
                print(text)
            elif args.action == "list":
                print("id\tname\tcreated\tlast_used\trevoked")
                for t in service.tokens(args.user):
                    print(
                        f"{t.id}\t{t.name}\t{_when(t.created)}\t{_when(t.last_used)}\t{_when(t.revoked)}"
                    )
            else:
                if args.token_id is None:
                    parser.error("revoke needs --id (see: token list USER)")
                info = service.revoke(args.user, args.token_id)
                print(f"revoked token {info.id} {info.name!r} of {args.user}", file=sys.stderr)
        except InvalidInput as exc:
            print(f"graphmetrics-web token: {exc}", file=sys.stderr)
            return 1
    engine.dispose()
    return 0
