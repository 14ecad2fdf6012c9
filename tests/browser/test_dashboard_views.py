"""A dashboard kept open all day (issue 24): one time zone per view, nothing lost silently,
readable graphs."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web import tracelog
from tests.browser.conftest import LiveServer, csp_violations, tools
from tests.browser.test_builder_daily import hover_plot
from tests.functional.web_app.data import write_tracelog

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
    href = card.get_by_role("link", name=link, include_hidden=True).get_attribute("href")
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
    rows = page.request.get(
        card.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    ).text()
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
    tools(card).get_by_label("From").fill(wall(start + 3600, "UTC"))
    card.get_by_role("button", name="Go").click()
    expect(card.get_by_role("link", name="PNG", include_hidden=True)).to_have_attribute(
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
    tools(first).get_by_role("button", name="1w", exact=True).click()
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


def write_restarts(rrd_dir: Path) -> list[str]:
    """Two instances of customer "rst"; the second restarts in every minute from 4 to 2
    hours ago (so a hover in the middle of a 6-hour graph finds one)."""
    end = int(time.time()) // 60 * 60
    store = RRDStore(rrd_dir)
    stems = ["app9__rst__inst1", "app9__rst__inst2"]
    for n, stem in enumerate(stems):
        samples = []
        for i in range(6 * 60):
            ts = end - (6 * 60 - i) * 60
            restart = int(n == 1 and 120 <= i <= 240)
            samples.append((ts, (100.0 + 10 * n, 0, 0, 4000.0, restart)))
        store.write(f"tracelog/{stem}", TRACELOG, samples)
    return stems


def test_readable_graphs_legend_theme_units_and_restarts(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    stems = write_restarts(live_server.rrd_dir)
    try:
        pool = tracelog.total_graph("all", "rst", [tracelog.parse_stem(s) for s in stems])
        graphs = [
            {"definition": pool, "view": {"start": "-6h", "end": "now"}},
            {"definition": instance_graph("app1__acme__inst1"), "view": {}},
        ]
        live_server.seed_page("yuri", graphs)
        page = new_page("yuri")
        cards = page.locator("article.card")
        total, single = cards.nth(0), cards.nth(1)
        expect(total.locator("img[src^='blob:']")).to_have_count(1)

        # a restart in a pool graph names the instance that restarted
        hover_plot(page, total, 0.5)
        expect(total.locator(".readout .restarted")).to_have_text("restarted: app9/inst2")
        page.mouse.move(5, 5)

        # est. max rpm (4000) squashes requests (~100): hide it with a click on its legend
        legend = total.get_by_role("group", name=re.compile("^Lines"))
        legend.get_by_role("button", name="est. max rpm").click()
        expect(legend.get_by_role("button", name="est. max rpm")).to_have_attribute(
            "aria-pressed", "false"
        )
        drawn = [line["legend"] for line in json.loads(query(total)["graph"])["lines"]]
        assert "est. max rpm" not in drawn and "requests/min" in drawn
        # Shift+click: only that line; the hidden lines are kept with the graph
        single_legend = single.get_by_role("group", name=re.compile("^Lines"))
        single_legend.get_by_role("button", name="requests/min").click(modifiers=["Shift"])
        expect(single_legend.get_by_role("button", name="backlog")).to_have_attribute(
            "aria-pressed", "false"
        )
        assert [ln["legend"] for ln in json.loads(query(single)["graph"])["lines"]] == [
            "requests/min"
        ]
        expect(page.locator("#save-status")).to_have_text("All changes saved")
        csv = page.request.get(
            single.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
        ).text()
        assert csv.splitlines()[0] == "timestamp,requests/min"

        # units and decimals per graph, saved with it
        single.get_by_role("button", name="Edit").click()
        numbers = page.locator("#editor").get_by_role("group", name="Numbers")
        numbers.get_by_label("Unit").fill("req/min")
        numbers.get_by_label("Decimals").fill("0")
        expect(numbers.get_by_label("SI prefixes")).not_to_be_checked()
        page.locator("#editor").get_by_role("button", name="Done").click()
        expect(page.locator("#save-status")).to_have_text("All changes saved")

        # a pool graph chooses the data sources it draws too
        total.get_by_role("button", name="Edit").click()
        drawn_sources = page.locator("#editor").get_by_role("group", name="Data sources drawn")
        expect(drawn_sources.get_by_label("est. max rpm")).not_to_be_checked()
        drawn_sources.get_by_label("errors/min").uncheck()
        expect(legend.get_by_role("button", name="errors/min")).to_have_attribute(
            "aria-pressed", "false"
        )
        page.keyboard.press("Escape")
        expect(page.locator("#editor")).to_be_hidden()
        expect(page.locator("#save-status")).to_have_text("All changes saved")

        # the dark theme, for this user, on every graph
        page.get_by_label("Theme").select_option("dark")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(total.get_by_role("link", name="PNG", include_hidden=True)).to_have_attribute(
            "href", re.compile("theme=dark")
        )
        page.reload()
        expect(page.get_by_label("Theme")).to_have_value("dark")
        expect(cards.nth(1).locator("img[src^='blob:']")).to_have_count(1)
        page_api = f"{live_server.url}/api/pages/tracelog/yuri/default"
        stored = page.request.get(page_api).json()["graphs"][1]
        saved = stored["definition"]
        assert (saved["unit"], saved["decimals"], saved["si"]) == ("req/min", 0, False)
        assert stored["view"]["hidden"] == ["epm", "bl", "spr", "restarts"]
        drawn = json.loads(query(cards.nth(1))["graph"])["lines"]
        assert [line["legend"] for line in drawn] == ["requests/min"]
        expect(
            cards.nth(0)
            .get_by_role("group", name=re.compile("^Lines"))
            .get_by_role("button", name="est. max rpm")
        ).to_have_attribute("aria-pressed", "false")
    finally:  # the live server is shared: other tests count its customers
        for stem in stems:
            (live_server.rrd_dir / "tracelog" / f"{stem}.rrd").unlink(missing_ok=True)


def test_dense_pages_zoom_history_offsets_and_keys(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    stems = ["app1__acme__inst1", "app1__acme__inst2", "app2__acme__inst1", "app3__beta__web1"]
    graphs = [{"definition": instance_graph(stems[i % 4]), "view": {}} for i in range(9)]
    live_server.seed_page("xavi", graphs)
    page = new_page("xavi", viewport={"width": 1600, "height": 1000})
    cards = page.locator("article.card")
    expect(cards.locator("img[src^='blob:']")).to_have_count(9)
    boxes = [cards.nth(i).bounding_box() for i in range(9)]
    # 1600×1000: all nine graphs on the screen, three a row
    assert all(b["y"] + b["height"] <= 1000 and b["x"] + b["width"] <= 1600 for b in boxes)
    assert len({round(b["y"]) for b in boxes}) == 3

    # per-graph width, kept with the graph
    first = cards.nth(0)
    tools(first).get_by_label("Graph width").select_option("full")
    expect(first).to_have_attribute("data-span", "full")
    assert first.bounding_box()["width"] > 2.5 * boxes[1]["width"]
    first.get_by_role("button", name="More controls").click()

    # zoom out with a double-click; Back and Forward go through the ranges, in the URL
    second = cards.nth(1)
    second.locator(".plot img").dblclick()
    expect(second.locator(".range")).to_have_text("last 2d")
    assert "start=-172800s" in page.url
    page.go_back()
    expect(second.locator(".range")).to_have_text("last 1d")
    page.go_forward()
    expect(second.locator(".range")).to_have_text("last 2d")

    # compare with any offset
    tools(second).get_by_label("Compare offset").fill("-2w")
    second.get_by_label("Compare offset").press("Enter")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert json.loads(query(second)["graph"])["compare"] == 14 * 86400
    header = page.request.get(
        second.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    )
    assert "requests/min (2 weeks ago)" in header.text().splitlines()[0]
    expect(second.get_by_role("link", name="CSV", include_hidden=True)).to_have_attribute(
        "download", "acme_app1_inst2.csv"
    )

    # keyboard: Escape closes the editor, Ctrl+Z undoes; the keys are listed
    cards.nth(2).get_by_role("button", name="Edit").click()
    expect(page.locator("#editor")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#editor")).to_be_hidden()
    cards.nth(8).get_by_role("button", name="Remove graph").click()
    expect(cards).to_have_count(8)
    page.locator("body").click(position={"x": 5, "y": 990})
    page.keyboard.press("Control+z")
    expect(cards).to_have_count(9)
    page.get_by_text("Keys", exact=True).click()
    expect(page.locator(".shortcuts dl")).to_contain_text("Ctrl+Z")


def test_dashboard_variables_pick_the_customer_for_every_graph(
    new_page: Callable[..., Any],
    live_server: LiveServer,
    instance_graph: Callable[[str], dict[str, Any]],
) -> None:
    write_tracelog(live_server.rrd_dir, hours=2, instances=("app1__beta__inst1",))
    try:
        live_server.seed_page(
            "wanda", [{"definition": instance_graph("app1__acme__inst1"), "view": {}}]
        )
        page = new_page("wanda")
        card = page.locator("article.card")
        expect(card.locator("img[src^='blob:']")).to_have_count(1)
        expect(page.get_by_role("group", name="Dashboard variables")).to_be_hidden()
        # the graph follows the page's $customer: one picker for the page, values from the files
        card.get_by_role("button", name="Edit").click()
        page.locator("#editor").get_by_role("button", name="Follow $customer").click()
        picker = page.get_by_label("Variable customer")
        expect(picker).to_have_value("acme")
        expect(card.locator("h3")).to_have_text("acme app1/inst1")
        expect(page.locator("#save-status")).to_have_text("All changes saved")
        saved = page.request.get(f"{live_server.url}/api/pages/tracelog/wanda/default").json()
        definition = saved["graphs"][0]["definition"]
        assert definition["title"] == "$customer app1/inst1"
        assert {s["path"] for s in definition["series"]} == {"tracelog/app1__$customer__inst1"}

        picker.select_option("beta")
        expect(card.locator("h3")).to_have_text("beta app1/inst1")
        assert "var-customer=beta" in page.url
        paths = {s["path"] for s in json.loads(query(card)["graph"])["series"]}
        assert paths == {"tracelog/app1__beta__inst1"}
        expect(card.locator("img[src^='blob:']")).to_have_count(1)
        expect(card.locator(".graph-error")).to_be_hidden()
        page.reload()
        expect(page.get_by_label("Variable customer")).to_have_value("beta")
        expect(card.locator("h3")).to_have_text("beta app1/inst1")
        page.go_back()
        expect(page.get_by_label("Variable customer")).to_have_value("acme")
        expect(card.locator("h3")).to_have_text("acme app1/inst1")
    finally:  # the live server is shared: other tests count its customers
        (live_server.rrd_dir / "tracelog" / "app1__beta__inst1.rrd").unlink(missing_ok=True)
