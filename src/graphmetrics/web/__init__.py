"""The Pyramid application: ``main`` builds it, each feature enters with ``config.include``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.interfaces import IRendererFactory, IRequestExtensions
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


def _template_globals(system: dict[str, Any]) -> None:
    """``me``, ``csrf_token`` and ``asset()`` for every template."""
    request = system.get("request")
    if request is None:
        return
    web: WebSettings = request.registry.settings["graphmetrics"]

    def asset(path: str) -> str:
        return str(request.static_path(str(web.static_dir.resolve() / path)))

    system.setdefault("me", request.authenticated_userid)
    system.setdefault("csrf_token", get_csrf_token(request))
    system.setdefault("asset", asset)


class _WithTemplateGlobals:
    """The Jinja2 renderer factory, with :func:`_template_globals` added to each render.

    A ``BeforeRender`` subscriber would do the same, but Pyramid sends every request
    through its event machinery (NewRequest, ContextFound, NewResponse) as soon as
    any subscriber exists: measurable on ``/render``, which renders no template.
    """

    def __init__(self, factory: Any) -> None:
        self.factory = factory

    def __call__(self, info: Any) -> Callable[[Any, dict[str, Any]], str]:
        renderer = self.factory(info)

        def render(value: Any, system: dict[str, Any]) -> str:
            _template_globals(system)
            return str(renderer(value, system))

        return render


def configure(settings: dict[str, Any] | None = None) -> Configurator:
    """The configurator with every feature included; tests call this directly."""
    settings = _normalise(dict(settings or {}))
    web_settings = gm_settings.from_mapping(WebSettings, settings)
    settings["graphmetrics"] = web_settings
    config = Configurator(settings=settings)
    config.include("pyramid_jinja2")
    config.add_jinja2_search_path(str(web_settings.templates_dir.resolve()), name=".jinja2")
    config.include(".proxies")
    config.include(".security")
    config.include(".headers")
    config.include(".oidc")
    config.include("graphmetrics.saved")
    config.include(".health")
    config.include(".services")
    config.include(".routes")
    config.scan(".views")
    config.scan(".graphite.views")
    # the steps below rework what the includes registered, so those go in first
    config.commit()
    _template_globals_in_renderer(config)
    _extensions_on_request_class(config)
    return config


def _template_globals_in_renderer(config: Configurator) -> None:
    jinja2 = config.registry.getUtility(IRendererFactory, name=".jinja2")
    config.add_renderer(".jinja2", _WithTemplateGlobals(jinja2))
    config.commit()


def _extensions_on_request_class(config: Configurator) -> None:
    """Put the ``add_request_method`` extensions on one Request subclass, made once.

    Pyramid otherwise attaches them to every request, building a new subclass per
    request for the properties (``dbsession``, ``services``): a measurable share of
    a ``/render`` request around rrdtool.  Same attributes, same behaviour.
    """
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
