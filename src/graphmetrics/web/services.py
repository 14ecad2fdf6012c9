"""The web app's services, registered by interface with the backends the settings name.

``reader = local`` (default): RRD files under ``rrd_dir`` (flushed through
``rrdcached`` first when that is set), the series index and the Graphite tree
walking those folders.  ``reader = rrdcached``: everything read from the storage
node at the ``rrdcached`` address with relative paths, the listings from its
``LIST`` (:mod:`graphmetrics.web.remote`).  Each service is one object shared by
every request of the app (thread-safe); views find it with ``request.find_service``.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid_services import find_service_factory
from zope.interface import implementer

from graphmetrics.settings import SettingsError
from graphmetrics.web import tracelog
from graphmetrics.web.config import WebSettings
from graphmetrics.web.graphite.reader import Reader
from graphmetrics.web.graphite.tree import MetricTree
from graphmetrics.web.interfaces import IGraphiteFinder, IRRDReader, ISeriesIndex
from graphmetrics.web.reader import LocalReader, Renderer
from graphmetrics.web.readonly import ReadOnlyFiles
from graphmetrics.web.series_index import SeriesIndex, search_page


def find(request: Request, iface: Any) -> Any:
    """The service registered for ``iface``: ``request.find_service(iface)``, without
    building pyramid_services' per-request container when the service is one shared
    object (every service here but the saved graphs' session-bound one).

    That container costs about as much as the rest of a cached ``/render``.
    """
    factory = find_service_factory(request, iface)
    service = getattr(factory, "service", None)
    return request.find_service(iface) if service is None else service


@implementer(ISeriesIndex)
class LocalSeries:
    """The series index and the tracelog instance list, from the folders under ``rrd_dir``."""

    def __init__(self, web: WebSettings) -> None:
        self.index = SeriesIndex(web.rrd_dir, check_interval=web.series_check_interval)
        self.instances = tracelog.InstanceIndex(web.rrd_dir)
        self.readonly_files = ReadOnlyFiles(web.readonly_roots)
        self.readonly = [
            SeriesIndex(
                root.path,
                check_interval=web.series_check_interval,
                folders=("",),
                prefix=f"{root.name}/",
            )
            for root in web.readonly_roots
        ]

    def search(self, query: str, page: int = 1) -> dict:
        if not self.readonly:
            return self.index.search(query, page)
        return search_page(self.matching(query), page, self.readonly_files.data_sources)

    def matching(self, query: str) -> list[str]:
        found = self.index.matching(query)
        for index in self.readonly:
            found = found + index.matching(query)
        return sorted(found) if self.readonly else found

    def tracelog_instances(self) -> list[tracelog.Instance]:
        return self.instances.instances()


def make_services(web: WebSettings) -> tuple[Renderer, object, Reader]:
    """The RRD reader, the series index and the Graphite finder for ``web``'s backend."""
    if web.reader == "rrdcached":
        if not web.rrdcached:
            raise SettingsError(
                "reader = rrdcached needs the storage node's address in rrdcached "
                "(GRAPHMETRICS_RRDCACHED, e.g. 127.0.0.1:42218)"
            )
        from graphmetrics.web import remote

        reader = remote.RRDCachedReader(web, web.rrdcached)
        listing = remote.Listing(reader, web.series_check_interval)
        return reader, remote.ListedSeries(listing), Reader(remote.ListedTree(listing), reader)
    if web.readonly_roots and web.reader != "local":
        raise SettingsError("readonly_roots are served by reader = local only")
    local = LocalReader(web)
    readonly = {root.name: str(root.path) for root in web.readonly_roots}
    return local, LocalSeries(web), Reader(MetricTree(str(web.rrd_dir), readonly), local)


def includeme(config: Configurator) -> None:
    config.include("pyramid_services")
    web: WebSettings = config.get_settings()["graphmetrics"]
    reader, series, finder = make_services(web)
    config.register_service(reader, IRRDReader)
    config.register_service(series, ISeriesIndex)
    config.register_service(finder, IGraphiteFinder)

    def storage(_registry: Registry) -> str | None:
        return reader.check()

    config.add_health_check("storage", storage)
