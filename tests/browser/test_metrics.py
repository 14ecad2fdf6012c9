"""The /metrics graph builder: search series, build a graph with a CDEF, reload it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_build_a_metrics_graph(new_page: Callable[..., Any], live_server: LiveServer) -> None:
    page = new_page("hank")
    page.goto(f"{live_server.url}/metrics/")
    expect(page).to_have_url(f"{live_server.url}/metrics/hank/default/")

    page.get_by_label("Search series").fill("metrics/web/*")
    results = page.locator("#series-results li")
    expect(results).to_have_count(2)
    results.filter(has_text="metrics/web/cpu").get_by_role("button", name="data").click()

    card = page.locator("article.card")
    expect(card).to_have_count(1)
    editor = page.locator("#editor")
    expect(editor).to_be_visible()
    expect(card.locator("h3")).to_have_text("web/cpu")
    results.filter(has_text="metrics/web/load").get_by_role("button", name="data").click()
    editor.get_by_role("button", name="+ CDEF").click()
    editor.get_by_label("RPN expression").fill("s1,s2,+")
    editor.get_by_role("button", name="+ Line").click()
    editor.locator("tbody tr").last.locator("select").first.select_option("c1")
    editor.get_by_label("CDEF name").fill("total")
    editor.get_by_label("CDEF name").press("Enter")
    expect(editor.locator("tbody tr").last.locator("select").first).to_have_value("total")
    title = editor.locator("label", has_text="Title").locator("input")
    title.fill("CPU plus load")
    expect(card.locator("h3")).to_have_text("CPU plus load")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    expect(card.locator(".graph-error")).to_be_hidden()
    expect(card.locator("img[src^='blob:']")).to_have_count(1)

    page.reload()
    expect(card.locator("h3")).to_have_text("CPU plus load")
    card.get_by_role("button", name="Edit").click()
    expect(editor.get_by_label("RPN expression")).to_have_value("s1,s2,+")
    csv = page.request.get(
        card.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    )
    assert csv.ok
    assert csv.text().splitlines()[0] == "timestamp,cpu:data,load:data,total"
