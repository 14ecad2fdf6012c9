"""Reading the stored slowest requests: URL patterns, names that may become paths,
the days of a range, and what a query reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.collect.slowest_store import SlowestStore, instance_dir
from graphmetrics.web.slowest import (
    MAX_DAYS,
    days_between,
    patterns,
    read_range,
    slowest,
    url_pattern,
    valid_stem,
)

from .test_tracelog_aggregate import epoch


@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        ("/item/123", "/item/{id}"),
        ("/item/123/edit", "/item/{id}/edit"),
        ("/doc/0f3a9bc4d2e1/view", "/doc/{id}/view"),
        ("/u/123e4567-e89b-12d3-a456-426614174000", "/u/{id}"),
        ("/deadbeef", "/deadbeef"),  # hex letters only: a word
        ("/v2/items", "/v2/items"),
        ("/page-7", "/page-7"),
        ("/", "/"),
        ("/a/1?x=2", "/a/{id}?x=2"),
        ("", ""),
    ],
)
def test_url_patterns(url: str, pattern: str) -> None:
    assert url_pattern(url) == pattern


@pytest.mark.parametrize(
    ("stem", "ok"),
    [
        ("app1__acme__inst1", True),
        ("app1__acme__i.n-s+t@1", True),
        ("..__acme__inst1", False),
        ("a/..__acme__x", False),
        ("app1__acme", False),
        ("app1__acme__inst1__x", False),
        ("app1__ac me__inst1", False),
        ("", False),
    ],
)
def test_only_collector_names_become_paths(stem: str, ok: bool) -> None:
    assert valid_stem(stem) is ok


def test_days_of_a_range() -> None:
    start = epoch("2024-01-30 23:59")
    assert days_between(start, start + 60) == ["2024-01-30"]
    assert days_between(start, start + 120) == ["2024-01-30", "2024-01-31"]
    assert len(days_between(0, epoch("2024-01-01 00:00"))) == MAX_DAYS


def test_a_range_read_sorted_and_grouped(tmp_path: Path) -> None:
    t = epoch("2024-01-01 23:59")
    store = SlowestStore(tmp_path, clock=lambda: float(t))
    store.write(
        {
            "h__c__a": [
                (t - 60, [(9.0, 1.0, 0.0, "0", "GET /x/1", "200 1")]),
                (t, [(3.0, 1.0, 0.0, "1", "GET /x/2", "200 1")]),
                (t + 60, [(4.0, 1.0, 0.0, "2", "POST /x/3", "200 1")]),
            ]
        }
    )
    with (instance_dir(tmp_path, "h__c__a") / "2024-01-02.jsonl").open("a") as f:
        f.write("[1]\n{\n")  # not a stored minute, and a torn one
    found = read_range(tmp_path, ["h__c__a", "h__c__b"], t, t + 120)
    assert [r["id"] for r in slowest(found, 10)] == ["2", "1"]
    assert [r["id"] for r in slowest(found, 1)] == ["2"]
    assert found.minutes == 2 and found.unreadable == 2
    assert patterns(found) == [
        {"method": "POST", "pattern": "/x/{id}", "count": 1, "max": 4.0, "total": 4.0},
        {"method": "GET", "pattern": "/x/{id}", "count": 1, "max": 3.0, "total": 3.0},
    ]
    with pytest.raises(ValueError, match="bad instance name"):
        read_range(tmp_path, ["../x__c__a"], t, t + 60)
