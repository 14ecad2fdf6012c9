"""The web app's settings for the ``graphmetrics-web`` subcommands that work on its
database without serving (``signout``, ``token``, ``identity``, ``import-original``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pyramid.paster import get_appsettings

from graphmetrics import settings as gm_settings
from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings


def web_settings(parser: argparse.ArgumentParser, config_path: str) -> WebSettings:
    """``[app:main]`` of ``config_path`` as :class:`WebSettings`; a missing file or a
    bad setting is the parser's one-line error (exit 2)."""
    config = Path(config_path)
    if not config.is_file():
        parser.error(f"config file not found: {config}")
    try:
        return gm_settings.from_mapping(WebSettings, dict(get_appsettings(str(config), "main")))
    except SettingsError as exc:
        parser.error(f"{config}: {exc}")
