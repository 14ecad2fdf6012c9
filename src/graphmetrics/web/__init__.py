"""The Pyramid application: ``main`` builds it, each feature enters with ``config.include``."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.router import Router

from graphmetrics import settings as gm_settings
from graphmetrics.web.config import WebSettings


def configure(settings: dict[str, Any] | None = None) -> Configurator:
    """The configurator with every feature included; tests call this directly."""
    settings = dict(settings or {})
    web_settings = gm_settings.from_mapping(WebSettings, settings)
    settings["graphmetrics"] = web_settings
    config = Configurator(settings=settings)
    config.include("pyramid_jinja2")
    config.include(".routes")
    config.scan(".views")
    return config


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """The paste app factory (``pserve etc/development.ini``)."""
    return configure(settings).make_wsgi_app()
