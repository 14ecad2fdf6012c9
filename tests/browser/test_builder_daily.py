"""The /metrics builder for daily work: aggregates in one click, values under the cursor,
compare with the past, legend values, and the editor's fixes (issue 11)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FLEET, LOAD_HOSTS, LiveServer, tools

pytestmark = pytest.mark.browser


def builder(new_page: Callable[..., Any], live_server: LiveServer, user: str) -> Any:
    page = new_page(user)
    page.goto(f"{live_server.url}/metrics/")
    expect(page).to_have_url(f"{live_server.url}/metrics/{user}/default/")
    return page


def definition(card: Any, drawing: str | None = None) -> dict[str, Any]:
    """The definition the card draws, read from its PNG link; with ``drawing``, once
    the link has that text (edits are drawn 0.4 s after the last)."""
    link = card.get_by_role("link", name="PNG", include_hidden=True)
    if drawing is not None:
        expect(link).to_have_attribute("href", re.compile(re.escape(quote(drawing))))
    href = link.get_attribute("href")
    return json.loads(parse_qs(urlparse(href).query)["graph"][0])


def csv_header(page: Any, card: Any) -> list[str]:
    response = page.request.get(
        card.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    )
    assert response.ok, response.text()
    return response.text().splitlines()[0].split(",")


def hover_plot(page: Any, card: Any, fraction: float = 0.5) -> None:
    box = card.locator(".plot img").bounding_box()
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.4)


def test_total_across_all_matches_with_cursor_values_and_last_week(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "olga")
    page.get_by_label("Search series").fill("CIMAA load1")
    expect(page.locator("#series-results li")).to_have_count(len(LOAD_HOSTS))
    page.get_by_label("Data source of every match").select_option("data")
    page.get_by_role("button", name=f"Add all {len(LOAD_HOSTS)} matches").click()

    editor = page.locator("#editor")
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    # three load1 series: legends say which host, not three times "load1:data"
    expect(editor.get_by_label("Legend")).to_have_count(3)
    legends = [editor.get_by_label("Legend").nth(i).input_value() for i in range(3)]
    assert legends == list(LOAD_HOSTS)
    expect(editor).not_to_contain_text("null")

    editor.get_by_role("group", name="Aggregate series").get_by_role("button", name="Total").click()
    expect(editor.get_by_label("Legend")).to_have_count(1)
    expect(editor.get_by_label("Legend")).to_have_value("Total load1 (3 series)")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(card.locator(".graph-error")).to_be_hidden()
    graph = definition(card, "total1")
    assert graph["cdefs"] == [{"name": "total1", "aggregate": "TOTAL", "of": ["s1", "s2", "s3"]}]
    assert [line["value"] for line in graph["lines"]] == ["total1"]
    assert csv_header(page, card) == ["timestamp", "Total load1 (3 series)"]

    # values under the cursor: the time and the total, read from the render API's JSON
    hover_plot(page, card)
    readout = card.locator(".readout")
    expect(readout).to_be_visible()
    expect(readout.locator(".time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(readout.locator(".name")).to_have_text(["Total load1 (3 series)"])
    number = float(readout.locator(".number").inner_text())
    # each host's load1 is base + (i % 24) with bases 1, 2, 3
    assert 6 <= number <= 6 + 3 * 23
    expect(card.locator(".cursor")).to_be_visible()

    tools(card).get_by_label("Compare with the past").select_option(label="vs 1 week ago")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert definition(card)["compare"] == 604800
    assert csv_header(page, card) == [
        "timestamp",
        "Total load1 (3 series)",
        "Total load1 (3 series) (1 week ago)",
    ]
    card.get_by_role("checkbox", name="Legend values").check()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert definition(card)["legend_values"] is True
    expect(card.locator(".graph-error")).to_be_hidden()

    page.reload()
    card = page.locator("article.card")
    expect(card.get_by_label("Compare with the past")).to_have_value("604800")
    expect(card.get_by_role("checkbox", name="Legend values", include_hidden=True)).to_be_checked()
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(card.locator(".graph-error")).to_be_hidden()


def test_min_of_ticked_series_and_custom_rpn(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "pete")
    page.get_by_label("Search series").fill("load1")
    page.get_by_role("button", name=f"Add all {len(LOAD_HOSTS)} matches").click()
    editor = page.locator("#editor")
    expect(editor.get_by_label("Series name")).to_have_count(3)
    editor.get_by_label("Select all series").uncheck()
    editor.get_by_label("Select s1").check()
    editor.get_by_label("Select s2").check()
    group = editor.get_by_role("group", name="Aggregate series")
    expect(group).to_contain_text("Ticked 2 series")
    group.get_by_role("button", name="Min").click()
    expect(editor.get_by_label("Legend")).to_have_count(2)
    # nothing ticked: the series still drawn on their own, not those already in min1
    expect(group).to_contain_text("All 1 series")
    group.get_by_role("button", name="Custom RPN").click()
    expect(editor.get_by_label("RPN expression")).to_have_value("s3")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    card = page.locator("article.card")
    assert [line["value"] for line in definition(card, "expr1")["lines"]] == ["min1", "expr1"]
    expect(card.locator(".graph-error")).to_be_hidden()
    # a bad RPN is said with the graph's title and the CDEF's name, not the API's paths
    editor.get_by_label("RPN expression").fill("s3,NOSUCHOP")
    status = page.locator("#save-status")
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_contain_text("CDEF expr1 (rpn)")
    expect(status).not_to_contain_text("graphs[0]")


def test_done_right_after_choosing_a_series_draws_it(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "quinn")
    page.get_by_label("Search series").fill("metrics/web/*")
    page.locator("#series-results li").filter(has_text="metrics/web/cpu").get_by_role(
        "button", name="data"
    ).click()
    page.locator("#editor").get_by_role("button", name="Done").click()
    card = page.locator("article.card")
    expect(page.locator("#editor")).to_be_hidden()
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(card.locator(".graph-error")).to_be_hidden()
    assert definition(card)["series"][0]["path"] == "metrics/web/cpu"
    expect(page.locator("#save-status")).to_have_text("All changes saved")


def loads_page(new_page: Callable[..., Any], live_server: LiveServer, user: str) -> Any:
    """``user``'s builder with one graph of every host's load1, its lines without colours
    of their own (drawn in the palette's, by position)."""
    series = [
        {"name": f"l{n}", "path": f"metrics/{host}/cimaa/load/load1", "ds": "data"}
        for n, host in enumerate(LOAD_HOSTS)
    ]
    graph = {"title": "loads", "series": series, "lines": [{"value": s["name"]} for s in series]}
    live_server.seed_page(user, [{"definition": graph, "view": {}}], section="metrics")
    return builder(new_page, live_server, user)


def test_colour_inputs_show_the_colours_drawn(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = loads_page(new_page, live_server, "rita")
    page.locator("article.card").get_by_role("button", name="Edit").click()
    colours = page.locator("#editor").get_by_label("Colour")
    expect(colours).to_have_count(3)
    # render/graph.py's palette, by position: blue, orange, green
    assert [colours.nth(i).input_value() for i in range(3)] == ["#1f77b4", "#ff7f0e", "#2ca02c"]


def test_lines_keep_their_colours_when_moved_or_removed(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = loads_page(new_page, live_server, "rosa")
    card = page.locator("article.card")
    card.get_by_role("button", name="Edit").click()
    editor = page.locator("#editor")
    colours = editor.get_by_label("Colour")
    expect(colours).to_have_count(3)
    # the green third line goes up: it stays green, the orange one stays orange
    editor.get_by_role("button", name="Line up").nth(2).click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    drawn = definition(card, '{"value":"l1","color":"#ff7f0e"}]')["lines"]
    assert [(line["value"], line["color"]) for line in drawn] == [
        ("l0", "#1f77b4"),
        ("l2", "#2ca02c"),
        ("l1", "#ff7f0e"),
    ]
    assert [colours.nth(i).input_value() for i in range(3)] == ["#1f77b4", "#2ca02c", "#ff7f0e"]
    # the first goes: the others keep theirs
    editor.get_by_role("button", name="Remove").first.click()
    expect(colours).to_have_count(2)
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert [colours.nth(i).input_value() for i in range(2)] == ["#2ca02c", "#ff7f0e"]
    saved = page.request.get(f"{live_server.url}/api/pages/metrics/rosa/default").json()
    lines = saved["graphs"][0]["definition"]["lines"]
    assert [(line["value"], line["color"]) for line in lines] == [
        ("l2", "#2ca02c"),
        ("l1", "#ff7f0e"),
    ]


def test_tick_lines_and_reordering_in_the_editor(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "sam")
    page.get_by_label("Search series").fill("acme inst1")
    results = page.locator("#series-results li")
    expect(results).to_have_count(2)
    results.first.get_by_role("button", name="rpm").click()
    results.first.get_by_role("button", name="start").click()
    editor = page.locator("#editor")
    editor.get_by_label("Dashed").nth(1).check()
    editor.get_by_label("Line type").nth(1).select_option("TICK")
    expect(editor.get_by_label("Dashed")).to_have_count(1)
    expect(editor.get_by_label("Tick height")).to_have_count(1)
    editor.get_by_role("button", name="Line up").nth(1).click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    card = page.locator("article.card")
    lines = definition(card, '"lines":[{"value":"s2"')["lines"]
    assert [(line["value"], line["type"]) for line in lines] == [("s2", "TICK"), ("s1", "LINE")]
    assert (lines[0]["dash"], lines[0]["fraction"]) == (False, 1)
    expect(card.locator(".graph-error")).to_be_hidden()
    # re-point a series in place
    editor.get_by_label("Series source").first.fill("tracelog/app1__acme__inst2:rpm")
    editor.get_by_label("Series source").first.press("Enter")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    assert definition(card, "inst2")["series"][0]["path"] == "tracelog/app1__acme__inst2"
    expect(card.locator(".graph-error")).to_be_hidden()
    expect(card.locator("img[src^='blob:']")).to_have_count(1)


def test_customer_total_with_restart_ticks_without_typing_rpn(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "yara")
    page.get_by_label("Search series").fill("acme")
    expect(page.locator("#series-count")).to_contain_text("3 series")
    bulk = page.get_by_role("button", name="Add all 3 matches")
    page.get_by_label("Data source of every match").select_option("rpm")
    bulk.click()
    editor = page.locator("#editor")
    group = editor.get_by_role("group", name="Aggregate series")
    group.get_by_role("button", name="Total").click()
    page.get_by_label("Data source of every match").select_option("start")
    bulk.click()
    expect(group).to_contain_text("Ticked 3 series")
    group.get_by_role("button", name="Max").click()
    expect(editor.get_by_label("Legend")).to_have_count(2)
    expect(editor.get_by_label("Line type").nth(1)).to_have_value("TICK")
    card = page.locator("article.card")
    graph = definition(card, "max1")
    assert [(c["aggregate"], len(c["of"])) for c in graph["cdefs"]] == [("TOTAL", 3), ("MAX", 3)]
    assert [(ln["value"], ln["type"]) for ln in graph["lines"]] == [
        ("total1", "LINE"),
        ("max1", "TICK"),
    ]
    expect(card.locator(".graph-error")).to_be_hidden()
    assert csv_header(page, card) == ["timestamp", "Total rpm (3 series)", "restart"]


def test_too_many_matches_are_refused_with_a_message(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "zoe")
    page.get_by_label("Search series").fill("fleet cpu")
    page.get_by_role("button", name=f"Add all {FLEET} matches").click()
    expect(page.locator("#notice")).to_have_text(
        f"{FLEET} series match, a graph reads at most 500: narrow the search."
    )
    expect(page.locator("article.card")).to_have_count(0)


def test_new_graph_exports_and_a_search_in_any_word_order(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = builder(new_page, live_server, "ruth")
    # a new graph waits for its first series: no error, no broken image
    page.get_by_role("button", name="New graph").click()
    card = page.locator("article.card")
    expect(card).to_have_count(1)
    expect(page.locator("#editor")).to_contain_text("No series: pick one on the left.")
    expect(page.locator("#save-status")).not_to_have_attribute("data-state", "error")
    expect(card.locator(".plot img[src]")).to_have_count(0)
    # words in any order find the same series
    search = page.get_by_label("Search series")
    search.fill("acme inst1")
    results = page.locator("#series-results li")
    expect(results).to_have_count(2)
    found = results.all_inner_texts()
    search.fill("inst1 acme")
    expect(results).to_have_count(2)
    assert results.all_inner_texts() == found
    results.first.get_by_role("button", name="rpm").click()
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    title = definition(card)["title"]
    # exports: PNG, SVG, CSV, JSON at a size chosen; files named after the graph
    tools(card).get_by_label("Export size").select_option("1200x450")
    links = {
        name: card.get_by_role("link", name=name, include_hidden=True)
        for name in ("PNG", "SVG", "CSV", "JSON")
    }
    expect(links["PNG"]).to_have_attribute("href", re.compile("width=1200&height=450"))
    expect(links["SVG"]).to_have_attribute("href", re.compile("format=svg"))
    svg = page.request.get(links["SVG"].get_attribute("href"))
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    answer = page.request.get(links["JSON"].get_attribute("href"))
    assert answer.ok and answer.json()["rows"]
    stem = re.sub(r"[^\w-]+", "_", title).strip("_")
    expect(links["CSV"]).to_have_attribute("download", f"{stem}.csv")
