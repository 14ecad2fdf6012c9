"""Views of saved graphs over a fake :class:`ISavedGraphs`, and every real service
providing its interface."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from zope.interface import Interface, implementer
from zope.interface.verify import verifyClass

from graphmetrics.saved.interfaces import ISavedGraphs
from graphmetrics.saved.services import SavedGraphService
from graphmetrics.web.graphite.reader import Reader
from graphmetrics.web.interfaces import IGraphiteFinder, IOIDCProvider, IRRDReader, ISeriesIndex
from graphmetrics.web.oidc.provider import Provider
from graphmetrics.web.reader import LocalReader
from graphmetrics.web.remote import ListedSeries, RRDCachedReader
from graphmetrics.web.services import LocalSeries
from graphmetrics.web.views.api import users
from tests.unit.web.conftest import make_request


@pytest.mark.parametrize(
    ("iface", "cls"),
    [
        (ISavedGraphs, SavedGraphService),
        (IRRDReader, LocalReader),
        (IRRDReader, RRDCachedReader),
        (ISeriesIndex, LocalSeries),
        (ISeriesIndex, ListedSeries),
        (IGraphiteFinder, Reader),
        (IOIDCProvider, Provider),
    ],
)
def test_every_service_provides_its_interface(iface: type[Interface], cls: type) -> None:
    assert verifyClass(iface, cls)


@implementer(ISavedGraphs)
class FakeSaved:
    """Only what the users view asks."""

    def users(self) -> list[tuple[str, int]]:
        return [("alice", 2), ("bob", 1)]


def test_the_users_view_lists_the_service_users(config: Configurator) -> None:
    config.register_service(FakeSaved(), ISavedGraphs)
    config.add_route("dashboard", "/{user}/{page}/")
    answer = users(make_request(config, "/api/users"))
    assert answer == {
        "users": [
            {"name": "alice", "pages": 2, "url": "http://localhost/alice/default/"},
            {"name": "bob", "pages": 1, "url": "http://localhost/bob/default/"},
        ]
    }
