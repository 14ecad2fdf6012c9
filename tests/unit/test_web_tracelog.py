"""Tracelog instances from file names, the menu levels and the graph definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.web import tracelog
from graphmetrics.web.graphdef import parse_graph
from graphmetrics.web.tracelog import (
    Instance,
    UnknownInstance,
    graph_for,
    graphs_for,
    menu_level,
    parse_stem,
)


def test_parse_stem() -> None:
    assert parse_stem("app1__acme__inst1") == Instance("acme", "app1", "inst1")
    for bad in ("app1__acme", "a__b__c__d", "__acme__x", "plain"):
        assert parse_stem(bad) is None


def test_scan_instances_skips_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "tracelog"
    folder.mkdir()
    for name in (
        "h2__acme__i1.rrd",
        "h1__acme__i2.rrd",
        "h1__beta__x.rrd",
        "junk.rrd",
        "h1__a__b.txt",
    ):
        (folder / name).touch()
    (folder / "d__e__f.rrd").mkdir()
    stems = [i.stem for i in tracelog.scan_instances(tmp_path)]
    assert stems == ["h1__acme__i2", "h2__acme__i1", "h1__beta__x"]
    assert tracelog.scan_instances(tmp_path / "missing") == []


def test_menu_levels_customers_hosts_instances_and_search(tmp_path: Path) -> None:
    folder = tmp_path / "tracelog"
    folder.mkdir()
    for stem in ("h2__acme__i1", "h1__acme__i2", "h1__acme__i1", "h1__beta__x"):
        (folder / f"{stem}.rrd").touch()
    insts = tracelog.InstanceIndex(tmp_path).instances()
    assert menu_level(insts)["items"] == [
        {"name": "acme", "instances": 3},
        {"name": "beta", "instances": 1},
    ]
    assert [h["name"] for h in menu_level(insts, customer="acme")["items"]] == ["h1", "h2"]
    assert menu_level(insts, customer="acme", host="h1")["items"] == [
        {"name": "i1", "stem": "h1__acme__i1"},
        {"name": "i2", "stem": "h1__acme__i2"},
    ]
    found = menu_level(insts, query="H1 I")["items"]  # "acme h1 i1 ..." matches, any case
    assert [i["stem"] for i in found] == ["h1__acme__i1", "h1__acme__i2"]
    # words in any order: "i2 acme" as well as "acme i2"
    assert [i["stem"] for i in menu_level(insts, query="i2 ACME")["items"]] == ["h1__acme__i2"]
    assert [i["stem"] for i in menu_level(insts, query="h1__")["items"]] == [
        "h1__acme__i1",
        "h1__acme__i2",
        "h1__beta__x",
    ]
    limited = menu_level(insts, query="__", limit=2)
    assert len(limited["items"]) == 2 and limited["more"] and limited["total"] == 4
    assert menu_level(insts, customer="nobody") == {"items": [], "more": False, "total": 0}


INSTANCES = [
    Instance("acme", "h1", "i1"),
    Instance("acme", "h1", "i2"),
    Instance("acme", "h2", "i1"),
    Instance("beta", "h1", "x"),
]


@pytest.mark.parametrize(
    ("kind", "host", "ds", "count"),
    [
        ("all", "h1", {"rpm", "epm", "bl", "spr", "start"}, 5),
        ("pool-headroom", None, {"rpm", "spr"}, 1),
        ("compare-rpm", None, {"rpm"}, 3),
        ("compare-max", None, {"spr"}, 3),
        ("headroom", "h2", {"headroom"}, 1),
    ],
)
def test_pool_graphs_are_valid_render_definitions(
    kind: str, host: str | None, ds: set[str], count: int
) -> None:
    definition = graph_for(INSTANCES, kind, customer="acme", host=host)
    assert {s["ds"] for s in definition["series"]} == ds
    assert len(definition["lines"]) == count
    assert all(
        s["path"].startswith("tracelog/") and "beta" not in s["path"] for s in definition["series"]
    )
    graph = parse_graph(definition)
    assert len(graph.lines) == count


def test_instance_graph_is_a_valid_render_definition() -> None:
    definition = graph_for(INSTANCES, "instance", instance="h1__acme__i2")
    assert definition["title"] == "acme h1/i2"
    assert [line["legend"] for line in definition["lines"]] == [
        "requests/min",
        "errors/min",
        "backlog",
        "est. max rpm",
        "restart",
    ]
    graph = parse_graph(definition)
    assert (graph.lines[-1].type, graph.lines[-1].value) == ("TICK", "restarts")
    assert graph.series[-1].cf == "MAX"


def test_errors() -> None:
    with pytest.raises(UnknownInstance):
        graph_for(INSTANCES, "instance", instance="nope")
    with pytest.raises(UnknownInstance):
        graph_for(INSTANCES, "all", customer="acme", host="h9")
    with pytest.raises(ValueError, match="customer="):
        graph_for(INSTANCES, "headroom")
    with pytest.raises(ValueError, match="unknown graph kind"):
        graph_for(INSTANCES, "pie", customer="acme")


def test_pools_are_bounded() -> None:
    many = [Instance("acme", "h", f"i{n:03}") for n in range(tracelog.MAX_POOL + 5)]
    assert len(graph_for(many, "compare-rpm", customer="acme")["series"]) == tracelog.MAX_POOL


def test_big_pools_are_split_and_say_so() -> None:
    many = [Instance("acme", "h", f"i{n:03}") for n in range(tracelog.MAX_POOL + 5)]
    graphs = graphs_for(many, "compare-rpm", customer="acme")
    assert [len(g["series"]) for g in graphs] == [tracelog.MAX_POOL, 5]
    assert graphs[0]["title"].endswith(f"instances 1–40 of {len(many)}")
    assert graphs[1]["title"].endswith(f"instances 41–45 of {len(many)}")
    for g in graphs:
        parse_graph(g)
    (total,) = graphs_for(many, "all", customer="acme")
    assert total["title"] == f"All instances: acme ({len(many)} instances)"
    assert len(parse_graph(total).series) == 5 * len(many)


def test_pool_lines_beyond_the_palette_differ_in_dash_or_width() -> None:
    many = [Instance("acme", "h", f"i{n:03}") for n in range(tracelog.MAX_POOL)]
    lines = graph_for(many, "compare-max", customer="acme")["lines"]
    styles = {(ln["color"], str(ln["dash"]), ln["width"]) for ln in lines}
    assert len(styles) == len(lines) == tracelog.MAX_POOL


def test_instance_response_time_graphs_are_valid_render_definitions() -> None:
    (response,) = graphs_for(INSTANCES, "response-time", instance="h1__acme__i2")
    apdex = graph_for(INSTANCES, "apdex", instance="h1__acme__i2")
    assert len(graphs_for(INSTANCES, "instance", instance="h1__acme__i2")) == 1
    graph = parse_graph(response)
    assert [(line.type, line.value) for line in graph.lines] == [
        ("AREA", "pmax"),
        ("LINE", "p50"),
        ("LINE", "p90"),
        ("LINE", "p99"),
    ]
    assert graph.lines[0].color.endswith("33")  # the max, faint
    assert [s.ds for s in parse_graph(apdex).series] == ["apdex", "wait50", "wait99", "app99"]
    for kind in ("compare-p99", "compare-apdex"):
        assert len(parse_graph(graph_for(INSTANCES, kind, customer="acme")).series) == 3


def test_pool_graphs_read_the_customers_pool_file() -> None:
    response = parse_graph(graph_for(INSTANCES, "pool-response", customer="acme"))
    apdex = parse_graph(graph_for(INSTANCES, "pool-apdex", customer="acme"))
    assert {s.path for s in response.series} == {s.path for s in apdex.series} == {"pool/acme"}
    assert [(line.type, line.value) for line in response.lines] == [
        ("AREA", "pmax"),
        ("LINE", "p50"),
        ("LINE", "p90"),
        ("LINE", "p99"),
    ]
    assert [s.ds for s in apdex.series] == ["apdex", "wait50", "wait99", "app99"]
    assert response.title == "Pool response time: acme (3 instances)"
    # merged over all the customer's hosts: no host's share of it
    with pytest.raises(ValueError, match="leave out host="):
        graph_for(INSTANCES, "pool-response", customer="acme", host="h1")
    assert set(tracelog.CUSTOMER_POOL_KINDS) <= set(tracelog.POOL_KINDS)


def test_a_customers_standard_graphs() -> None:
    graphs = graphs_for(INSTANCES, "standard", customer="acme")
    titles = [g["title"].split(":")[0] for g in graphs]
    assert titles == [tracelog.POOL_KINDS[k] for k in tracelog.STANDARD_KINDS]
    assert titles[:3] == ["All instances", "Pool response time", "Pool apdex and thread wait"]
    for graph in graphs:
        parse_graph(graph)
    with pytest.raises(ValueError, match="leave out host="):
        graphs_for(INSTANCES, "standard", customer="acme", host="h1")
