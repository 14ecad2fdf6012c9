"""The HTML pages: tracelog dashboards, the metrics graph builder and the user list."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.rrd import layout
from graphmetrics.saved.models import Page
from graphmetrics.saved.services import DEFAULT_PAGE
from graphmetrics.web import tracelog
from graphmetrics.web.views import original
from graphmetrics.web.views.helpers import find_page, page_data, page_url, service, valid_user


def page_view(request: Request, page: Page) -> dict[str, Any]:
    """What the dashboard and builder templates share."""
    me = request.authenticated_userid
    svc = service(request)
    section, owner = page.section, page.owner.name
    editable = me == owner
    data = page_data(request, page)
    mine = svc.pages(me, section) if me else []
    config = {
        "page": data,
        "editable": editable,
        "me": me,
        "my_pages": [p.name for p in mine] or [DEFAULT_PAGE],
        "colors": {"palette": list(layout.PALETTE), "restart": layout.RESTART_COLOR},
        "urls": {
            "render": request.route_url("render"),
            "series": request.route_url("series"),
            "variable_values": request.route_url("api_variable_values"),
            "tracelog_graph": request.route_url("api_tracelog_graph"),
            "create_page": request.route_url("api_pages", section=section, user=me or owner),
            "my_default": page_url(request, section, me or owner, DEFAULT_PAGE),
        },
    }
    return {
        "page": page,
        "owner": owner,
        "editable": editable,
        "section": section,
        "pages": [
            {
                "name": p.name,
                "url": page_url(request, section, owner, p.name),
                "current": p.id == page.id,
            }
            for p in svc.pages(owner, section)
        ],
        "users": [
            {"name": name, "url": page_url(request, section, name, DEFAULT_PAGE)}
            for name, _count in svc.users()
        ],
        "config": config,
    }


@view_config(route_name="dashboard", renderer="dashboard.jinja2", permission="view")
def dashboard(request: Request) -> dict[str, Any]:
    """The page; its instance menu is loaded by the script as it is opened or searched
    (``/api/tracelog/menu``), so the HTML stays small with any number of instances."""
    info = page_view(request, find_page(request, "tracelog", api=False))
    info["config"]["urls"]["tracelog_menu"] = request.route_url("api_tracelog_menu")
    info["config"]["urls"]["slowest"] = request.route_url("slowest")
    info["config"]["pool_kinds"] = tracelog.POOL_KINDS
    info["config"]["customer_pool_kinds"] = list(tracelog.CUSTOMER_POOL_KINDS)
    return info


@view_config(route_name="metrics_page", renderer="metrics.jinja2", permission="view")
def metrics_page(request: Request) -> dict[str, Any]:
    try:
        page = find_page(request, "metrics", api=False)
    except HTTPNotFound:
        moved = original.moved_page(request)  # a link into the original graphmetrics
        if moved is None:
            raise
        raise moved from None
    return page_view(request, page)


@view_config(route_name="user_home", permission="view")
def user_home(request: Request) -> Response:
    user = request.matchdict["user"]
    if not valid_user(user) or (
        service(request).user(user) is None and user != request.authenticated_userid
    ):
        raise HTTPNotFound(f"there is no user {user!r}")
    return HTTPFound(location=page_url(request, "tracelog", user, DEFAULT_PAGE))


@view_config(route_name="metrics_home")
def metrics_home(request: Request) -> Response:
    user = request.authenticated_userid
    if user is None:
        return HTTPFound(location=request.route_url("login", _query={"next": request.path}))
    return HTTPFound(location=page_url(request, "metrics", user, DEFAULT_PAGE))


@view_config(route_name="users", renderer="users.jinja2", permission="view")
def users(request: Request) -> dict[str, Any]:
    """Every user's pages, from one query whatever their number."""
    listing: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, section, page, graphs in service(request).listing():
        sections = listing.setdefault(name, {"tracelog": [], "metrics": []})
        if section in sections and page is not None:
            url = page_url(request, section, name, page)
            sections[section].append({"name": page, "url": url, "graphs": graphs})
    return {
        "users": [{"name": name, "sections": sections} for name, sections in listing.items()],
        "section": "users",
    }
