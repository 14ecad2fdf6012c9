"""Views called directly on a real request, with fake services registered by interface."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyramid import testing
from pyramid.config import Configurator
from pyramid.request import Request, apply_request_extensions

from graphmetrics import settings as gm_settings
from graphmetrics.web.config import WebSettings


@pytest.fixture
def config() -> Iterator[Configurator]:
    web = gm_settings.from_mapping(WebSettings, {"rrd_dir": "/nonexistent"}, environ={})
    with testing.testConfig(settings={"graphmetrics": web}) as config:
        config.include("pyramid_services")
        yield config


def make_request(config: Configurator, path: str = "/", **kwargs: Any) -> Request:
    """A real WebOb request for ``path`` whose ``find_service`` sees ``config``'s fakes."""
    config.commit()
    request = Request.blank(path, **kwargs)
    request.registry = config.registry
    apply_request_extensions(request)
    return request
