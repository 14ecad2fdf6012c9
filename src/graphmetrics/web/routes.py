"""Every URL of the app, in one place; views refer to routes by name."""

from __future__ import annotations

from pyramid.config import Configurator

from graphmetrics.web.config import WebSettings

PAGES = "graphmetrics.web.resources.UserPages"
SIGNED_IN = "graphmetrics.web.resources.SignedIn"


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    config.add_static_view(
        "static", str(settings.static_dir.resolve()), cache_max_age=settings.static_max_age
    )
    config.add_route("render", "/render", factory=SIGNED_IN)
    config.add_route("series", "/series", factory=SIGNED_IN)

    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("oidc_login", "/login/oidc")
    config.add_route("oidc_callback", "/login/oidc/callback")
    config.add_route("logout", "/logout")
    config.add_route("users", "/users/", factory=SIGNED_IN)
    config.add_route("metrics_home", "/metrics/")
    config.add_route("metrics_page", "/metrics/{user}/{page}/", factory=PAGES)

    api = "/api/pages/{section:tracelog|metrics}/{user}"
    config.add_route("api_users", "/api/users", factory=SIGNED_IN)
    config.add_route("api_pages", api, factory=PAGES)
    config.add_route("api_page", api + "/{page}", factory=PAGES)
    config.add_route("api_page_clone", api + "/{page}/clone", factory=PAGES)
    config.add_route("api_graph_clone", api + "/{page}/graphs/{graph:\\d+}/clone", factory=PAGES)
    config.add_route("api_tracelog_graph", "/api/tracelog/graph", factory=SIGNED_IN)

    # Catch-alls last: a user name is any first path segment the routes above left.
    config.add_route("user_home", "/{user}/", factory=PAGES)
    config.add_route("dashboard", "/{user}/{page}/", factory=PAGES)
