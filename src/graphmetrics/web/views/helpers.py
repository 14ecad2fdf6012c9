"""Small pieces the views share: JSON errors, the request body, page lookups."""

from __future__ import annotations

import json
from typing import Any

from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
)
from pyramid.request import Request

from graphmetrics.saved.interfaces import ISavedGraphs
from graphmetrics.saved.models import Page
from graphmetrics.saved.services import (
    DEFAULT_PAGE,
    RESERVED_USERS,
    USER_NAME,
    SavedGraphService,
    in_db_range,
    page_json,
)
from graphmetrics.text import brief, quoted
from graphmetrics.web import tracelog
from graphmetrics.web.interfaces import ISeriesIndex
from graphmetrics.web.services import find

# The largest JSON body read (a page of 100 graphs is far less); waitress refuses
# bigger bodies before the app sees them (max_request_body_size in the ini files).
MAX_JSON_BODY = 4 * 1024 * 1024
SECTION_ROUTES = {"tracelog": "dashboard", "metrics": "metrics_page"}


def heavy_user(request: Request) -> str:
    """Whose share of heavy work a request uses: its user (cookie or API token), else
    its address."""
    return str(request.authenticated_userid or request.client_addr or "")


def json_error(cls: type[HTTPException], message: str, **extra: Any) -> HTTPException:
    return cls(json_body={"error": brief(message), **extra})


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; a 413 past :data:`MAX_JSON_BODY` bytes, read no further."""
    length = request.content_length
    raw = b""
    if length is None or 0 < length <= MAX_JSON_BODY:
        raw = request.body_file.read(MAX_JSON_BODY + 1)
    if len(raw) > MAX_JSON_BODY or (length or 0) > MAX_JSON_BODY:
        message = f"the request body is larger than {MAX_JSON_BODY} bytes"
        raise json_error(HTTPRequestEntityTooLarge, message)
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise json_error(HTTPBadRequest, f"the request body is not JSON: {exc}") from exc
    except RecursionError:
        raise json_error(HTTPBadRequest, "the request body's JSON is nested too deeply") from None
    if not isinstance(body, dict):
        raise json_error(HTTPBadRequest, "the request body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise json_error(HTTPBadRequest, f"'{name}' must be an integer, got {quoted(value)}")
    if not in_db_range(value):
        raise json_error(HTTPBadRequest, f"'{name}' is out of range: {brief(str(value))}")
    return value


def route_id(request: Request, key: str) -> int | None:
    """The row id in the URL (digits, by the route's pattern); None when no row can
    have it (a 5,000-digit id would not even convert to an int)."""
    text = str(request.matchdict[key])
    if not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if in_db_range(value) else None


def service(request: Request) -> SavedGraphService:
    svc: SavedGraphService = request.find_service(ISavedGraphs)
    return svc


def valid_user(name: str) -> bool:
    return bool(USER_NAME.fullmatch(name)) and name.lower() not in RESERVED_USERS


def page_url(request: Request, section: str, user: str, page: str) -> str:
    return str(request.route_url(SECTION_ROUTES[section], user=user, page=page))


def _known_user(request: Request, user: str) -> bool:
    if not valid_user(user):
        return False
    return user == request.authenticated_userid or service(request).user(user) is not None


def find_page(request: Request, section: str, *, api: bool) -> Page:
    """The page named by the URL; a known user's ``default`` page springs into being."""
    user = request.matchdict["user"]
    name = request.matchdict["page"]
    svc = service(request)
    page = svc.page(user, section, name) if valid_user(user) else None
    known = valid_user(user) and (
        user == request.authenticated_userid or svc.user(user) is not None
    )
    if page is None and name == DEFAULT_PAGE and known:
        page = svc.ensure_default_page(user, section)
    if page is None:
        message = f"{user} has no {section} page named {quoted(name)}"
        raise json_error(HTTPNotFound, message) if api else HTTPNotFound(message)
    return page


def page_data(request: Request, page: Page) -> dict[str, Any]:
    """The page as the browser gets it: graphs plus the URLs the scripts call."""
    data = page_json(page)
    section, user, name = page.section, page.owner.name, page.name
    data["url"] = page_url(request, section, user, name)
    data["api"] = request.route_url("api_page", section=section, user=user, page=name)
    data["clone_url"] = request.route_url("api_page_clone", section=section, user=user, page=name)
    for graph in data["graphs"]:
        graph["clone_url"] = request.route_url(
            "api_graph_clone", section=section, user=user, page=name, graph=graph["id"]
        )
    return data


def tracelog_instances(request: Request) -> list[tracelog.Instance]:
    """The tracelog instances, from the series index service."""
    found: list[tracelog.Instance] = find(request, ISeriesIndex).tracelog_instances()
    return found
