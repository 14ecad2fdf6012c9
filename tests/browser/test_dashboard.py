"""A signed-in user builds, changes and reloads a tracelog dashboard in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, LiveServer, answer, tools

pytestmark = pytest.mark.browser


def add_instance(page: Any, host: str, stem: str) -> None:
    menu = page.locator("#menu")
    host_details = menu.locator(
        "details.host", has=page.locator(f"summary:text-is('{host}')")
    ).first
    if host_details.get_attribute("open") is None:
        host_details.locator("summary").click()
    menu.get_by_role("button", name=f"Add a graph of {stem}").click()


def test_build_dashboard_change_range_reload(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("carol")
    expect(page).to_have_url(f"{live_server.url}/carol/default/")
    expect(page.locator("#empty")).to_be_visible()

    add_instance(page, "app1", "app1__acme__inst1")
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    expect(card.locator("h3")).to_have_text("acme app1/inst1")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(page.locator("#save-status")).to_have_text("All changes saved")

    tools(card).get_by_role("button", name="1w", exact=True).click()
    expect(
        card.get_by_role("button", name="1w", exact=True, include_hidden=True)
    ).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    expect(card.locator(".range")).to_have_text("last 1w")

    page.reload()
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    expect(
        card.get_by_role("button", name="1w", exact=True, include_hidden=True)
    ).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".range")).to_have_text("last 1w")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    assert card.locator("img").evaluate("img => img.naturalWidth") > 300

    refresh = page.locator("#refresh-toggle")
    expect(refresh).to_have_attribute("aria-pressed", "true")
    refresh.click()
    expect(refresh).to_have_text("Auto-refresh paused")

    png = card.get_by_role("link", name="PNG", include_hidden=True).get_attribute("href")
    csv = card.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    assert "start=-7d" in png and "format=csv" in csv
    response = page.request.get(csv)
    assert response.ok and response.text().startswith("timestamp,requests/min")

    share = card.get_by_role("link", name="Link", include_hidden=True).get_attribute("href")
    graph_id = card.get_attribute("data-graph-id")
    assert share == f"{live_server.url}/carol/default/?graph={graph_id}&start=-7d&end=now"
    page.goto(share.replace("start=-7d&end=now", "trail=4"))
    expect(card.locator(".range")).to_have_text("trail: last 4 h, follows now")
    expect(card).to_have_class(re.compile(r"\bselected\b"))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))


def test_pools_trail_zoom_and_apply_to_all(new_page: Callable[..., Any]) -> None:
    page = new_page("dora")
    page.locator("details.customer").first.get_by_role("button", name="Headroom %").click()
    add_instance(page, "app2", "app2__acme__inst1")
    cards = page.locator("article.card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator("h3")).to_have_text("Headroom %: acme")
    expect(page.locator("img[src^='blob:']")).to_have_count(2)

    first, second = cards.nth(0), cards.nth(1)
    tools(first).get_by_label("Trail hours").fill("3")
    first.get_by_role("button", name="Trail").click()
    expect(first.locator(".range")).to_have_text("trail: last 3 h, follows now")

    box = second.locator(".plot").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.35, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    expect(second.locator(".range")).to_contain_text("→")
    zoomed = second.locator(".range").inner_text()

    tools(second).get_by_role("button", name="Apply this range to all graphs").click()
    expect(first.locator(".range")).to_have_text(zoomed)
    expect(page.locator("#save-status")).to_have_text("All changes saved")

    tools(first).get_by_role("button", name="Move down").click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.reload()
    expect(cards.nth(0).locator("h3")).to_have_text("acme app2/inst1")
    expect(cards.nth(1).locator(".range")).to_have_text(zoomed)


def test_other_users_page_read_only_and_clone(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    live_server.seed_page(
        "erin", [{"definition": instance_graph("app3__beta__web1"), "view": {"trail": 2}}]
    )
    page = new_page("frank")
    expect(page.locator("#empty")).to_be_visible()
    page.locator("#user-switch").select_option(label="erin")
    expect(page).to_have_url(f"{live_server.url}/erin/default/")
    expect(page.locator("#readonly-banner")).to_contain_text("read-only")
    expect(page.locator("#menu")).to_have_count(0)
    card = page.locator("article.card")
    expect(card.locator("h3")).to_have_text("beta app3/web1")
    expect(card.get_by_role("button", name="Remove graph")).to_have_count(0)

    card.get_by_role("button", name="Clone to my page").click()
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Cloned “beta app3/web1” into your page default")
    notice.get_by_role("link", name="Open it").click()
    expect(page).to_have_url(f"{live_server.url}/frank/default/")
    mine = page.locator("article.card")
    expect(mine).to_have_count(1)
    expect(mine.locator(".range")).to_have_text("trail: last 2 h, follows now")
    expect(mine.get_by_role("button", name="Remove graph")).to_have_count(1)


def test_stale_tab_reloads_instead_of_overwriting(new_page: Callable[..., Any]) -> None:
    first = new_page("gina")
    second = first.context.new_page()
    second.js_errors = []
    second.goto(first.url)
    add_instance(first, "app1", "app1__acme__inst1")
    expect(first.locator("#save-status")).to_have_text("All changes saved")

    add_instance(second, "app1", "app1__acme__inst2")
    expect(second.locator("article.card h3")).to_have_text(["acme app1/inst1"], timeout=15_000)


COUNT_RENDERS = """
window.renderCalls = 0;
const realFetch = window.fetch.bind(window);
window.fetch = (url, init) => {
  if (String(url).includes("/render?")) window.renderCalls += 1;
  return realFetch(url, init);
};
"""


def test_auto_refresh_every_minute_and_pause(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    live_server.seed_page("ivan", [{"definition": instance_graph("app1__acme__inst2"), "view": {}}])
    page = new_page("ivan")
    page.add_init_script(COUNT_RENDERS)
    page.clock.install()
    page.reload()
    expect(page.locator("img[src^='blob:']")).to_have_count(1)
    assert page.evaluate("window.renderCalls") == 1
    page.clock.run_for(59_000)
    assert page.evaluate("window.renderCalls") == 1
    page.clock.run_for(2_000)
    assert page.evaluate("window.renderCalls") == 2

    page.get_by_role("button", name="Auto-refresh on").click()
    page.clock.run_for(180_000)
    assert page.evaluate("window.renderCalls") == 2
    page.get_by_role("button", name="Auto-refresh paused").click()
    page.clock.run_for(61_000)
    assert page.evaluate("window.renderCalls") == 3


def test_new_page_clone_page_and_delete(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    live_server.seed_page("judy", [{"definition": instance_graph("app2__acme__inst1"), "view": {}}])
    page = new_page("kim")
    page.get_by_role("button", name="+ Page").click()
    answer(page, "ops")
    expect(page).to_have_url(f"{live_server.url}/kim/ops/")
    expect(page.get_by_role("navigation", name="kim's pages").get_by_role("link")).to_have_text(
        ["default", "ops"]
    )

    page.goto(f"{live_server.url}/judy/default/")
    page.get_by_role("button", name="Clone page").click()
    answer(page, "from-judy")
    expect(page).to_have_url(f"{live_server.url}/kim/from-judy/")
    expect(page.locator("article.card h3")).to_have_text(["acme app2/inst1"])

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete page").click()
    expect(page).to_have_url(f"{live_server.url}/kim/default/")
    expect(page.get_by_role("navigation", name="kim's pages").get_by_role("link")).to_have_text(
        ["default", "ops"]
    )
