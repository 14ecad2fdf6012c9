"""The tracelog dashboard for daily work: pool totals with restart ticks, one pool
headroom line, and the same time marked on every graph under the cursor (issue 11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from graphmetrics.web import tracelog
from tests.browser.conftest import LiveServer, answer, tools
from tests.browser.test_builder_daily import csv_header, definition, hover_plot
from tests.browser.test_dashboard import add_instance
from tests.functional.web_app.data import write_tracelog

pytestmark = pytest.mark.browser

TRAFFIC = ["requests/min", "errors/min", "backlog", "est. max rpm"]


def test_customer_totals_with_restarts_and_a_shared_cursor(
    new_page: Callable[..., Any],
) -> None:
    page = new_page("tess")
    acme = page.locator("details.customer", has=page.locator("summary:text-is('acme')"))
    acme.get_by_label("acme pools").get_by_role("button", name="All instances").click()
    cards = page.locator("article.card")
    expect(cards).to_have_count(1)
    total = cards.nth(0)
    expect(total.locator("h3")).to_have_text("All instances: acme (3 instances)")
    expect(total.locator("img[src^='blob:']")).to_have_count(1)
    expect(total.locator(".graph-error")).to_be_hidden()
    assert csv_header(page, total) == ["timestamp", *TRAFFIC, "restart"]
    lines = definition(total)["lines"]
    assert lines[-1]["type"] == "TICK" and lines[-1]["value"] == "start_all"

    add_instance(page, "app1", "app1__acme__inst1")
    expect(cards).to_have_count(2)
    single = cards.nth(1)
    expect(single.locator("img[src^='blob:']")).to_have_count(1)
    assert csv_header(page, single) == ["timestamp", *TRAFFIC, "restart"]

    hover_plot(page, total, 0.7)
    readout = total.locator(".readout")
    expect(readout).to_be_visible()
    expect(readout.locator(".name")).to_have_text([*TRAFFIC, "restart"])
    # the other graph marks the same time, without a readout of its own
    expect(single.locator(".cursor")).to_be_visible()
    expect(single.locator(".readout")).to_be_hidden()
    assert single.get_attribute("data-cursor-time") == total.get_attribute("data-cursor-time")

    page.mouse.move(5, 5)
    expect(total.locator(".cursor")).to_be_hidden()
    expect(single.locator(".cursor")).to_be_hidden()


def test_pool_headroom_is_one_line(new_page: Callable[..., Any]) -> None:
    page = new_page("uma")
    acme = page.locator("details.customer", has=page.locator("summary:text-is('acme')"))
    acme.get_by_label("acme pools").get_by_role("button", name="Pool headroom (%)").click()
    card = page.locator("article.card")
    expect(card.locator("h3")).to_have_text("Pool headroom (%): acme (3 instances)")
    expect(card.locator(".graph-error")).to_be_hidden()
    assert csv_header(page, card) == ["timestamp", "pool headroom %"]
    response = page.request.get(
        card.get_by_role("link", name="CSV", include_hidden=True)
        .get_attribute("href")
        .replace("csv", "json")
    )
    rows = [row for row in response.json()["rows"] if row[1] is not None]
    assert rows
    # spr is 260 per instance and rpm 120 + 60·sin(...) + 10·n: headroom between 0 and 100
    assert all(0 < row[1] < 100 for row in rows)

    tools(card).get_by_label("Compare with the past").select_option(label="vs 1 day ago")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert csv_header(page, card) == ["timestamp", "pool headroom %", "pool headroom % (1 day ago)"]


def test_tracelog_graph_settings_and_instance_changed_in_place(
    new_page: Callable[..., Any],
) -> None:
    page = new_page("vic")
    add_instance(page, "app1", "app1__acme__inst1")
    add_instance(page, "app1", "app1__acme__inst2")
    cards = page.locator("article.card")
    expect(cards).to_have_count(2)
    first, second = cards.nth(0), cards.nth(1)
    expect(first.locator("img[src^='blob:']")).to_have_count(1)
    first.get_by_role("button", name="Edit").click()
    panel = page.locator("#editor")
    expect(panel).to_be_visible()
    panel.get_by_label("Y min").fill("50")
    panel.get_by_label("Log scale").check()
    panel.get_by_label("Height").fill("400")
    panel.get_by_label("Step").select_option(label="5 min")
    sources = panel.get_by_role("group", name="Data sources drawn")
    sources.get_by_label("backlog").uncheck()
    sources.get_by_label("errors/min").uncheck()
    panel.get_by_label("Instance").select_option("app2__acme__inst1")
    expect(first.locator("h3")).to_have_text("acme app2/inst1")
    panel.get_by_role("button", name="Done").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#save-status")).to_have_text("All changes saved")

    graph = definition(first)
    assert (graph["ymin"], graph["logarithmic"]) == (50, True)
    assert {s["path"] for s in graph["series"]} == {"tracelog/app2__acme__inst1"}
    assert [line["legend"] for line in graph["lines"]] == [
        "requests/min",
        "est. max rpm",
        "restart",
    ]
    png = first.get_by_role("link", name="PNG", include_hidden=True).get_attribute("href")
    assert "step=300" in png and "height=400" in png
    expect(first.locator("img[src^='blob:']")).to_have_count(1)
    expect(first.locator(".graph-error")).to_be_hidden()
    assert first.locator("img").evaluate("img => img.naturalHeight") == 400

    # "apply to all" copies range, step, y limits and log scale
    tools(first).get_by_role("button", name="1w", exact=True).click()
    first.get_by_role("button", name="Apply this range to all graphs").click()
    expect(second.locator(".range")).to_have_text("last 1w")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    other = definition(second)
    assert (other["ymin"], other["logarithmic"]) == (50, True)
    assert "step=300" in second.get_by_role("link", name="PNG", include_hidden=True).get_attribute(
        "href"
    )

    page.reload()
    first = page.locator("article.card").nth(0)
    expect(first.locator("h3")).to_have_text("acme app2/inst1")
    assert "height=400" in first.get_by_role("link", name="PNG", include_hidden=True).get_attribute(
        "href"
    )


def test_page_range_in_the_url_and_per_graph_reload(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    graphs = [
        {"definition": instance_graph("app1__acme__inst1"), "view": {"trail": 2}},
        {"definition": instance_graph("app3__beta__web1"), "view": {}},
    ]
    live_server.seed_page("wes", graphs)
    page = new_page("wes")
    cards = page.locator("article.card")
    expect(cards.locator(".range")).to_have_text(["trail: last 2 h, follows now", "last 1d"])
    picker = page.get_by_role("group", name="Time range of every graph")
    picker.get_by_role("button", name="1w", exact=True).click()
    expect(cards.locator(".range")).to_have_text(["last 1w", "last 1w"])
    assert page.url == f"{live_server.url}/wes/default/?start=-7d&end=now"
    page.reload()
    expect(cards.locator(".range")).to_have_text(["last 1w", "last 1w"])
    expect(picker.get_by_role("button", name="1w", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(cards.locator("img[src^='blob:']")).to_have_count(2)

    loaded = cards.nth(1).get_attribute("data-loaded")
    cards.nth(1).get_by_role("button", name="Reload graph").click()
    expect(cards.nth(1)).not_to_have_attribute("data-loaded", loaded)

    # a narrower window draws the graphs again at their new width
    width = cards.nth(0).locator("img").evaluate("img => img.naturalWidth")
    page.set_viewport_size({"width": 900, "height": 1000})
    page.wait_for_function(
        "w => document.querySelector('article.card img').naturalWidth !== w",
        arg=width,
        timeout=5000,
    )


def test_duplicate_rename_and_undo(new_page: Callable[..., Any], live_server: LiveServer) -> None:
    page = new_page("xena")
    add_instance(page, "app1", "app1__acme__inst1")
    add_instance(page, "app1", "app1__acme__inst2")
    cards = page.locator("article.card")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_enabled()

    cards.nth(0).get_by_role("button", name="Remove graph").click()
    expect(cards.locator("h3")).to_have_text(["acme app1/inst2"])
    undo.click()
    expect(cards.locator("h3")).to_have_text(["acme app1/inst1", "acme app1/inst2"])
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.reload()
    expect(cards.locator("h3")).to_have_text(["acme app1/inst1", "acme app1/inst2"])

    page.get_by_role("button", name="Duplicate").click()
    answer(page, "shift")
    expect(page).to_have_url(f"{live_server.url}/xena/shift/")
    expect(cards.locator("h3")).to_have_text(["acme app1/inst1", "acme app1/inst2"])

    page.get_by_role("button", name="Rename").click()
    answer(page, "night-shift")
    expect(page).to_have_url(f"{live_server.url}/xena/night-shift/")
    expect(page.get_by_role("navigation", name="xena's pages").get_by_role("link")).to_have_text(
        ["default", "night-shift"]
    )
    expect(cards).to_have_count(2)


def test_a_big_pool_is_split_over_graphs_and_says_so(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    stems = tuple(f"big{n // 10}__mega__i{n:02}" for n in range(tracelog.MAX_POOL + 1))
    write_tracelog(live_server.rrd_dir, hours=1, instances=stems)
    try:
        page = new_page("yves")
        mega = page.locator("details.customer", has=page.locator("summary:text-is('mega')"))
        mega.get_by_label("mega pools").get_by_role("button", name="Compare requests/min").click()
        cards = page.locator("article.card")
        expect(cards.locator("h3")).to_have_text(
            [
                "Compare requests/min: mega, instances 1–40 of 41",
                "Compare requests/min: mega, instances 41–41 of 41",
            ]
        )
        expect(page.locator("#notice")).to_contain_text("split over 2 graphs")
        expect(cards.locator("img[src^='blob:']")).to_have_count(2)
        expect(cards.locator(".graph-error")).to_have_count(2)
        for i in range(2):
            expect(cards.nth(i).locator(".graph-error")).to_be_hidden()
        # the totals of all 41 fit one graph
        mega.get_by_label("mega pools").get_by_role("button", name="All instances").click()
        expect(cards.nth(2).locator("h3")).to_have_text("All instances: mega (41 instances)")
        expect(cards.nth(2).locator("img[src^='blob:']")).to_have_count(1)
        expect(cards.nth(2).locator(".graph-error")).to_be_hidden()

    finally:  # the live server is shared: other tests count its customers
        for stem in stems:
            (live_server.rrd_dir / "tracelog" / f"{stem}.rrd").unlink(missing_ok=True)


def test_a_title_of_ones_own_stays_when_the_instance_changes(
    new_page: Callable[..., Any],
) -> None:
    page = new_page("vera")
    add_instance(page, "app1", "app1__acme__inst1")
    card = page.locator("article.card")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    card.get_by_role("button", name="Edit").click()
    panel = page.locator("#editor")
    # the instance's own title follows the instance
    panel.get_by_label("Instance").select_option("app1__acme__inst2")
    expect(card.locator("h3")).to_have_text("acme app1/inst2")
    expect(panel.get_by_label("Title")).to_have_value("acme app1/inst2")
    # a title of the user's own stays
    panel.get_by_label("Title").fill("front door")
    panel.get_by_label("Instance").select_option("app2__acme__inst1")
    expect(panel.get_by_label("Title")).to_have_value("front door")
    panel.get_by_role("button", name="Done").click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    graph = definition(card)
    assert graph["title"] == "front door"
    assert {s["path"] for s in graph["series"]} == {"tracelog/app2__acme__inst1"}
