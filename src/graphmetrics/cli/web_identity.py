"""``graphmetrics-web identity list|bind``: which provider identity each account is.

An account signed in through OpenID Connect is the ID token's issuer + subject.
Accounts made before that (schema revision 0004) have none, and no sign-in takes
one over by its name: the operator binds each to its person, e.g. from the
provider's user export, with ``identity bind USER ISSUER SUBJECT``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from graphmetrics.cli.web_config import web_settings
from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.models import User
from graphmetrics.saved.services import InvalidInput, SavedGraphService

PROG = "graphmetrics-web identity"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="List the accounts with the provider identity (issuer, subject) each "
        "is bound to, or bind an account to one: its next OpenID Connect sign-in with "
        "that issuer and subject lands in it.",
    )
    parser.add_argument("action", choices=("list", "bind"))
    parser.add_argument("user", nargs="?", help="the account's name (bind)")
    parser.add_argument("issuer", nargs="?", help="the ID token's iss, e.g. the oidc_issuer")
    parser.add_argument("subject", nargs="?", help="the ID token's sub for this person")
    parser.add_argument("--config", required=True, metavar="FILE", help="the web app's ini file")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.action == "bind" and not (args.user and args.issuer and args.subject):
        parser.error("bind needs USER ISSUER SUBJECT")
    web = web_settings(parser, args.config)
    engine = make_engine(web.db_url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            if args.action == "list":
                print("user\tissuer\tsubject")
                for user in session.scalars(select(User).order_by(User.name)):
                    print(f"{user.name}\t{user.oidc_issuer or '-'}\t{user.oidc_subject or '-'}")
                return 0
            try:
                user = SavedGraphService(session).bind_identity(
                    args.user, args.issuer, args.subject
                )
            except InvalidInput as exc:
                print(f"{PROG}: {exc}", file=sys.stderr)
                return 1
            print(f"{user.name} is now {args.issuer} {args.subject}", file=sys.stderr)
            return 0
    finally:
        engine.dispose()
