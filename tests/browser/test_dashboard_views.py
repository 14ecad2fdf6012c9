"""A dashboard kept open all day (issue 24): one time zone per view, nothing lost silently."""

from __future__ import annotations

import json
import re
import shutil
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


def test_every_edit_persists_and_the_url_agrees(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    graphs = [
        {"definition": instance_graph("app1__acme__inst1"), "view": {}},
        {"definition": instance_graph("app2__acme__inst1"), "view": {}},
    ]
    live_server.seed_page("yara", graphs)
    page = new_page("yara")
    page.goto(f"{live_server.url}/yara/default/?start=-6h&end=now")
    cards = page.locator("article.card")
    first = cards.nth(0)
    expect(first.locator("img[src^='blob:']")).to_have_count(1)
    first.get_by_role("button", name="Edit").click()
    panel = page.locator("#editor")
    # edits spread over several redraws (each replaces the card's view) all land
    panel.get_by_label("Y max").fill("200")
    page.wait_for_timeout(600)
    panel.get_by_label("Height").fill("500")
    page.wait_for_timeout(600)
    panel.get_by_label("Step").select_option(label="1 h")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.wait_for_function(
        "() => document.querySelector('article.card img').naturalHeight === 500", timeout=5000
    )
    assert query(first)["step"] == "3600"
    panel.get_by_role("button", name="Done").click()

    # "apply to all" moves the page range in the URL too
    first.get_by_role("button", name="1w", exact=True).click()
    first.get_by_role("button", name="Apply this range to all graphs").click()
    expect(cards.locator(".range")).to_have_text(["last 1w", "last 1w"])
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert page.url == f"{live_server.url}/yara/default/?start=-7d&end=now"
    picker = page.get_by_role("group", name="Time range of every graph")
    expect(picker.get_by_role("button", name="1w", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(picker.get_by_role("button", name="6h", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    page.reload()
    expect(cards.locator(".range")).to_have_text(["last 1w", "last 1w"])
    saved = query(cards.nth(0))
    assert (saved["height"], saved["step"]) == ("500", "3600")
    assert json.loads(saved["graph"])["ymax"] == 200


def test_missing_series_are_named_and_tokens_are_made_once(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    gone = live_server.rrd_dir / "metrics" / "soon" / "gone.rrd"
    gone.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(live_server.rrd_dir / "metrics" / "web" / "cpu.rrd", gone)
    series = [{"name": "s1", "path": "metrics/soon/gone", "ds": "data"}]
    kept = [{"name": "s1", "path": "metrics/web/cpu", "ds": "data"}]
    live_server.seed_page(
        "zack",
        [
            {"definition": {"title": "vanishing", "series": series}, "view": {}},
            {"definition": {"title": "cpu", "series": kept}, "view": {}},
        ],
        section="metrics",
    )
    gone.unlink()
    page = new_page("zack")
    page.goto(f"{live_server.url}/metrics/zack/default/")
    cards = page.locator("article.card")
    # the graph whose file vanished says which series, with no broken image
    message = cards.nth(0).locator(".graph-error")
    expect(message).to_contain_text("metrics/soon/gone")
    expect(message).to_contain_text("missing")
    expect(cards.nth(0).locator("img[src]")).to_have_count(0)
    expect(cards.nth(1).locator("img[src^='blob:']")).to_have_count(1)

    # a typo'd path is refused when saved, said beside the editor; the page keeps the rest
    cards.nth(1).get_by_role("button", name="Edit").click()
    source = page.locator("#editor").get_by_label("Series source")
    source.fill("metrics/nope/none:data")
    source.press("Enter")
    refusal = page.locator("#save-error")
    expect(refusal).to_contain_text("metrics/nope/none")
    expect(refusal).to_contain_text("no such series")
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    source.fill("metrics/web/load:data")
    source.press("Enter")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    expect(refusal).to_be_hidden()

    # tokens: made once (a reload only shows the list), copied with a button
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/tokens/")
    page.get_by_label("Name").fill("grafana")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("table.listing tbody tr")).to_have_count(1)
    expect(page.locator("table.listing tbody tr")).to_contain_text("grafana")
