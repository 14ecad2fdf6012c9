"""A dashboard kept open all day (issue 24): one time zone per view, nothing lost silently."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, csp_violations
from tests.browser.test_builder_daily import hover_plot

pytestmark = pytest.mark.browser

NEW_YORK = "America/New_York"


@pytest.fixture
def zoned_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[[str, str], Any]]:
    """``zoned_page(user, zone)``: signed in as ``user`` in a browser whose zone is ``zone``."""
    contexts: list[Any] = []

    def make(user: str, zone: str) -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id=zone)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        page.on("console", lambda msg: page.js_errors.extend(csp_violations(msg)))
        page.goto(f"{live_server.url}/login?user={user}")
        return page

    yield make
    for context in contexts:
        for page in context.pages:
            assert not page.js_errors, f"JavaScript errors on {page.url}: {page.js_errors}"
        context.close()


def query(card: Any, link: str = "PNG") -> dict[str, str]:
    href = card.get_by_role("link", name=link).get_attribute("href")
    return {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}


def wall(epoch: int, zone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_one_time_zone_for_graphs_readouts_pickers_and_csv(
    zoned_page: Callable[[str, str], Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    assert (
        time.localtime().tm_gmtoff != ZoneInfo(NEW_YORK).utcoffset(datetime.now()).total_seconds()
    )
    live_server.seed_page(
        "zelda", [{"definition": instance_graph("app1__acme__inst1"), "view": {}}]
    )
    page = zoned_page("zelda", NEW_YORK)
    end = int(time.time()) // 60 * 60
    start = end - 3 * 3600
    page.goto(f"{live_server.url}/zelda/default/?start={start}&end={end}")
    card = page.locator("article.card")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    # the browser's zone by default: the image and the CSV are drawn in it, pickers show it
    expect(page.get_by_label("Time zone")).to_have_value("")
    assert query(card)["tz"] == NEW_YORK
    assert query(card, "CSV")["tz"] == NEW_YORK
    expect(card.get_by_label("From")).to_have_value(wall(start, NEW_YORK))
    expect(card.get_by_label("To")).to_have_value(wall(end, NEW_YORK))
    rows = page.request.get(card.get_by_role("link", name="CSV").get_attribute("href")).text()
    first = rows.splitlines()[1].split(",")[0]
    assert first.endswith(("-05:00", "-04:00")), first
    # the readout's time is the hovered time on that same clock
    hover_plot(page, card, 0.5)
    readout = card.locator(".readout .time")
    expect(readout).to_be_visible()
    shown = datetime.strptime(readout.inner_text(), "%Y-%m-%d %H:%M").replace(
        tzinfo=ZoneInfo(NEW_YORK)
    )
    assert abs(shown.timestamp() - int(card.get_attribute("data-cursor-time"))) <= 120

    # the user's own choice: UTC, everywhere at once, and kept for the next visit
    page.get_by_label("Time zone").select_option("UTC")
    expect(card.get_by_label("From")).to_have_value(wall(start, "UTC"))
    assert query(card)["tz"] == "UTC"
    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("UTC")
    expect(card.get_by_label("From")).to_have_value(wall(start, "UTC"))
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    assert query(card, "CSV")["tz"] == "UTC"
    # a time typed in the pickers is read on the chosen clock
    card.get_by_label("From").fill(wall(start + 3600, "UTC"))
    card.get_by_role("button", name="Go").click()
    expect(card.get_by_role("link", name="PNG")).to_have_attribute(
        "href", re.compile(f"start={start + 3600}&")
    )
