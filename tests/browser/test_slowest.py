"""A user on the tracelog dashboard opens the slowest requests of a minute from a graph
(Shift+click on the plot) and sees the slow URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from graphmetrics.collect.slowest_store import SlowestStore
from graphmetrics.rrd.schema import POOL, TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.browser.conftest import LiveServer, csp_violations, serve
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


def test_a_customers_pool_response_time_leads_to_its_slowest_requests(
    browser: Any, tmp_path: Path
) -> None:
    """The pool graphs are offered per customer (not per host), draw the pool file, and a
    Shift+click opens the slowest requests of all the customer's instances."""
    with serve(tmp_path) as server:
        now = int(time.time()) // 60 * 60
        store = RRDStore(server.rrd_dir)
        day = range(now - 86400 + 60, now + 60, 60)
        for stem in ("app1__zeta__w1", "app2__zeta__w2"):
            store.write(f"tracelog/{stem}", TRACELOG, [(t, [10, 0, 0, 60, 0]) for t in day])
            minutes = range(now - 86400, now, 60)
            slow = {
                t: [(12.5, 12.0, 0.5, f"{stem}-{t}", "GET /zeta/export", "200 9")] for t in minutes
            }
            SlowestStore(server.rrd_dir).write({stem: list(slow.items())})
        latency = [0.1, 0.3, 2.0, 4.0, 0.05, 0.2, 1.5, 3.0, 0.01, 0.02, 0.5, 0.9, 0.8]
        store.write("pool/zeta", POOL, [(t, [20, *latency]) for t in day])

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.extend(csp_violations(msg)))
        page.goto(f"{server.url}/login?user=pat")
        menu = page.locator("#menu")
        zeta = menu.locator("details.customer", has=page.locator("summary:text-is('zeta')"))
        if zeta.get_attribute("open") is None:
            zeta.locator("summary").click()
        pools = zeta.get_by_label("zeta pools")
        expect(pools.get_by_role("button", name="Pool apdex and thread wait")).to_be_visible()
        host = zeta.locator("details.host", has=page.locator("summary:text-is('app1')"))
        host.locator("summary").click()
        expect(host.locator(".pools button").first).to_be_visible()
        assert "Pool response time" not in host.locator(".pools").inner_text()
        pools.get_by_role("button", name="Pool response time").click()
        card = page.locator("article.card")
        expect(card.locator("h3")).to_have_text("Pool response time: zeta (2 instances)")
        expect(card.locator("img[src^='blob:']")).to_have_count(1)
        box = card.locator(".plot").bounding_box()
        x, y = round(box["x"] + box["width"] * 0.5), round(box["y"] + box["height"] * 0.4)
        page.mouse.move(x, y)
        expect(card.locator(".readout .slowest-hint")).to_be_visible()
        with context.expect_page() as opened:
            page.keyboard.down("Shift")
            page.mouse.click(x, y)
            page.keyboard.up("Shift")
        slow: Any = opened.value
        slow.wait_for_load_state()
        query = parse_qs(urlsplit(slow.url).query)
        assert query["customer"] == ["zeta"] and "instance" not in query
        rows = slow.locator("#slowest-requests tbody tr")
        expect(rows.first).to_be_visible()
        ids = rows.locator("td:last-child").all_inner_texts()
        assert {i.split("-")[0] for i in ids} == {"app1__zeta__w1", "app2__zeta__w2"}
        expect(slow.locator("#slowest-patterns tbody tr td.url")).to_have_text("/zeta/export")
        # the customer's standard graphs, added at once (not "a pool too big")
        pools.get_by_role("button", name="Standard graphs").click()
        expect(page.locator("article.card")).to_have_count(7)
        expect(page.locator("article.card h3").nth(2)).to_have_text(
            "Pool response time: zeta (2 instances)"
        )
        expect(page.locator("#notice")).to_be_hidden()
        assert not errors, errors
        context.close()
