"""Variables a page declares: the Variables form, the pickers, graphs following them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LOAD_HOSTS, LiveServer
from tests.browser.test_dashboard_views import query

pytestmark = pytest.mark.browser

LOAD = "metrics/$env/cimaa/load/load1"


def test_a_declared_variable_picks_the_series_of_every_graph(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("vera")
    page.goto(f"{live_server.url}/metrics/")
    expect(page).to_have_url(f"{live_server.url}/metrics/vera/default/")
    pickers = page.get_by_role("group", name="Dashboard variables")
    expect(pickers).to_be_hidden()

    # declare $env; a pattern without it is refused, said in the form, which stays open
    page.get_by_role("button", name="Variables").click()
    form = page.get_by_role("dialog", name="Page variables")
    form.get_by_label("Name of variable 1").fill("env")
    form.get_by_label("Pattern of variable 1").fill("metrics/*/cimaa/load/load1")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text(
        "Not saved: variable 1 ($env), pattern: must use $env once"
    )
    form.get_by_label("Pattern of variable 1").fill(LOAD)
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    picker = page.get_by_label("Variable env")
    expect(picker).to_have_value(LOAD_HOSTS[0])
    expect(picker.locator("option")).to_have_text(list(LOAD_HOSTS))
    saved = page.request.get(f"{live_server.url}/api/pages/metrics/vera/default").json()
    assert saved["variables"] == [{"name": "env", "pattern": LOAD}]

    # a graph of one host's load, made to follow $env: its series path and title
    page.get_by_label("Search series").fill("metrics/db1/cimaa/load/*")
    results = page.locator("#series-results li")
    expect(results).to_have_count(1)
    results.get_by_role("button", name="data").click()
    card = page.locator("article.card")
    editor = page.locator("#editor")
    source = editor.get_by_label("Series source")
    source.fill(f"{LOAD}:data")
    source.press("Enter")
    editor.locator("label", has_text="Title").locator("input").fill("load of $env")
    expect(card.locator("h3")).to_have_text("load of db1")
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    definition = page.request.get(f"{live_server.url}/api/pages/metrics/vera/default").json()[
        "graphs"
    ][0]["definition"]
    assert definition["title"] == "load of $env"
    assert [s["path"] for s in definition["series"]] == [LOAD]

    picker.select_option("web2")
    expect(card.locator("h3")).to_have_text("load of web2")
    assert "var-env=web2" in page.url
    paths = [s["path"] for s in json.loads(query(card)["graph"])["series"]]
    assert paths == ["metrics/web2/cimaa/load/load1"]
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    expect(card.locator(".graph-error")).to_be_hidden()

    page.reload()
    expect(page.get_by_label("Variable env")).to_have_value("web2")
    expect(card.locator("h3")).to_have_text("load of web2")
    expect(card.locator("img[src^='blob:']")).to_have_count(1)
    page.go_back()
    expect(page.get_by_label("Variable env")).to_have_value("db1")
    expect(card.locator("h3")).to_have_text("load of db1")


def test_a_variable_lists_what_the_one_before_it_leaves(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("walt")
    page.goto(f"{live_server.url}/metrics/")
    page.get_by_role("button", name="Variables").click()
    form = page.get_by_role("dialog", name="Page variables")
    form.get_by_label("Name of variable 1").fill("env")
    form.get_by_label("Pattern of variable 1").fill("metrics/$env/*")
    form.get_by_role("button", name="Add variable").click()
    form.get_by_label("Name of variable 2").fill("spare")
    form.get_by_role("button", name="Add variable").click()
    form.get_by_label("Name of variable 3").fill("node")
    form.get_by_label("Pattern of variable 3").fill("metrics/$env/$node/*")
    form.get_by_role("button", name="Remove variable 2").click()
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    saved = page.request.get(f"{live_server.url}/api/pages/metrics/walt/default").json()
    assert [v["name"] for v in saved["variables"]] == ["env", "node"]

    env, node = page.get_by_label("Variable env"), page.get_by_label("Variable node")
    env.select_option("fleet")
    expect(node).to_have_value("h000")
    expect(node.locator("option")).to_have_count(501)
    node.select_option("h007")
    assert "var-env=fleet" in page.url and "var-node=h007" in page.url
    # db1 has no h007: its first node is picked, and the URL says so
    env.select_option("db1")
    expect(node).to_have_value("cimaa")
    expect(node.locator("option")).to_have_text(["cimaa"])
    expect(page).to_have_url(re.compile(r"var-env=db1&var-node=cimaa"))
    page.go_back()
    expect(env).to_have_value("fleet")
    expect(node).to_have_value("h007")
