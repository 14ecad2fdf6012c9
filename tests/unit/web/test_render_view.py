"""``/render``'s view over a fake :class:`IRRDReader`: parse, prepare, 304, draw, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from pyramid.config import Configurator
from zope.interface import implementer
from zope.interface.verify import verifyObject

from graphmetrics.render import graph
from graphmetrics.render.renderpool import RenderBusy, RenderTimeout, RenderTooLarge
from graphmetrics.rrd import files
from graphmetrics.web.interfaces import IRRDReader
from graphmetrics.web.reader import LocalReader, Prepared
from graphmetrics.web.views.render import render_view
from tests.unit.web.conftest import make_request

QUERY = "/render?series=tracelog/a__b__c:rpm&format=json&start=1700000000&end=1700003600"


@implementer(IRRDReader)
@dataclass
class FakeReader:
    """Prepares with a fixed ETag; fails the way it is told to."""

    backend: str = "fake"
    prepare_error: Exception | None = None
    draw_error: Exception | None = None
    drawn: list[Prepared] = field(default_factory=list)

    def prepare(self, req: graph.RenderRequest) -> Prepared:
        if self.prepare_error:
            raise self.prepare_error
        return Prepared(req, {}, ["args"], '"etag1"')

    def draw(self, prepared: Prepared, user: str = "") -> graph.Rendered:
        if self.draw_error:
            raise self.draw_error
        self.drawn.append(prepared)
        return graph.Rendered(b'{"ok": 1}', "application/json", (("X-Graph-Left", "5"),))

    def fetch(self, series: object, start: int, end: int, before: object = None) -> dict:
        return {}

    def resolve(self, series: object) -> object:
        raise NotImplementedError

    def series_names(self) -> list[str]:
        return []

    def data_sources(self, rel: str) -> tuple[str, ...]:
        return ()

    def check(self) -> str | None:
        return None


def reader(config: Configurator, **kwargs: object) -> FakeReader:
    fake = FakeReader(**kwargs)  # type: ignore[arg-type]
    config.register_service(fake, IRRDReader)
    return fake


def test_the_fake_and_the_real_reader_provide_the_interface(config: Configurator) -> None:
    verifyObject(IRRDReader, FakeReader())
    web = config.registry.settings["graphmetrics"]
    verifyObject(IRRDReader, LocalReader(web))


def test_a_drawn_graph_is_answered_with_its_etag_and_headers(config: Configurator) -> None:
    fake = reader(config)
    res = render_view(make_request(config, QUERY))
    assert res.status_int == 200
    assert res.body == b'{"ok": 1}'
    assert res.headers["ETag"] == '"etag1"'
    assert res.headers["X-Graph-Left"] == "5"
    assert res.headers["Cache-Control"] == "private, max-age=86400"
    assert [p.req.format for p in fake.drawn] == ["json"]


def test_a_known_etag_is_a_304_and_nothing_is_drawn(config: Configurator) -> None:
    fake = reader(config)
    res = render_view(make_request(config, QUERY, headers={"If-None-Match": '"etag1"'}))
    assert res.status_int == 304
    assert fake.drawn == []


def test_a_bad_request_never_reaches_the_reader(config: Configurator) -> None:
    fake = reader(config, prepare_error=AssertionError("not asked"))
    res = render_view(make_request(config, "/render?series=x&format=json"))
    assert res.status_int == 400
    assert json.loads(res.body)["param"] == "series"
    assert fake.drawn == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (files.FileError("bad RRD path"), 400),
        (files.SeriesNotFound("no RRD file"), 404),
        (files.StorageUnavailable("rrdcached: down"), 503),
    ],
)
def test_storage_errors_become_http_statuses(
    config: Configurator, error: Exception, status: int
) -> None:
    reader(config, prepare_error=error)
    res = render_view(make_request(config, QUERY))
    assert res.status_int == status
    assert json.loads(res.body) == {"error": str(error), "param": "series"}
    assert res.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (graph.RenderError("rrdtool: bad"), 400),
        (graph.ReadFailed("rrdtool fetch: io"), 500),
        (RenderBusy("all busy"), 503),
        (RenderTimeout("too slow"), 504),
        (RenderTooLarge("needs more than 1536 MiB"), 413),
    ],
)
def test_render_errors_become_http_statuses(
    config: Configurator, error: Exception, status: int
) -> None:
    reader(config, draw_error=error)
    res = render_view(make_request(config, QUERY.replace("json", "png")))
    assert res.status_int == status
    assert res.content_type == "image/png"
    assert res.headers["X-Graphmetrics-Error"] == str(error)
    assert ("Retry-After" in res.headers) == isinstance(error, RenderBusy)
