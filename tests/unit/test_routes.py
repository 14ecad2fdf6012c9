"""The route table: every URL of the app, by name (views never spell patterns)."""

from __future__ import annotations

from pathlib import Path

from pyramid.config import Configurator

from graphmetrics.web.config import WebSettings
from graphmetrics.web.routes import static_digest


def route_table(tmp_path: Path) -> dict[str, str]:
    settings = WebSettings(rrd_dir=tmp_path, static_dir=tmp_path)
    config = Configurator(settings={"graphmetrics": settings})
    config.include("graphmetrics.web.routes")
    config.commit()
    mapper = config.get_routes_mapper()
    return {route.name: route.pattern for route in mapper.get_routes()}


def test_routes(tmp_path: Path) -> None:
    api = "/api/pages/{section:tracelog|metrics}/{user}"
    digest = static_digest(tmp_path)
    assert route_table(tmp_path) == {
        f"__static/{digest}/": f"static/{digest}/*subpath",
        "render": "/render",
        "series": "/series",
        "graphite_find": "/graphite/metrics/find",
        "graphite_expand": "/graphite/metrics/expand",
        "graphite_render": "/graphite/render",
        "graphite_functions": "/graphite/functions",
        "graphite_version": "/graphite/version",
        "graphite_tag_complete": "/graphite/tags/autoComplete/{what}",
        "graphite_events": "/graphite/events/get_data",
        "healthz": "/healthz",
        "home": "/",
        "login": "/login",
        "oidc_login": "/login/oidc",
        "oidc_callback": "/login/oidc/callback",
        "logout": "/logout",
        "users": "/users/",
        "tokens": "/tokens/",
        "token_revoke": "/tokens/{token:\\d+}/revoke",
        "metrics_home": "/metrics/",
        "metrics_page": "/metrics/{user}/{page}/",
        "original_show": "/metrics/{user}/{page}/show.png",
        "api_users": "/api/users",
        "api_pages": api,
        "api_page": api + "/{page}",
        "api_page_clone": api + "/{page}/clone",
        "api_graph_clone": api + "/{page}/graphs/{graph:\\d+}/clone",
        "api_variable_values": "/api/variables/values",
        "api_tracelog_graph": "/api/tracelog/graph",
        "api_tracelog_menu": "/api/tracelog/menu",
        "api_slowest": "/api/tracelog/slowest",
        "slowest": "/slowest",
        "user_home": "/{user}/",
        "dashboard": "/{user}/{page}/",
    }


def test_catch_all_user_routes_come_last(tmp_path: Path) -> None:
    names = list(route_table(tmp_path))
    assert names[-2:] == ["user_home", "dashboard"]


def test_static_view_serves_the_configured_folder(tmp_path: Path) -> None:
    from webtest import TestApp

    (tmp_path / "hello.css").write_text("body{}")
    settings = WebSettings(rrd_dir=tmp_path, static_dir=tmp_path)
    config = Configurator(settings={"graphmetrics": settings})
    config.include("graphmetrics.web.routes")
    app = TestApp(config.make_wsgi_app())
    digest = static_digest(tmp_path)
    assert app.get(f"/static/{digest}/hello.css").text == "body{}"
    assert app.get("/static/hello.css", expect_errors=True).status_int == 404


def test_static_digest_follows_names_and_contents(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("1")
    first = static_digest(tmp_path)
    assert len(first) == 12 and first == static_digest(tmp_path)
    (tmp_path / "js" / "a.js").write_text("2")
    second = static_digest(tmp_path)
    (tmp_path / "js" / "a.js").rename(tmp_path / "js" / "b.js")
    assert len({first, second, static_digest(tmp_path)}) == 3
