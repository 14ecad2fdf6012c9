"""Every URL of the app, in one place; views refer to routes by name."""

from __future__ import annotations

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_static_view("static", "graphmetrics:../../static", cache_max_age=3600)
    config.add_route("render", "/render")
    config.add_route("series", "/series")
