"""The storage-node listing (``reader = rrdcached``) over a fake reader: how often it
asks for ``LIST``, and the series index, instances and Graphite tree built from it."""

from __future__ import annotations

from typing import Any

from zope.interface.verify import verifyObject

from graphmetrics.web.interfaces import ISeriesIndex
from graphmetrics.web.remote import ListedSeries, ListedTree, Listing


class FakeNode:
    """What the listing asks of an RRDCachedReader: names (counted) and data sources."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.lists = 0

    def series_names(self) -> list[str]:
        self.lists += 1
        return sorted(self.names)

    def data_sources(self, rel: str) -> tuple[str, ...]:
        return ("bl", "rpm") if rel.startswith("tracelog/") else ("data",)


def listing(names: list[str], clock: list[float]) -> tuple[Listing, FakeNode]:
    node = FakeNode(names)
    fake: Any = node
    return Listing(fake, check_interval=5, clock=lambda: clock[0]), node


def test_list_is_asked_at_most_every_check_interval() -> None:
    clock = [100.0]
    found, node = listing(["tracelog/h__c__i"], clock)
    series = ListedSeries(found)
    verifyObject(ISeriesIndex, series)
    assert series.search("c")["total"] == 1
    node.names.append("metrics/db1/load")
    assert series.matching("") == ["tracelog/h__c__i"]
    assert node.lists == 1
    clock[0] += 5
    assert series.matching("") == ["metrics/db1/load", "tracelog/h__c__i"]
    assert node.lists == 2


def test_tracelog_instances_come_from_the_tracelog_folder_only() -> None:
    names = ["tracelog/app1__acme__inst1", "tracelog/junk", "tracelog/x/app__c__i", "metrics/a"]
    series = ListedSeries(listing(names, [0.0])[0])
    assert [i.stem for i in series.tracelog_instances()] == ["app1__acme__inst1"]


def test_the_graphite_tree_follows_the_folder_rules() -> None:
    names = ["metrics/db1.example/load", "metrics/db1_example/other", "tracelog/h__c__i"]
    tree = ListedTree(listing(names, [0.0])[0])
    assert [(n.path, n.is_leaf) for n in tree.find("*")] == [
        ("metrics", False),
        ("tracelog", False),
    ]
    # "db1.example" and "db1_example" are one Graphite name: the first sorted wins
    assert [n.path for n in tree.find("metrics.db1_example.*")] == ["metrics.db1_example.load"]
    leaf = tree.find("metrics.db1_example.load")[0]
    assert (leaf.is_leaf, leaf.rel, leaf.ds) == (True, "metrics/db1.example/load", "data")
    assert [n.path for n in tree.find("tracelog.h__c__i.*")] == [
        "tracelog.h__c__i.bl",
        "tracelog.h__c__i.rpm",
    ]
    assert [n.is_leaf for n in tree.find("tracelog.h__c__i")] == [False]
