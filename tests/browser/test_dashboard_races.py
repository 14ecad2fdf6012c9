"""Edits made while a graph redraws or its settings are still loading are kept and saved."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, tools

pytestmark = pytest.mark.browser


def test_settings_typed_before_the_instance_loads_are_kept(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    live_server.seed_page("rhea", [{"definition": instance_graph("app1__acme__inst1"), "view": {}}])
    page = new_page("rhea")
    card = page.locator("article.card")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    # the instance's template (its data sources, the instance list) is held back
    held: list[Any] = []
    page.route("**/api/tracelog/graph?*", lambda route: held.append(route))
    card.get_by_role("button", name="Edit").click()
    panel = page.locator("#editor")
    expect(panel).to_be_visible()
    panel.get_by_label("Title").fill("inst1, checked")
    panel.get_by_label("Log scale").check()
    ymin = panel.get_by_label("Y min")
    ymin.select_text()  # the instance graph's own 0
    ymin.press_sequentially("5")
    page.wait_for_timeout(100)
    assert held, "the settings asked for the instance's template"
    for route in held:
        route.continue_()
    page.unroute("**/api/tracelog/graph?*")
    sources = panel.get_by_role("group", name="Data sources drawn")
    expect(sources.get_by_label("backlog")).to_be_visible()
    # the field being typed in was not replaced: the next key lands in it
    page.keyboard.type("0")
    expect(ymin).to_have_value("50")
    expect(ymin).to_be_focused()
    expect(panel.get_by_label("Title")).to_have_value("inst1, checked")
    expect(panel.get_by_label("Log scale")).to_be_checked()
    panel.get_by_role("button", name="Done").click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page_api = f"{live_server.url}/api/pages/tracelog/rhea/default"
    saved = page.request.get(page_api).json()["graphs"][0]["definition"]
    assert (saved["ymin"], saved["logarithmic"], saved["title"]) == (50, True, "inst1, checked")


def test_a_field_typed_in_keeps_its_text_when_the_graph_redraws(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    live_server.seed_page("remy", [{"definition": instance_graph("app1__acme__inst1"), "view": {}}])
    page = new_page("remy")
    card = page.locator("article.card")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    tools(card).get_by_role("button", name="Trail").click()
    expect(card.locator(".range")).to_have_text("trail: last 6 h, follows now")
    card.get_by_role("button", name="Edit").click()
    page.locator("#editor").get_by_label("Height").fill("300")
    # the settings redraw the graph 0.4 s after the last edit: type across that moment
    hours = card.get_by_label("Trail hours")
    hours.select_text()
    hours.press_sequentially("48", delay=350)
    expect(card.get_by_role("link", name="PNG", include_hidden=True)).to_have_attribute(
        "href", re.compile("height=300")
    )
    expect(hours).to_have_value("48")
    card.get_by_role("button", name="Trail").click()
    expect(card.locator(".range")).to_have_text("trail: last 48 h, follows now")
