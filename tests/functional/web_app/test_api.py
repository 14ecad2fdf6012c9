"""The page API: auto-save with generations, ownership, cloning, and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.functional.web_app.conftest import Browser

SignIn = Callable[[str], Browser]


def graph(alice: Browser, stem: str = "app1__acme__inst1", **view: Any) -> dict[str, Any]:
    return {"definition": alice.definition(stem), "view": view or {"start": "-1d", "end": "now"}}


def test_save_and_read_back_keeps_order_and_ids(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    first = alice.save([graph(alice), graph(alice, "app2__acme__inst1", trail=6)]).json
    assert first["generation"] == 2
    ids = [g["id"] for g in first["graphs"]]
    swapped = [
        dict(first["graphs"][1]),
        dict(first["graphs"][0], view={"start": "-7d", "end": "now"}),
    ]
    second = alice.put(alice.page_api(), {"generation": 2, "graphs": swapped}).json
    assert [g["id"] for g in second["graphs"]] == ids[::-1]
    again = alice.get(alice.page_api()).json
    assert again["generation"] == 3
    assert [g["view"] for g in again["graphs"]] == [{"trail": 6}, {"start": "-7d", "end": "now"}]
    assert again["graphs"][1]["definition"]["series"][0]["path"] == "tracelog/app1__acme__inst1"


def test_stale_generation_is_409_and_changes_nothing(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    alice.save([graph(alice)])
    res = alice.put(alice.page_api(), {"generation": 1, "graphs": []}, status=409)
    assert res.json["generation"] == 2
    assert "reload" in res.json["error"]
    assert len(alice.get(alice.page_api()).json["graphs"]) == 1


def test_only_the_owner_writes(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    alice.save([graph(alice)])
    bob = signed_in("bob")
    page = bob.get(bob.page_api("alice")).json
    assert len(page["graphs"]) == 1
    res = bob.put(
        bob.page_api("alice"), {"generation": page["generation"], "graphs": []}, status=403
    )
    assert "only alice can change" in res.json["error"]
    bob.post("/api/pages/tracelog/alice", {"name": "mine"}, status=403)
    bob.delete(bob.page_api("alice"), {"generation": page["generation"]}, status=403)
    assert len(alice.get(alice.page_api()).json["graphs"]) == 1


def test_writes_without_csrf_token_are_refused(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    res = alice.app.put_json(alice.page_api(), {"generation": 1, "graphs": []}, status=400)
    assert "CSRF" in res.json["error"]
    assert alice.get(alice.page_api()).json["generation"] == 1


def test_bad_save_bodies_are_400_with_the_reason(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    url = alice.page_api()
    cases: list[tuple[Any, str]] = [
        ({"graphs": []}, "'generation' must be an integer"),
        ({"generation": "1", "graphs": []}, "'generation' must be an integer"),
        ({"generation": 1, "graphs": {}}, "graphs must be a list"),
        ({"generation": 1, "graphs": [{"definition": "x"}]}, "graphs[0].definition"),
        ({"generation": 1, "graphs": [{"definition": {"series": 3}}]}, "definition.series"),
        ({"generation": 1, "graphs": [{"definition": {}, "view": {"when": 1}}]}, "unknown key"),
        ({"generation": 1, "graphs": [{"definition": {}, "view": {"trail": -1}}]}, "trail"),
        ({"generation": 1, "graphs": [{"definition": {}, "view": {"height": 5}}]}, "view.height"),
        ({"generation": 1, "graphs": [{"definition": {}, "view": {"step": 0}}]}, "view.step"),
        ({"generation": 1, "graphs": [{"definition": {}, "view": {"step": "60"}}]}, "wrong type"),
        ({"generation": 1, "graphs": [{"definition": {}, "id": "x"}]}, "id must be"),
        ({"generation": 1, "graphs": [{"definition": {}}] * 101}, "at most 100"),
        ({"generation": 1, "graphs": [{"definition": {"t": "x" * 70000}}]}, "larger than"),
        ([1, 2], "must be a JSON object"),
    ]
    for body, reason in cases:
        res = alice.put(url, body, status=400)
        assert reason in res.json["error"], (body, res.json)
    res = alice.app.put(
        url, "{not json", headers={**alice.headers, "Content-Type": "application/json"}, status=400
    )
    assert "not JSON" in res.json["error"]
    assert alice.get(url).json["generation"] == 1


def test_create_and_delete_pages(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    created = alice.post("/api/pages/tracelog/alice", {"name": "ops"}, status=201).json
    assert created["url"] == "http://localhost/alice/ops/"
    alice.get("/alice/ops/", status=200)
    assert (
        "already has a page"
        in alice.post("/api/pages/tracelog/alice", {"name": "ops"}, status=400).json["error"]
    )
    for bad in ("../x", "", "a/b", "-x"):
        assert (
            "bad page name"
            in alice.post("/api/pages/tracelog/alice", {"name": bad}, status=400).json["error"]
        )
    names = [p["name"] for p in alice.get("/api/pages/tracelog/alice").json["pages"]]
    assert names == ["default", "ops"]
    alice.delete(alice.page_api(page="ops"), {"generation": 0}, status=409)
    done = alice.delete(alice.page_api(page="ops"), {"generation": 1}).json
    assert done["url"].endswith("/alice/default/")
    alice.get("/alice/ops/", status=404)
    res = alice.delete(alice.page_api(), {"generation": 1}, status=400)
    assert "default page cannot be deleted" in res.json["error"]


def test_rename_page(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    alice.post("/api/pages/tracelog/alice", {"name": "ops"}, status=201)
    alice.post("/api/pages/tracelog/alice", {"name": "taken"}, status=201)
    alice.save([graph(alice)], page="ops")

    def rename(page: str, body: Any, status: int = 200) -> Any:
        return alice.app.patch_json(
            alice.page_api(page=page), body, headers=alice.headers, status=status
        ).json

    assert "already has a page" in rename("ops", {"generation": 2, "name": "taken"}, 400)["error"]
    assert "bad page name" in rename("ops", {"generation": 2, "name": "../x"}, 400)["error"]
    rename("ops", {"generation": 1, "name": "war-room"}, 409)
    renamed = rename("ops", {"generation": 2, "name": "war-room"})
    assert renamed["url"] == "http://localhost/alice/war-room/"
    assert (renamed["name"], renamed["generation"], len(renamed["graphs"])) == ("war-room", 3, 1)
    alice.get("/alice/ops/", status=404)
    assert "cannot be renamed" in rename("default", {"generation": 1, "name": "x"}, 400)["error"]
    bob = signed_in("bob")
    bob.app.patch_json(
        alice.page_api(page="war-room"),
        {"generation": 3, "name": "mine"},
        headers=bob.headers,
        status=403,
    )


def test_sections_keep_separate_pages(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    alice.save([graph(alice)])
    metrics = alice.get(alice.page_api(section="metrics")).json
    assert metrics["graphs"] == [] and metrics["section"] == "metrics"
    alice.get("/api/pages/other/alice/default", status=404)


def test_clone_page_into_own_pages(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    alice.save([graph(alice), graph(alice, "app3__beta__web1", trail=2)])
    bob = signed_in("bob")
    copy = bob.post(bob.page_api("alice") + "/clone", {}, status=201).json
    assert (copy["user"], copy["name"]) == ("bob", "alice-default")
    assert [g["view"] for g in copy["graphs"]] == [{"start": "-1d", "end": "now"}, {"trail": 2}]
    bob.post(bob.page_api("alice") + "/clone", {}, status=400)  # the name is taken now
    named = bob.post(bob.page_api("alice") + "/clone", {"name": "acme"}, status=201).json
    assert named["url"].endswith("/bob/acme/")
    assert len(alice.get(alice.page_api()).json["graphs"]) == 2
    bob.post(bob.page_api("alice", page="nope") + "/clone", {}, status=404)


def test_clone_graph_appends_to_own_page(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    saved = alice.save([graph(alice), graph(alice, "app2__acme__inst1")]).json
    bob = signed_in("bob")
    bob.save([graph(bob, "app3__beta__web1")])
    clone_url = saved["graphs"][1]["clone_url"]
    page = bob.post(clone_url, {"page": "default"}).json
    assert page["user"] == "bob" and page["generation"] == 3
    assert page["graphs"][1]["definition"] == saved["graphs"][1]["definition"]
    assert page["graphs"][1]["id"] != saved["graphs"][1]["id"]
    bob.post(clone_url, {"page": "missing"}, status=404)
    bob.post(bob.page_api("alice") + "/graphs/999999/clone", {}, status=404)
    # a tab still on generation 2 of bob's page must not overwrite the clone
    bob.put(bob.page_api(), {"generation": 2, "graphs": []}, status=409)


def test_tracelog_graph_definitions(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    inst = alice.get("/api/tracelog/graph?kind=instance&instance=app1__acme__inst1").json[
        "definition"
    ]
    assert [s["ds"] for s in inst["series"]] == ["rpm", "epm", "bl", "spr", "start"]
    assert inst["lines"][-1]["type"] == "TICK"
    pool = alice.get("/api/tracelog/graph?kind=headroom&customer=acme").json["definition"]
    assert {s["ds"] for s in pool["series"]} == {"headroom"}
    assert len(pool["series"]) == 3
    host = alice.get("/api/tracelog/graph?kind=all&customer=acme&host=app1").json
    assert host["definitions"] == [host["definition"]]
    totals = host["definition"]
    assert [c["aggregate"] for c in totals["cdefs"]] == ["TOTAL", "TOTAL", "TOTAL", "TOTAL", "MAX"]
    assert [c["of"] for c in totals["cdefs"]][0] == ["rpm0", "rpm1"]
    assert [line["type"] for line in totals["lines"]] == ["LINE"] * 4 + ["TICK"]
    alice.get("/api/tracelog/graph?kind=instance&instance=nope__x__y", status=404)
    alice.get("/api/tracelog/graph?kind=compare-rpm&customer=nobody", status=404)
    assert "customer=" in alice.get("/api/tracelog/graph?kind=headroom", status=400).json["error"]
    assert (
        "unknown graph kind"
        in alice.get("/api/tracelog/graph?kind=pie&customer=acme", status=400).json["error"]
    )


def test_saved_graph_is_a_render_request(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    saved = alice.save([graph(alice, trail=1)]).json["graphs"][0]
    url = "/render?graph=" + quote(json.dumps(saved["definition"])) + "&trail=1&format=json"
    data = alice.get(url, status=200).json
    assert data["columns"] == ["requests/min", "errors/min", "backlog", "est. max rpm", "restart"]
    assert any(row[1] is not None for row in data["rows"])


def test_a_series_not_in_the_store_is_refused_by_name_unless_already_saved(
    signed_in: SignIn, app_rrd_dir: Path
) -> None:
    alice = signed_in("alice")
    typo = graph(alice)
    typo["definition"]["title"] = "inst1"
    typo["definition"]["series"][0]["path"] = "tracelog/app1__acme__typo"
    res = alice.save([typo], status=400)
    assert "graph 'inst1', series rpm 'tracelog/app1__acme__typo:rpm'" in res.json["error"]
    assert "no such series in the store" in res.json["error"]
    wrong_ds = graph(alice)
    wrong_ds["definition"]["series"][0]["ds"] = "nope"
    res = alice.save([wrong_ds], status=400)
    known = "apdex, app50, app90, app99, appmax, bl, epm, p50, p90, p99, pmax, rpm, spr, start"
    assert f"has no data source 'nope'; it has {known}" in res.json["error"]
    assert alice.get(alice.page_api()).json["graphs"] == []

    # a file removed after the graph was saved does not stop the page's other changes
    rrd = app_rrd_dir / "metrics" / "h-ui-vanish" / "x.rrd"
    # the RRD folder is shared by the session's tests: leave no metrics/ folder behind
    made = [d for d in (rrd.parent.parent, rrd.parent) if not d.exists()]
    rrd.parent.mkdir(parents=True)
    shutil.copy(app_rrd_dir / "tracelog" / "app1__acme__inst1.rrd", rrd)
    vanishing = {"definition": {"series": [{"name": "x", "path": "metrics/h-ui-vanish/x",
                                            "ds": "rpm"}]}, "view": {}}  # fmt: skip
    try:
        saved = alice.save([vanishing]).json
    finally:
        rrd.unlink()
        for folder in reversed(made):
            folder.rmdir()
    kept = dict(saved["graphs"][0], view={"trail": 3})
    alice.save([kept, graph(alice)])
    assert [g["view"] for g in alice.get(alice.page_api()).json["graphs"]][0] == {"trail": 3}
    # a dashboard variable's path is checked when drawn, with the variable's value
    templated = graph(alice)
    templated["definition"]["series"][0]["path"] = "tracelog/app1__$customer__inst1"
    alice.save([templated])
