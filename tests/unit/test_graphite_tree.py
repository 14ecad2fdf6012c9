"""RRD files as a Graphite tree: names, one leaf per data source, patterns."""

from __future__ import annotations

from pathlib import Path

from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web.graphite.tree import MetricTree, expand_braces

T = 1_700_000_000 // 3600 * 3600


def test_expand_braces() -> None:
    assert sorted(expand_braces("a{b,c}d{1,2}")) == ["abd1", "abd2", "acd1", "acd2"]
    assert expand_braces("plain") == ["plain"]


def test_names_and_leaves(tmp_path: Path) -> None:
    store = RRDStore(tmp_path)
    store.write("metrics/db1.example.com/cimaa/load/load1", METRICS, [(T, [1.0])])
    store.write("tracelog/app1__acme__inst1", TRACELOG, [(T, [1.0, 0, 0, 0, 0])])
    tree = MetricTree(str(tmp_path))
    (leaf,) = tree.find("metrics.db1_example_com.cimaa.load.load1")
    assert (leaf.is_leaf, leaf.rel, leaf.ds) == (
        True,
        "metrics/db1.example.com/cimaa/load/load1",
        "data",
    )
    (branch,) = tree.find("tracelog.app1__acme__inst1")
    assert not branch.is_leaf
    leaves = tree.find("tracelog.*.{rpm,s*}")
    assert [(n.path, n.ds) for n in leaves] == [
        ("tracelog.app1__acme__inst1.rpm", "rpm"),
        ("tracelog.app1__acme__inst1.spr", "spr"),
        ("tracelog.app1__acme__inst1.start", "start"),
    ]
    assert tree.find("metrics.db1.example.com.*") == []
    assert tree.find("") == [] and tree.find("a..b") == []
