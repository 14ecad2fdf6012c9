"""``/api/tracelog/slowest`` and ``/slowest`` on stored slowest requests: an instance's and a
pool's, sorted and grouped by URL pattern; bad input a 400, never a file outside the
store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from webtest import TestApp

from graphmetrics.collect.slowest_store import SlowestStore, instance_dir
from graphmetrics.tracelog.slowest import SlowEntry
from tests.functional.web_app.data import write_tracelog
from tests.webapp import signed_in_app


def entry(total: float, rid: str, url: str, status: str = "200 10") -> SlowEntry:
    return (total, total - 0.1, 0.1, rid, f"GET {url}", status)


@pytest.fixture(scope="module")
def rrd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("slowest-rrd")
    write_tracelog(root, hours=1)
    return root


@pytest.fixture(scope="module")
def minute(rrd_dir: Path) -> int:
    """The start of a stored minute; the minute before and after have requests too."""
    t = int(time.time()) // 60 * 60 - 600
    store = SlowestStore(rrd_dir)
    store.write(
        {
            "app1__acme__inst1": [
                (t - 60, [entry(9.0, "a0", "/before")]),
                (t, [entry(5.5, "a1", "/item/123"), entry(2.0, "a2", "/item/456")]),
                (t + 60, [entry(8.0, "a3", "/after")]),
            ],
            "app1__acme__inst2": [
                (t, [entry(7.25, "b1", "/doc/0f3a9bc4d2e1/view", "Error: boom")]),
            ],
            "app2__acme__inst1": [(t, [entry(1.0, "c1", "/item/77")])],
            "app3__beta__web1": [(t, [entry(30.0, "d1", "/beta")])],
        }
    )
    with open(instance_dir(rrd_dir, "app1__acme__inst1") / day(t), "a") as f:
        f.write('{"t": 1, "r": [[')  # a torn last line
    return t


def day(t: int) -> str:
    return time.strftime("%Y-%m-%d.jsonl", time.gmtime(t))


@pytest.fixture(scope="module")
def app(rrd_dir: Path) -> TestApp:
    return signed_in_app(rrd_dir, "alice")


def test_the_slowest_of_an_instance_minute(app: TestApp, minute: int) -> None:
    got = app.get(
        "/api/tracelog/slowest",
        params={"instance": "app1__acme__inst1", "start": minute, "end": minute + 60},
    ).json
    assert [(r["id"], r["total"], r["url"], r["t"]) for r in got["requests"]] == [
        ("a1", 5.5, "/item/123", minute),
        ("a2", 2.0, "/item/456", minute),
    ]
    first = got["requests"][0]
    assert first["method"] == "GET" and first["status"] == "200" and first["size"] == 10
    assert first["app"] == 5.4 and first["wait"] == 0.1
    assert first["instance"] == "app1__acme__inst1"
    assert got["patterns"] == [
        {"method": "GET", "pattern": "/item/{id}", "count": 2, "max": 5.5, "total": 7.5}
    ]
    assert got["minutes"] == 1 and got["count"] == 2 and got["unreadable"] == 1


def test_a_range_and_a_limit(app: TestApp, minute: int) -> None:
    params = {"instance": "app1__acme__inst1", "start": minute - 60, "end": minute + 120}
    got = app.get("/api/tracelog/slowest", params={**params, "limit": 2}).json
    assert [r["id"] for r in got["requests"]] == ["a0", "a3"]
    assert got["count"] == 4 and got["minutes"] == 3


def test_a_customer_pool_and_a_host(app: TestApp, minute: int) -> None:
    got = app.get(
        "/api/tracelog/slowest", params={"customer": "acme", "start": minute, "end": minute + 60}
    ).json
    assert [r["id"] for r in got["requests"]] == ["b1", "a1", "a2", "c1"]
    assert got["requests"][0]["status"] == "Error"
    assert [(p["pattern"], p["count"]) for p in got["patterns"]] == [
        ("/item/{id}", 3),
        ("/doc/{id}/view", 1),
    ]
    host = app.get(
        "/api/tracelog/slowest",
        params={"customer": "acme", "host": "app2", "start": minute, "end": minute + 60},
    ).json
    assert [r["id"] for r in host["requests"]] == ["c1"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("instance=../../etc/passwd", 400),
        ("instance=a/..__acme__x", 400),
        ("instance=..__acme__inst1", 400),
        ("instance=app1__acme__nope", 404),
        ("customer=nobody", 404),
        ("instance=app1__acme__inst1&start=x", 400),
        ("instance=app1__acme__inst1&start=100&end=100", 400),
        ("instance=app1__acme__inst1&start=0&end=99999999", 400),
        ("instance=app1__acme__inst1&end=1e23", 400),
        ("instance=app1__acme__inst1&limit=0", 400),
        ("instance=app1__acme__inst1&limit=" + "9" * 5000, 400),
    ],
)
def test_bad_queries_say_what_is_wrong(app: TestApp, query: str, status: int) -> None:
    res = app.get(f"/api/tracelog/slowest?{query}", status=status)
    assert res.json["error"]


def test_the_last_hour_by_default(app: TestApp, minute: int) -> None:
    got = app.get("/api/tracelog/slowest", params={"instance": "app3__beta__web1"}).json
    assert [r["id"] for r in got["requests"]] == ["d1"]
    assert got["end"] - got["start"] == 3600


def test_the_page(app: TestApp) -> None:
    page = app.get("/slowest", params={"instance": "app1__acme__inst1"})
    assert "Slowest requests" in page.text
    assert 'value="app1__acme__inst1"' in page.text
    dashboard = app.get("/alice/default/")
    assert 'id="slowest-link"' in dashboard.text
