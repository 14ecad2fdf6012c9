"""Limits on what one user stores, definitions checked before saving, and the user
list in a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from webtest import TestApp

from tests.functional.web_app.conftest import Browser

SignIn = Callable[[str], Browser]


def test_pages_per_user_are_limited(make_app: Callable[..., TestApp]) -> None:
    alice = Browser(make_app(max_pages_per_user="3"), "alice")  # default tracelog page
    alice.post("/api/pages/tracelog/alice", {"name": "one"}, status=201)
    alice.post("/api/pages/metrics/alice", {"name": "two"}, status=201)
    res = alice.post("/api/pages/tracelog/alice", {"name": "three"}, status=400)
    assert "max_pages_per_user = 3" in res.json["error"]
    res = alice.post("/api/pages/tracelog/alice/one/clone", {"name": "four"}, status=400)
    assert "max_pages_per_user" in res.json["error"]
    alice.get("/metrics/alice/default/", status=200)  # a default page is always there


def test_bytes_per_page_are_limited(make_app: Callable[..., TestApp]) -> None:
    alice = Browser(make_app(max_page_bytes="1500"), "alice")
    one = {"definition": alice.definition(), "view": {"trail": 3}}
    alice.save([one], status=200)
    res = alice.save([one, one], status=400)
    assert "max_page_bytes = 1500" in res.json["error"]
    bob = Browser(TestApp(alice.app.app), "bob")
    bob.save([one])
    graph_id = bob.get(bob.page_api()).json["graphs"][0]["id"]
    clone = f"/api/pages/tracelog/bob/default/graphs/{graph_id}/clone"
    alice.post(clone, {"page": "default"}, status=400)


def test_definitions_are_checked_as_render_checks_them(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    good = alice.definition()
    cases = [
        ({"series": [{"name": "x", "path": "tracelog/a", "ds": "bad ds"}]}, ".series[0].ds"),
        ({**good, "lines": [{"value": "nope"}]}, "graphs[0].definition.lines[0].value"),
        ({**good, "cdefs": [{"name": "c", "rpn": "rpm,BOGUS"}]}, "definition.cdefs[0].rpn"),
        ({**good, "junk": {"deep": [1, 2]}}, "definition.junk: unknown key"),
        ({**good, "title": "x\ud800"}, "lone surrogate"),
        ({}, "definition.series: is required"),
    ]
    for definition, reason in cases:
        res = alice.save([{"definition": definition, "view": {}}], status=400)
        assert reason in res.json["error"], (definition, res.json)
    assert alice.get(alice.page_api()).json["graphs"] == []
    alice.save([{"definition": good, "view": {}}], status=200)


@contextmanager
def statements(app: TestApp) -> Iterator[list[str]]:
    engine = app.app.registry["graphmetrics.engine"]
    seen: list[str] = []

    def count(*args: Any) -> None:
        # the sign-in check every auth_recheck seconds depends on the clock, not the pages
        if "sign_in_generation" not in str(args[2]):
            seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_user_list_takes_the_same_queries_for_any_number_of_pages(
    signed_in: SignIn,
) -> None:
    alice = signed_in("alice")
    alice.save([{"definition": alice.definition(), "view": {}}])
    with statements(alice.app) as few:
        page = alice.get("/users/", status=200)
    assert "(1)" in page.text
    for i in range(30):
        alice.post("/api/pages/tracelog/alice", {"name": f"p{i}"}, status=201)
        signed_in(f"user{i}")
    with statements(alice.app) as many:
        page = alice.get("/users/", status=200)
    assert "p29" in page.text and "user29" in page.text
    assert len(many) == len(few), many
