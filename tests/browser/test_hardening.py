"""What a person sees of the hardening: the menu found by searching, signing out with
the button (a POST), the CSP in force without breaking a page, and no framing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_menu_search_finds_and_adds_an_instance(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("lena")
    menu = page.locator("#menu")
    expect(menu.locator("details.customer")).to_have_count(2)
    expect(menu.locator("details.host")).to_have_count(3)  # customers open, hosts not
    expect(menu.locator("button.instance")).to_have_count(0)

    page.get_by_label("Find an instance").fill("WEB1")
    results = page.locator("#menu-results")
    expect(results.get_by_role("button")).to_have_count(1)
    expect(page.locator("#menu-tree")).to_be_hidden()
    results.get_by_role("button", name="Add a graph of app3__beta__web1").click()
    card = page.locator("article.card")
    expect(card.locator("h3")).to_have_text("beta app3/web1")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(page.locator("#save-status")).to_have_text("All changes saved")

    page.get_by_label("Find an instance").fill("nothing-like-this")
    expect(results).to_contain_text("Nothing matches")
    page.get_by_label("Find an instance").fill("")
    expect(page.locator("#menu-tree")).to_be_visible()


def test_sign_out_button_ends_the_sign_in(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("mona")
    expect(page).to_have_url(f"{live_server.url}/mona/default/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    page.goto(f"{live_server.url}/mona/default/")
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/login?next=")))

    page.goto(f"{live_server.url}/login?user=mona")
    page.goto(f"{live_server.url}/logout")  # a link or an <img> only asks
    expect(page.get_by_role("button", name="Sign out mona")).to_be_visible()
    page.goto(f"{live_server.url}/mona/default/")
    expect(page.locator(".account .who")).to_have_text("Signed in as mona")


def test_pages_work_under_the_csp(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    """Every page used, and no CSP violation (the fixture fails on any it saw)."""
    live_server.seed_page("nora", [{"definition": instance_graph("app1__acme__inst1"), "view": {}}])
    page = new_page("nora")
    expect(page.locator("article.card img[src^='blob:']")).to_have_count(1)
    page.goto(f"{live_server.url}/users/")
    expect(page.get_by_role("link", name="default").first).to_be_visible()
    page.goto(f"{live_server.url}/metrics/")
    page.get_by_role("button", name="New graph").click()
    expect(page.locator("#editor")).to_be_visible()
    expect(page.locator("#editor input[type=number]").first).to_be_visible()
    page.goto(f"{live_server.url}/logout")
    expect(page.get_by_role("button", name="Sign out nora")).to_be_visible()


def test_a_signed_in_dashboard_cannot_be_framed(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login?user=olga")
        expect(page.locator(".account .who")).to_have_text("Signed in as olga")
        page.set_content(f'<iframe id="f" src="{live_server.url}/olga/default/"></iframe>')
        framed = page.frames[1]  # same site as the dashboard, which still refuses
        assert framed.url.startswith("chrome-error://"), framed.url
        assert "Signed in as" not in framed.content()
    finally:
        context.close()
