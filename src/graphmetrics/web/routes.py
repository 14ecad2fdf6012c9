"""Every URL of the app, in one place; views refer to routes by name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pyramid.config import Configurator

from graphmetrics.web.config import WebSettings

PAGES = "graphmetrics.web.resources.UserPages"
SIGNED_IN = "graphmetrics.web.resources.SignedIn"


def static_digest(folder: Path) -> str:
    """A short hash of every file below ``folder`` (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    # Static URLs carry a hash of the static files (/static/<hash>/js/page.js): a
    # deploy changes every URL at once, so files can be cached for long
    # (static_max_age) and ES modules' relative imports stay on the same version.
    folder = settings.static_dir.resolve()
    config.add_static_view(
        f"static/{static_digest(folder)}", str(folder), cache_max_age=settings.static_max_age
    )
    config.add_route("render", "/render", factory=SIGNED_IN)
    config.add_route("series", "/series", factory=SIGNED_IN)
    # the Graphite API (Grafana's data source URL is http://host:port/graphite)
    graphite = "/graphite"
    config.add_route("graphite_find", graphite + "/metrics/find", factory=SIGNED_IN)
    config.add_route("graphite_expand", graphite + "/metrics/expand", factory=SIGNED_IN)
    config.add_route("graphite_render", graphite + "/render", factory=SIGNED_IN)
    config.add_route("graphite_functions", graphite + "/functions", factory=SIGNED_IN)
    config.add_route("graphite_version", graphite + "/version", factory=SIGNED_IN)
    config.add_route(
        "graphite_tag_complete", graphite + "/tags/autoComplete/{what}", factory=SIGNED_IN
    )
    config.add_route("graphite_events", graphite + "/events/get_data", factory=SIGNED_IN)

    config.add_route("healthz", "/healthz")  # for load balancers: no sign-in
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("oidc_login", "/login/oidc")
    config.add_route("oidc_callback", "/login/oidc/callback")
    config.add_route("logout", "/logout")
    config.add_route("users", "/users/", factory=SIGNED_IN)
    config.add_route("tokens", "/tokens/", factory=SIGNED_IN)
    config.add_route("token_revoke", "/tokens/{token:\\d+}/revoke", factory=SIGNED_IN)
    config.add_route("metrics_home", "/metrics/")
    config.add_route("metrics_page", "/metrics/{user}/{page}/", factory=PAGES)
    # the original graphmetrics' image links (graphmetrics.web.views.original)
    config.add_route("original_show", "/metrics/{user}/{page}/show.png", factory=SIGNED_IN)

    api = "/api/pages/{section:tracelog|metrics}/{user}"
    config.add_route("api_users", "/api/users", factory=SIGNED_IN)
    config.add_route("api_pages", api, factory=PAGES)
    config.add_route("api_page", api + "/{page}", factory=PAGES)
    config.add_route("api_page_clone", api + "/{page}/clone", factory=PAGES)
    config.add_route("api_graph_clone", api + "/{page}/graphs/{graph:\\d+}/clone", factory=PAGES)
    config.add_route("api_variable_values", "/api/variables/values", factory=SIGNED_IN)
    config.add_route("api_tracelog_graph", "/api/tracelog/graph", factory=SIGNED_IN)
    config.add_route("api_tracelog_menu", "/api/tracelog/menu", factory=SIGNED_IN)
    config.add_route("api_slowest", "/api/tracelog/slowest", factory=SIGNED_IN)
    config.add_route("slowest", "/slowest", factory=SIGNED_IN)

    # Catch-alls last: a user name is any first path segment the routes above left.
    config.add_route("user_home", "/{user}/", factory=PAGES)
    config.add_route("dashboard", "/{user}/{page}/", factory=PAGES)
