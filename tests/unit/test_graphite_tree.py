"""RRD files as a Graphite tree: names, one leaf per data source, patterns."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web.graphite.tree import MetricTree, PatternError, check_pattern, expand_braces

T = 1_700_000_000 // 3600 * 3600


def test_expand_braces() -> None:
    assert sorted(expand_braces("a{b,c}d{1,2}")) == ["abd1", "abd2", "acd1", "acd2"]
    assert expand_braces("plain") == ("plain",)
    assert sorted(expand_braces("{{a,b},c}")) == ["a", "b", "c"]


def test_braces_are_counted_after_expansion() -> None:
    """N3: ``{{a,b},c0,...,c19}`` was counted as 2 alternatives; three such groups in
    one node (22^3 = 10 648 variants) passed the check and took seconds to match."""
    group = "{{a,b}," + ",".join(f"c{i}" for i in range(20)) + "}"
    began = time.monotonic()
    with pytest.raises(PatternError, match="more than 1000 alternatives"):
        check_pattern("tracelog." + group * 3 + ".rpm")
    with pytest.raises(PatternError, match="more than 1000 alternatives"):
        check_pattern(".".join([group] * 3))  # 22^3 over three nodes
    assert time.monotonic() - began < 0.5
    assert len(check_pattern("tracelog." + group + ".rpm")) == 3


def test_many_literal_alternatives_are_looked_up(tmp_path: Path) -> None:
    store = RRDStore(tmp_path)
    store.write("metrics/h7/load", METRICS, [(T, [1.0])])
    names = ",".join(f"h{i}" for i in range(400))
    (leaf,) = MetricTree(str(tmp_path)).find(f"metrics.{{{names}}}.load")
    assert leaf.path == "metrics.h7.load"


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
