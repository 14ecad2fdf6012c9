"""The web app's collaborators, by interface (warehouse's pattern).

``graphmetrics.web.services`` registers one implementation of each, chosen by the
settings (``reader = local`` or ``rrdcached``; ``oidc_issuer``); views look them up
with ``request.find_service(IFace)`` and never build them, so unit tests register
fakes by interface.  The saved-graph service's interface is in
:mod:`graphmetrics.saved.interfaces`.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface


class IRRDReader(Interface):
    """Reads and renders RRD series: the only way the web app reaches RRD data.

    Errors are :mod:`graphmetrics.rrd`'s (``FileError``, ``RenderError`` and their
    subclasses); :func:`graphmetrics.web.errors.http_status` maps them to HTTP.
    """

    backend = Attribute("'local' or 'rrdcached'")

    def prepare(req):
        """A ``Prepared`` render of ``req`` (a ``RenderRequest``): its files found,
        flushed and stamped, its rrdtool arguments and its ETag; nothing drawn yet."""

    def draw(prepared, user):
        """The ``Rendered`` answer of a ``Prepared`` render (from the cache or drawn;
        a heavy graph is admitted for ``user``, see ``render.admission``)."""

    def fetch(series, start, end, before):
        """``{series path: Fetched}`` (AVERAGE rows) for (series path, name) pairs;
        ``before(last updates)``, when given, is called before anything is read."""

    def resolve(series):
        """``GraphFiles`` of (series path, name) pairs; ``SeriesNotFound`` for a missing one."""

    def series_names():
        """Every series path (``tracelog/...``, ``metrics/...``, no ``.rrd``), sorted."""

    def data_sources(rel):
        """The data source names of the series ``rel``, sorted; () when unreadable."""

    def check():
        """None when the storage answers, else a short reason (for ``/healthz``)."""


class ISeriesIndex(Interface):
    """The series names kept fresh for searching (``/series``) and the dashboards."""

    def search(query, page):
        """One page of ``GET /series``'s answer; ``SearchError`` for a bad query or page."""

    def matching(query):
        """Every series path matching ``query``, sorted."""

    def tracelog_instances():
        """The tracelog instances with an RRD file, sorted (``tracelog.Instance``)."""


class IGraphiteFinder(Interface):
    """The RRD series as Graphite's metric tree (``/graphite/metrics/find``, targets)."""

    def find(pattern):
        """The nodes matching a Graphite pattern, sorted; ``PatternError`` when too costly."""

    def fetch(pattern, start, end, now, xff, budget):
        """The ``Series`` of every leaf matching ``pattern``; ``ReadError`` on failure.

        Their estimated cost is charged to ``budget`` (a ``graphite.limits.Budget``, or
        None) before anything is read: ``TooMuch`` past it."""

    def intervals(leaves):
        """Each leaf's ``[{"start": …, "end": …}]`` time span (``find?format=json``)."""


class IOIDCProvider(Interface):
    """The OpenID Connect identity provider (registered only when ``oidc_issuer`` is set)."""

    def endpoint(name):
        """A URL from the provider's discovery document (``authorization_endpoint``)."""

    def exchange(code, redirect_uri, verifier):
        """The token response for an authorization code."""

    def verify(id_token, nonce, access_token):
        """The ID token's checked claims; ``OIDCError`` otherwise."""
