"""Links into the original graphmetrics after the move: pages redirect, images render."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from webtest import TestApp

from tests.functional.cutover.conftest import CHARTS, NOW
from tests.original import text_params
from tests.webapp import Browser, wsgi_app


@pytest.fixture
def browser(app_settings: dict[str, Any], data_fs: Path, run_import: Any, service: Any) -> Browser:
    service.ensure_user("ann")  # ann@example.com's pages go to ann
    run_import(data_fs)
    return Browser(TestApp(wsgi_app(app_settings)), "bob")


def chart(user: bytes, page: bytes, imgid: str) -> dict[str, str]:
    return text_params(CHARTS[user][page][imgid])


def saved(browser: Browser, user: str, page: str = "default") -> list[dict[str, Any]]:
    graphs: list[dict[str, Any]] = browser.get(browser.page_api(user, page, "metrics")).json[
        "graphs"
    ]
    return graphs


def test_old_page_links_lead_to_the_imported_pages(browser: Browser) -> None:
    res = browser.get(f"/metrics/jim@zope.com/{quote('capacity planning')}/", status=302)
    assert "/metrics/jim@zope.com/capacity-planning-" in res.location
    browser.get(res.location, status=200)
    res = browser.get("/metrics/ann@example.com/default/", status=302)
    assert res.location.endswith("/metrics/ann/default/")
    browser.get("/metrics/jim@zope.com/default/", status=200)  # the same name: no detour
    browser.get("/metrics/nobody@example.com/nothing/", status=404)


def show_query(params: dict[str, str], imgid: str) -> str:
    """The original UI's image URL query: imgid and the chart's parameters."""
    return "&".join(f"{k}={quote(v)}" for k, v in [("imgid", imgid), *params.items()])


def render(browser: Browser, graph: dict[str, Any], **query: Any) -> Any:
    return browser.app.get("/render", {"graph": json.dumps(graph), **query}, status=200)


def test_show_png_draws_the_imported_graph(browser: Browser) -> None:
    params = chart(b"jim@zope.com", b"default", "1000")
    imported = saved(browser, "jim@zope.com")[0]
    view = imported["view"]
    for _attempt in range(3):  # "the last 6 hours" ends at the second each is asked
        shown = browser.get(
            f"/metrics/jim@zope.com/default/show.png?{show_query(params, '1000')}", status=200
        )
        drawn = render(
            browser, imported["definition"], width=900, height=view["height"],
            trail=view["trail"], step=view["step"],
        )  # fmt: skip
        if shown.headers["ETag"] == drawn.headers["ETag"]:
            break
    assert shown.content_type == "image/png" and shown.body.startswith(b"\x89PNG")
    assert shown.headers["ETag"] == drawn.headers["ETag"]  # the same rrdtool arguments
    assert shown.body == drawn.body


def test_show_png_of_a_chart_that_cannot_be_drawn_says_why(browser: Browser) -> None:
    params = chart(b"ann@example.com", b"default", "6")
    res = browser.get(f"/metrics/ann/default/show.png?{show_query(params, '6')}", status=400)
    assert res.content_type == "image/png" and "SYSTEM" in res.headers["X-Graphmetrics-Error"]


def test_show_png_needs_a_sign_in_and_answers_an_image(
    make_app: Callable[..., TestApp],
) -> None:
    params = chart(b"jim@zope.com", b"default", "1000")
    res = make_app().get(f"/metrics/jim@zope.com/default/show.png?{show_query(params, '1')}",
                         status=403)  # fmt: skip
    assert res.content_type == "image/png"


def test_imported_graph_draws_what_the_builder_draws(browser: Browser) -> None:
    """Chart 1001 (an average and a total of two instances) imported, and the same
    graph built as the builder builds it (its own names, aggregate CDEFs): same data."""
    inst = "tracelog/app1__acme__inst"
    built = {
        "series": [
            {"name": "rpm1", "path": f"{inst}1", "ds": "rpm"},
            {"name": "rpm2", "path": f"{inst}2", "ds": "rpm"},
        ],
        "cdefs": [
            {"name": "average1", "aggregate": "AVERAGE", "of": ["rpm1", "rpm2"]},
            {"name": "total1", "aggregate": "TOTAL", "of": ["rpm1", "rpm2"]},
        ],
        "lines": [
            {"value": "average1", "type": "LINE", "width": 1, "color": "#2ca02c",
             "legend": "moyenne café", "dash": False},
            {"value": "total1", "type": "LINE", "width": 1, "color": "#d62728",
             "legend": "total", "dash": True},
        ],
        "logarithmic": True, "ymin": 1, "ymax": 10000,
    }  # fmt: skip
    browser.put(
        browser.page_api(section="metrics"),
        {"generation": browser.get(browser.page_api(section="metrics")).json["generation"],
         "graphs": [{"definition": built, "view": {"trail": 12}}]},
    )  # fmt: skip
    mine = saved(browser, "bob")[0]["definition"]
    imported = saved(browser, "jim@zope.com")[1]["definition"]
    span = {"start": NOW - 12 * 3600, "end": NOW, "width": 900, "height": 300}
    ours, theirs = (render(browser, d, format="json", **span).json for d in (imported, mine))
    assert ours == theirs
    values = [row[1] for row in ours["rows"] if row[1] is not None]
    assert len(values) > 100 and ours["columns"] == ["moyenne café", "total"]
    png = [render(browser, d, **span).body for d in (imported, mine)]
    assert png[0] == png[1]
