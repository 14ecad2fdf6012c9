"""``/series``, the dashboard menu and Graphite's ``/metrics/find`` over fake services."""

from __future__ import annotations

import json
from typing import Any

from pyramid.config import Configurator
from zope.interface import implementer
from zope.interface.verify import verifyObject

from graphmetrics.rrd.files import StorageUnavailable
from graphmetrics.web import tracelog
from graphmetrics.web.graphite.tree import Node
from graphmetrics.web.graphite.views import find_view
from graphmetrics.web.interfaces import IGraphiteFinder, ISeriesIndex
from graphmetrics.web.series_index import SearchError
from graphmetrics.web.services import LocalSeries
from graphmetrics.web.views.api import tracelog_menu, variable_values
from graphmetrics.web.views.series import series_view
from graphmetrics.web.views.storage import storage_error
from tests.unit.web.conftest import make_request


@implementer(ISeriesIndex)
class FakeIndex:
    def __init__(self, names: list[str], error: Exception | None = None) -> None:
        self.names = names
        self.error = error
        self.asked: list[tuple[str, int]] = []
        self.matched: list[str] = []

    def search(self, query: str, page: int = 1) -> dict[str, Any]:
        self.asked.append((query, page))
        if self.error:
            raise self.error
        return {"total": len(self.names), "series": self.names}

    def matching(self, query: str) -> list[str]:
        self.matched.append(query)
        return self.names

    def tracelog_instances(self) -> list[tracelog.Instance]:
        if self.error:
            raise self.error
        found = [tracelog.parse_stem(n.split("/", 1)[1]) for n in self.names]
        return sorted(i for i in found if i is not None)


@implementer(IGraphiteFinder)
class FakeFinder:
    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes

    def find(self, pattern: str) -> list[Node]:
        return [n for n in self.nodes if n.path.startswith(pattern.rstrip("*"))]

    def fetch(
        self, pattern: str, start: int, end: int, now: int, xff: float = 0.0, budget: object = None
    ) -> list:
        return []

    def intervals(self, leaves: list[Node]) -> dict[str, list[dict[str, float]]]:
        return {n.path: [] for n in leaves}


def test_fakes_and_real_index_provide_the_interfaces(config: Configurator) -> None:
    verifyObject(ISeriesIndex, FakeIndex([]))
    verifyObject(IGraphiteFinder, FakeFinder([]))
    verifyObject(ISeriesIndex, LocalSeries(config.registry.settings["graphmetrics"]))


def test_series_search_asks_the_index(config: Configurator) -> None:
    index = FakeIndex(["tracelog/h__c__i"])
    config.register_service(index, ISeriesIndex)
    request = make_request(config, "/series?q=acme&page=2")
    assert series_view(request) == {"total": 1, "series": ["tracelog/h__c__i"]}
    assert index.asked == [("acme", 2)]
    assert request.response.headers["Cache-Control"] == "private, no-cache"


def test_series_search_errors_name_the_parameter(config: Configurator) -> None:
    config.register_service(FakeIndex([], SearchError("q", "bad regex")), ISeriesIndex)
    request = make_request(config, "/series?q=(")
    assert series_view(request) == {"error": "q: bad regex", "param": "q"}
    assert request.response.status_int == 400
    request = make_request(config, "/series?page=x")
    assert series_view(request)["param"] == "page"


def test_the_menu_lists_the_index_instances(config: Configurator) -> None:
    names = ["tracelog/app1__acme__inst1", "tracelog/app2__beta__inst9"]
    config.register_service(FakeIndex(names), ISeriesIndex)
    menu = tracelog_menu(make_request(config, "/api/tracelog/menu"))
    assert [item["name"] for item in menu["items"]] == ["acme", "beta"]


def test_variable_values_read_the_index_names(config: Configurator) -> None:
    # the fake answers every name to any query: the view keeps those of the pattern
    names = ["metrics/prod/web/cpu", "metrics/prod/db/cpu", "metrics/dev/web/cpu", "tracelog/x"]
    index = FakeIndex(names)
    config.register_service(index, ISeriesIndex)
    url = "/api/variables/values?pattern=metrics/$env/$service/*&name=service&var-env=prod"
    request = make_request(config, url)
    assert variable_values(request) == {"values": ["db", "web"], "truncated": False}
    assert index.matched == ["glob:metrics/*/*/*"]
    assert request.response.headers["Cache-Control"] == "private, no-cache"


def test_a_storage_node_down_is_a_503(config: Configurator) -> None:
    error = StorageUnavailable("the storage node cannot be read")
    res = storage_error(error, make_request(config, "/api/tracelog/menu"))
    assert res.status_int == 503
    assert json.loads(res.body) == {"error": "the storage node cannot be read"}


def test_graphite_find_asks_the_finder(config: Configurator) -> None:
    nodes = [Node("metrics", False), Node("metrics.db1.load", True, "metrics/db1/load", "v")]
    config.register_service(FakeFinder(nodes), IGraphiteFinder)
    res = find_view(make_request(config, "/graphite/metrics/find?query=metrics.db1.*"))
    assert json.loads(res.body) == [
        {"text": "load", "id": "metrics.db1.load", "allowChildren": 0, "expandable": 0, "leaf": 1}
    ]
