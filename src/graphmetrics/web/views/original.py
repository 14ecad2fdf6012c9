"""Links into the original graphmetrics keep working after the move.

``/metrics/<user>/<page>/`` of a page imported under another name (an e-mail user
matched to an account, a page name made a slug) redirects to it: the same rule as
the import (:mod:`graphmetrics.cutover.names`) finds it.  The original's image links,
``/metrics/<user>/<page>/show.png?imgid=...&data0=...&color0=...``, carry the whole
chart: they are converted as the import converts a saved chart and answered by
``/render`` itself (:func:`graphmetrics.web.views.render.answer`: the same render
pool, deadlines, work limit, cache and ETag).  Unlike the original, showing an image
saves nothing.
"""

from __future__ import annotations

import json

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from graphmetrics.cutover import chart, names
from graphmetrics.web.views.helpers import page_url, service
from graphmetrics.web.views.render import answer, error_response

# the original's image width when the link has none; its plot area was 111 px narrower
DEFAULT_WIDTH = 900
WIDTH_BOUNDS = (200, 4000)


def moved_page(request: Request) -> HTTPFound | None:
    """A redirect to where the original's ``/metrics/<user>/<page>/`` was imported."""
    user, page = request.matchdict["user"], request.matchdict["page"]
    svc = service(request)
    account = names.match_account(user, (name for name, _count in svc.users()))
    name = names.page_name(page)
    if account is None or (account, name) == (user, page):
        return None
    if svc.page(account, "metrics", name) is None:
        return None
    return HTTPFound(location=page_url(request, "metrics", account, name))


def render_items(params: dict[str, str]) -> list[tuple[str, str]]:
    """The ``/render`` query of one of the original's ``show.png`` queries."""
    converted = chart.convert(params)
    view = converted.view
    try:
        width = int(float(params.get("width") or DEFAULT_WIDTH))
    except ValueError:
        width = DEFAULT_WIDTH
    width = max(WIDTH_BOUNDS[0], min(WIDTH_BOUNDS[1], width))
    height = view.get("height", chart.ORIGINAL_HEIGHT + chart.IMAGE_EXTRA_HEIGHT)
    items = [
        ("graph", json.dumps(converted.definition)),
        ("format", "png"),
        ("width", str(width)),
        ("height", str(height)),
    ]
    if "trail" in view:
        items.append(("trail", str(view["trail"])))
    items += [(key, view[key]) for key in ("start", "end") if key in view]
    if "step" in view:
        items.append(("step", str(view["step"])))
    return items


@view_config(route_name="original_show", request_method="GET", permission="view")
def show_png(request: Request) -> Response:
    try:
        params = {str(k): str(v) for k, v in request.GET.items()}
        items = render_items(params)
    except UnicodeDecodeError:
        return error_response(request, "query: not valid UTF-8", 400, "query")
    except chart.Unmappable as exc:
        return error_response(request, f"this graph of the original graphmetrics: {exc}", 400)
    return answer(request, items)
