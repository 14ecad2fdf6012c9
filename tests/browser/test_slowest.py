"""A user on the tracelog dashboard opens the slowest requests of a minute from a graph
(Shift+click on the plot) and sees the slow URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from graphmetrics.collect.slowest_store import SlowestStore
from tests.browser.conftest import LiveServer, csp_violations
from tests.browser.test_dashboard import add_instance

pytestmark = pytest.mark.browser

STEM = "app1__acme__inst1"


def store_minutes(server: LiveServer) -> None:
    """Every minute of the last day: one slow request on /slow/report, its id the minute."""
    now = int(time.time()) // 60 * 60
    minutes = [
        (t, [(12.5, 12.0, 0.5, f"r{t}", "GET /slow/report", "200 123")])
        for t in range(now - 86400, now + 60, 60)
    ]
    SlowestStore(server.rrd_dir).write({STEM: minutes})


def test_shift_click_opens_the_minutes_slowest_requests(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    store_minutes(live_server)
    page = new_page("sam")
    add_instance(page, "app1", STEM)
    card = page.locator("article.card")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    box = card.locator(".plot").bounding_box()
    # whole pixels: the click's clientX (an integer) is the hover's
    x, y = round(box["x"] + box["width"] * 0.5), round(box["y"] + box["height"] * 0.4)
    page.mouse.move(x, y)
    expect(card.locator(".readout .slowest-hint")).to_have_text(
        "Shift+click: slowest requests here"
    )
    cursor = int(card.get_attribute("data-cursor-time") or "0")
    with page.context.expect_page() as opened:
        page.keyboard.down("Shift")
        page.mouse.click(x, y)
        page.keyboard.up("Shift")
    slow: Any = opened.value
    slow.js_errors = []
    slow.on("pageerror", lambda exc: slow.js_errors.append(str(exc)))
    slow.on("console", lambda msg: slow.js_errors.extend(csp_violations(msg)))
    slow.wait_for_load_state()
    query = parse_qs(urlsplit(slow.url).query)
    start, end = int(query["start"][0]), int(query["end"][0])
    assert query["instance"] == [STEM]
    # a pixel of a day's graph is a few minutes: the whole minutes under it
    assert start <= cursor < end and end - start <= 600
    minutes = range(start, end, 60)
    rows = slow.locator("#slowest-requests tbody tr")
    expect(rows).to_have_count(len(minutes))
    expect(rows.locator("td.url")).to_have_text(["/slow/report"] * len(minutes))
    expect(rows.locator("td:last-child")).to_have_text([f"r{t}" for t in minutes])
    expect(slow.locator("#slowest-patterns tbody tr td.url")).to_have_text("/slow/report")
    expect(slow.locator("#slowest-summary")).to_contain_text(
        f"{len(minutes)} requests in {len(minutes)} minutes"
    )
    # the range before, from the page's own controls
    slow.locator("#slowest-earlier").click()
    span = end - start
    expect(rows.locator("td:last-child")).to_have_text([f"r{t - span}" for t in minutes])
