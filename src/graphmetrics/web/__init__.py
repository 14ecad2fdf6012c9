"""The Pyramid application: ``main`` builds it, each feature enters with ``config.include``."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender
from pyramid.interfaces import IRequestExtensions
from pyramid.request import Request
from pyramid.router import Router

from graphmetrics import settings as gm_settings
from graphmetrics.web.config import WebSettings

# ini spellings accepted besides the plain option names
ALIASES = {"auth.dev_login": "dev_login", "auth.secret": "auth_secret"}


def _normalise(settings: dict[str, Any]) -> dict[str, Any]:
    for alias, name in ALIASES.items():
        if alias in settings and name not in settings:
            settings[name] = settings[alias]
    return settings


def _template_globals(event: BeforeRender) -> None:
    request = event.get("request")
    if request is None:
        return
    web: WebSettings = request.registry.settings["graphmetrics"]

    def asset(path: str) -> str:
        return str(request.static_path(str(web.static_dir.resolve() / path)))

    event.setdefault("me", request.authenticated_userid)
    event.setdefault("csrf_token", get_csrf_token(request))
    event.setdefault("asset", asset)


def configure(settings: dict[str, Any] | None = None) -> Configurator:
    """The configurator with every feature included; tests call this directly."""
    settings = _normalise(dict(settings or {}))
    web_settings = gm_settings.from_mapping(WebSettings, settings)
    settings["graphmetrics"] = web_settings
    config = Configurator(settings=settings)
    config.include("pyramid_jinja2")
    config.add_jinja2_search_path(str(web_settings.templates_dir.resolve()), name=".jinja2")
    config.add_subscriber(_template_globals, BeforeRender)
    config.include(".security")
    config.include("graphmetrics.saved")
    config.include(".routes")
    config.scan(".views")
    _extensions_on_request_class(config)
    return config


def _extensions_on_request_class(config: Configurator) -> None:
    """Put the ``add_request_method`` extensions on one Request subclass, made once.

    Pyramid otherwise attaches them to every request, building a new subclass per
    request for the properties (``dbsession``, ``services``): a measurable share of
    a ``/render`` request around rrdtool.  Same attributes, same behaviour.
    """
    config.commit()
    extensions = config.registry.queryUtility(IRequestExtensions)
    if extensions is None or not (extensions.descriptors or extensions.methods):
        return
    attrs = {"__module__": __name__, **extensions.methods, **extensions.descriptors}
    config.set_request_factory(type("Request", (Request,), attrs))
    extensions.descriptors = {}
    extensions.methods = {}
    config.commit()


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """The paste app factory (``pserve etc/development.ini``)."""
    return configure(settings).make_wsgi_app()
