"""``graphmetrics-web --config etc/development.ini [--host H] [--port P]``: serve the app.

The ini file is a paste deploy file (``[app:main]``, ``[server:main]``, logging
sections), the same one ``pserve`` reads; ``--host``/``--port`` override the
``listen`` address of ``[server:main]``.  Request bodies are limited to
``max_request_body_size`` of ``[server:main]`` (4 MiB when not set).

``graphmetrics-web signout USER --config FILE`` signs a user out everywhere: every
sign-in ticket issued to USER so far is refused (by the running app within its
``auth_recheck`` seconds).

``graphmetrics-web import-original --zodb Data.fs --config FILE [--dry-run]`` moves the
original graphmetrics' saved pages (see :mod:`graphmetrics.cli.web_import`).
"""

from __future__ import annotations

import argparse
import configparser
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pyramid.paster import get_app, get_appsettings, setup_logging
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from graphmetrics import settings as gm_settings
from graphmetrics.cli.web_config import web_settings
from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.services import SavedGraphService
from graphmetrics.settings import SettingsError
from graphmetrics.signals import on_signals
from graphmetrics.web.config import WebSettings
from graphmetrics.web.serving import create_server

DEFAULT_LISTEN = "127.0.0.1:6543"
# waitress refuses (413) a request body bigger than this unless [server:main] says
# otherwise; waitress's own default, 1 GB, lets one request take the memory
DEFAULT_MAX_BODY = 4 * 1024 * 1024


def server_options(path: Path) -> dict[str, str]:
    """The ``[server:main]`` options for waitress (without paste's ``use``)."""
    parser = configparser.ConfigParser(defaults={"here": str(path.resolve().parent)})
    parser.read(path, encoding="utf-8")
    if not parser.has_section("server:main"):
        return {}
    return {k: v for k, v in parser.items("server:main") if k not in ("use", "here")}


def listen_address(options: dict[str, str], host: str | None, port: int | None) -> str:
    default_host, _, default_port = options.get("listen", DEFAULT_LISTEN).partition(":")
    if "host" in options:
        default_host = options["host"]
    if "port" in options:
        default_port = options["port"]
    return f"{host or default_host}:{port or default_port}"


def database_error(config: Path, exc: DBAPIError) -> str:
    """What went wrong opening the saved-graph database, naming the setting to fix."""
    try:
        web = gm_settings.from_mapping(WebSettings, get_appsettings(str(config), name="main"))
        where = make_url(web.db_url).render_as_string(hide_password=True)
    except Exception:  # the message stays useful without the URL
        where = "db_url"
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return (
        f"cannot open the saved-graph database {where} (db_url in {config} or "
        f"GRAPHMETRICS_DB_URL): {reason}"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphmetrics-web",
        description="Serve the graphmetrics web app (tracelog dashboards, /metrics, /render) "
        "with waitress.",
        epilog="Settings come from [app:main] of the ini file; GRAPHMETRICS_<OPTION> "
        "environment variables (GRAPHMETRICS_RRD_DIR, GRAPHMETRICS_DB_URL, ...) win over it. "
        "API tokens: graphmetrics-web token create|list|revoke USER --config FILE; "
        "'graphmetrics-web signout USER --config FILE' signs a user out everywhere; "
        "'graphmetrics-web import-original --zodb Data.fs --config FILE' imports the "
        "original graphmetrics' saved pages; "
        "'graphmetrics-web identity list|bind' shows or sets which provider identity "
        "(issuer, subject) each account is.",
    )
    parser.add_argument(
        "--config", required=True, metavar="FILE", help="paste ini file, e.g. etc/development.ini"
    )
    parser.add_argument("--host", help="address to listen on (default: from [server:main])")
    parser.add_argument("--port", type=int, help="port to listen on (default: from [server:main])")
    return parser


def make_signout_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphmetrics-web signout",
        description="Sign a user out everywhere: every sign-in ticket issued to the user "
        "so far is refused (the running app notices within auth_recheck seconds).",
    )
    parser.add_argument("user", help="the user name")
    parser.add_argument(
        "--config", required=True, metavar="FILE", help="paste ini file, e.g. etc/production.ini"
    )
    return parser


def signout(argv: Sequence[str]) -> int:
    parser = make_signout_parser()
    args = parser.parse_args(argv)
    web = web_settings(parser, args.config)
    engine = make_engine(web.db_url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            generation = SavedGraphService(session).end_sign_ins(args.user)
    finally:
        engine.dispose()
    if generation is None:
        print(f"there is no user {args.user!r} in {web.db_url}", file=sys.stderr)
        return 1
    print(f"signed {args.user} out everywhere", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["token"]:  # graphmetrics-web token create|list|revoke USER --config FILE
        from graphmetrics.cli.web_tokens import main as token_main

        return token_main(argv[1:])
    if argv[:1] == ["identity"]:  # graphmetrics-web identity list|bind ... --config FILE
        from graphmetrics.cli.web_identity import main as identity_main

        return identity_main(argv[1:])
    if argv[:1] == ["signout"]:
        return signout(argv[1:])
    if argv[:1] == ["import-original"]:  # the original graphmetrics' saved pages
        from graphmetrics.cli.web_import import main as import_main

        return import_main(argv[1:])
    parser = make_parser()
    args = parser.parse_args(argv)
    config = Path(args.config)
    if not config.is_file():
        parser.error(f"config file not found: {config}")
    try:
        setup_logging(str(config))
    except (KeyError, configparser.Error):
        logging.basicConfig(level=logging.INFO)
    try:
        app = get_app(str(config), "main")
    except SettingsError as exc:
        parser.error(f"{config}: {exc}")
    except DBAPIError as exc:  # the database is unreachable, refuses us, or has no such db
        print(f"graphmetrics-web: {database_error(config, exc)}", file=sys.stderr)
        return 1
    options = server_options(config)
    options.pop("host", None)
    options.pop("port", None)
    options["listen"] = listen_address(options, args.host, args.port)
    options.setdefault("max_request_body_size", str(DEFAULT_MAX_BODY))
    server = create_server(app, **options)
    print(f"graphmetrics web app on http://{options['listen']}/", file=sys.stderr, flush=True)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)  # SIGINT too: the same clean exit

    # SIGTERM (supervisord's stop) ends the server like Ctrl-C: a clean exit 0
    on_signals(on_term)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
