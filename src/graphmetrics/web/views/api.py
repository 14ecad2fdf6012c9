"""The JSON API the pages' scripts call to save, create, delete and clone pages.

Every write names the page generation it is based on; a stale one answers 409 with
the current generation so the browser can reload instead of overwriting.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from graphmetrics.render.graph import TRACELOG_VIRTUAL
from graphmetrics.rrd import files
from graphmetrics.saved.models import Page
from graphmetrics.saved.services import (
    DEFAULT_PAGE,
    GraphInput,
    InvalidInput,
    StaleGeneration,
    parse_graphs,
)
from graphmetrics.saved.variables import parse_variables
from graphmetrics.text import brief, quoted
from graphmetrics.web import graphjson, tracelog, variables
from graphmetrics.web.interfaces import IRRDReader, ISeriesIndex
from graphmetrics.web.services import find
from graphmetrics.web.variables import check_globs
from graphmetrics.web.views.helpers import (
    find_page,
    int_field,
    json_body,
    json_error,
    page_data,
    page_url,
    route_id,
    service,
    tracelog_instances,
    valid_user,
)


@view_config(context=InvalidInput, renderer="json")
def invalid_input(exc: InvalidInput, request: Request) -> dict[str, Any]:
    request.response.status = 400
    return {"error": brief(str(exc))}


@view_config(context=StaleGeneration, renderer="json")
def stale_generation(exc: StaleGeneration, request: Request) -> dict[str, Any]:
    request.response.status = HTTPConflict.code
    return {"error": str(exc), "generation": exc.current}


@view_config(route_name="api_users", renderer="json", permission="view")
def users(request: Request) -> dict[str, Any]:
    return {
        "users": [
            {"name": name, "pages": count, "url": page_url(request, "tracelog", name, DEFAULT_PAGE)}
            for name, count in service(request).users()
        ]
    }


@view_config(route_name="api_pages", request_method="GET", renderer="json", permission="view")
def list_pages(request: Request) -> dict[str, Any]:
    section, user = request.matchdict["section"], request.matchdict["user"]
    pages = service(request).pages(user, section) if valid_user(user) else []
    return {
        "pages": [
            {"name": p.name, "generation": p.generation, "graphs": len(p.graphs),
             "url": page_url(request, section, user, p.name)}
            for p in pages
        ]
    }  # fmt: skip


@view_config(route_name="api_pages", request_method="POST", renderer="json", permission="edit")
def create_page(request: Request) -> dict[str, Any]:
    name = json_body(request).get("name")
    if not isinstance(name, str):
        raise json_error(HTTPBadRequest, "'name' must be the new page's name")
    page = service(request).create_page(
        request.matchdict["user"], request.matchdict["section"], name
    )
    request.response.status = 201
    return page_data(request, page)


@view_config(route_name="api_page", request_method="GET", renderer="json", permission="view")
def get_page(request: Request) -> dict[str, Any]:
    return page_data(request, find_page(request, request.matchdict["section"], api=True))


@view_config(route_name="api_page", request_method="PUT", renderer="json", permission="edit")
def save_page(request: Request) -> dict[str, Any]:
    body = json_body(request)
    generation = int_field(body, "generation")
    graphs = parse_graphs(body.get("graphs"))
    # absent: the page keeps the variables it has
    variables = parse_variables(body["variables"]) if "variables" in body else None
    check_globs(variables or [])
    check_definitions(graphs)
    page = find_page(request, request.matchdict["section"], api=True)
    check_series(request, page, graphs)
    saved = service(request).save_graphs(page, generation, graphs, variables)
    return page_data(request, saved)


@view_config(route_name="api_page", request_method="PATCH", renderer="json", permission="edit")
def rename_page(request: Request) -> dict[str, Any]:
    """``{"generation": N, "name": "new-name"}``: the page under its new name (and URL)."""
    body = json_body(request)
    generation = int_field(body, "generation")
    name = body.get("name")
    if not isinstance(name, str):
        raise json_error(HTTPBadRequest, "'name' must be the page's new name")
    page = find_page(request, request.matchdict["section"], api=True)
    return page_data(request, service(request).rename_page(page, generation, name))


def check_definitions(graphs: list[GraphInput]) -> None:
    """Each definition as ``/render`` would read it: a page never saves a graph it
    could not draw."""
    for i, graph in enumerate(graphs):
        try:
            graphjson.parse_graph(graph.definition, f"graphs[{i}].definition")
        except graphjson.GraphDefError as exc:
            raise InvalidInput(str(exc)) from None


def _sources(definition: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, path, ds) of each series of a definition that passed ``check_definitions``."""
    return [(s["name"], s["path"], s["ds"]) for s in definition.get("series") or []]


def check_series(request: Request, page: Page, graphs: list[GraphInput]) -> None:
    """Every series a save adds must have its file (and data source) in the store, so
    a typo is refused with its name instead of becoming a graph that never draws.

    Series the page already had pass: a file removed later must not stop the rest of
    the page from being saved (the graph then says which series is missing).
    """
    known = {(path, ds) for g in page.graphs for _name, path, ds in _sources(g.definition)}
    reader = find(request, IRRDReader)
    for i, graph in enumerate(graphs):
        for name, path, ds in _sources(graph.definition):
            if (path, ds) in known or "$" in path:
                continue  # known, or a dashboard variable's: checked when drawn
            title = graph.definition.get("title") or f"number {i + 1}"
            where = f"graph {quoted(title)}, series {name} {quoted(f'{path}:{ds}')}"
            try:
                reader.resolve([(path, name)])
            except files.SeriesNotFound:
                raise InvalidInput(f"{where}: there is no such series in the store") from None
            except files.StorageUnavailable:
                return  # cannot ask now: the render will say what is wrong
            except files.FileError as exc:
                raise InvalidInput(f"{where}: {exc}") from None
            sources = reader.data_sources(path)
            if sources and ds not in sources and not _virtual(path, ds, sources):
                raise InvalidInput(
                    f"{where}: the file has no data source {ds!r}; it has {', '.join(sources)}"
                )
            known.add((path, ds))


def _virtual(path: str, ds: str, sources: tuple[str, ...]) -> bool:
    needs = TRACELOG_VIRTUAL.get(ds)
    return path.startswith("tracelog/") and needs is not None and set(needs[0]) <= set(sources)


@view_config(route_name="api_page", request_method="DELETE", renderer="json", permission="edit")
def delete_page(request: Request) -> dict[str, Any]:
    generation = int_field(json_body(request), "generation")
    page = find_page(request, request.matchdict["section"], api=True)
    section, user = page.section, page.owner.name
    service(request).delete_page(page, generation)
    return {
        "deleted": request.matchdict["page"],
        "url": page_url(request, section, user, DEFAULT_PAGE),
    }


@view_config(route_name="api_page_clone", request_method="POST", renderer="json", permission="view")
def clone_page(request: Request) -> dict[str, Any]:
    """Copy anyone's page into a new page of the signed-in user."""
    source = find_page(request, request.matchdict["section"], api=True)
    default = f"{source.owner.name}-{source.name}"
    name = json_body(request).get("name") or default
    if not isinstance(name, str):
        raise json_error(HTTPBadRequest, "'name' must be the new page's name")
    me = request.authenticated_userid
    copy = service(request).clone_page(source, me, name)
    request.response.status = 201
    return page_data(request, copy)


@view_config(
    route_name="api_graph_clone", request_method="POST", renderer="json", permission="view"
)
def clone_graph(request: Request) -> dict[str, Any]:
    """Append a copy of anyone's graph to one of the signed-in user's pages."""
    section = request.matchdict["section"]
    source = find_page(request, section, api=True)
    graph_id = route_id(request, "graph")
    graph = service(request).graph(source, graph_id) if graph_id is not None else None
    if graph is None:
        raise json_error(
            HTTPNotFound, f"page {source.name!r} has no graph {brief(request.matchdict['graph'])}"
        )
    target_name = json_body(request).get("page") or DEFAULT_PAGE
    if not isinstance(target_name, str):
        raise json_error(HTTPBadRequest, "'page' must be the name of one of your pages")
    me = request.authenticated_userid
    svc = service(request)
    target = svc.page(me, section, target_name)
    if target is None and target_name == DEFAULT_PAGE:
        target = svc.ensure_default_page(me, section)
    if target is None:
        raise json_error(HTTPNotFound, f"you have no {section} page named {target_name!r}")
    svc.clone_graph(graph, target)
    return page_data(request, target)


@view_config(route_name="api_variable_values", renderer="json", permission="view")
def variable_values(request: Request) -> dict[str, Any]:
    """``?pattern=metrics/$env/$service&name=service&var-env=prod``: the values of a
    dashboard variable (see :mod:`graphmetrics.web.variables`)."""
    try:
        params = request.GET
        others = {
            key[4:]: value
            for key, value in params.items()
            if key.startswith("var-") and key[4:] != params.get("name")
        }
        pattern, name = params.get("pattern"), params.get("name")
    except UnicodeDecodeError:
        raise InvalidInput("the query string is not valid UTF-8") from None
    found = variables.variable_values(find(request, ISeriesIndex).matching, pattern, name, others)
    request.response.headers["Cache-Control"] = "private, no-cache"
    return found


@view_config(route_name="api_tracelog_graph", renderer="json", permission="view")
def tracelog_graph(request: Request) -> dict[str, Any]:
    """The definition of a tracelog graph: ``kind=instance&instance=STEM`` or a pool."""
    params = request.params
    kind = params.get("kind", "instance")
    try:
        definitions = tracelog.graphs_for(
            tracelog_instances(request),
            kind,
            instance=params.get("instance"),
            customer=params.get("customer"),
            host=params.get("host"),
        )
    except tracelog.UnknownInstance as exc:
        raise json_error(HTTPNotFound, str(exc)) from exc
    except ValueError as exc:
        raise json_error(HTTPBadRequest, str(exc)) from exc
    # a big pool comes as several graphs ("definitions"), each title saying its slice
    split = kind != "standard" and len(definitions) > 1
    return {"definition": definitions[0], "definitions": definitions, "split": split}


@view_config(route_name="api_tracelog_menu", renderer="json", permission="view")
def tracelog_menu(request: Request) -> dict[str, Any]:
    """One level of the dashboard's instance menu (see :func:`tracelog.menu_level`):
    ``?customer=C``, ``?customer=C&host=H`` or ``?q=TEXT``; nothing: the customers."""
    params = request.params
    return tracelog.menu_level(
        tracelog_instances(request),
        customer=params.get("customer"),
        host=params.get("host"),
        query=(params.get("q") or "").strip()[:100] or None,
    )
