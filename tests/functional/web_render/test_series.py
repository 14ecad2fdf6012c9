"""GET /series: regex/glob search over the RRD tree, paging, and an index that stays fresh
without re-listing unchanged directories."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import webtest

from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.web.series_index import SeriesIndex
from tests.functional.web_render.conftest import INST1, INST2, METRIC, make_app

TRACELOG_DS = [*TRACELOG.data_sources, "headroom"]
PAST = time.time() - 3600


def touch(root: Path, rel: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def settle(root: Path) -> None:
    """Date every directory an hour back, as if nothing had changed lately."""
    for dirpath, _, _ in os.walk(root):
        os.utime(dirpath, (PAST, PAST))


@pytest.fixture
def series_app(data_dir: Path) -> webtest.TestApp:
    touch(data_dir, "tracelog/notes.txt")
    touch(data_dir, "tracelog/.app9__x__y.rrd.123.tmp")
    touch(data_dir, "other/ignored.rrd")
    return make_app(data_dir, series_check_interval="0")


def names(app: webtest.TestApp, q: str) -> list[str]:
    return [s["name"] for s in app.get("/series", {"q": q}).json["series"]]


def test_everything_with_ds(series_app: webtest.TestApp) -> None:
    body = series_app.get("/series").json
    assert body == {
        "total": 3,
        "page": 1,
        "per_page": 100,
        "series": [
            {"name": METRIC, "ds": list(METRICS.data_sources)},
            {"name": INST1, "ds": TRACELOG_DS},
            {"name": INST2, "ds": TRACELOG_DS},
        ],
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", [INST1, INST2]),
        ("inst1$", [INST1]),
        ("^metrics/", [METRIC]),
        ("app[12]__acme__inst2", [INST2]),
        ("re:app.*inst1", [INST1]),
        ("app1*", [INST1]),
        ("tracelog/*", [INST1, INST2]),
        ("glob:*section*", [METRIC]),
        ("*__acme__inst?", [INST1, INST2]),
        ("host.example/cfg/*/metric", [METRIC]),
        ("nothing-like-this", []),
        ("ACME INST1", [INST1]),
        ("app1 inst", [INST1]),
        ("App* Inst2", [INST2]),
        ("re:ACME", []),
    ],
)
def test_regex_and_glob(series_app: webtest.TestApp, q: str, expected: list[str]) -> None:
    assert names(series_app, q) == expected


@pytest.mark.parametrize(
    ("params", "param", "reason"),
    [
        ({"q": "(unclosed"}, "q", "bad regular expression '(unclosed': missing )"),
        ({"q": "re:*"}, "q", "no argument for repetition operator"),
        ({"q": r"re:(a)\1"}, "q", "invalid escape sequence"),
        ({"q": "re:(?=a)"}, "q", "invalid perl operator"),
        ({"q": "x" * 201}, "q", "longer than 200"),
        ({"page": "0"}, "page", "between 1 and"),
        ({"page": "two"}, "page", "must be an integer"),
    ],
)
def test_bad_query_is_400_with_the_reason(
    series_app: webtest.TestApp, params: dict[str, str], param: str, reason: str
) -> None:
    res = series_app.get("/series", params, status=400)
    assert res.json["param"] == param
    assert reason in res.json["error"]


def test_not_utf8_is_400(series_app: webtest.TestApp) -> None:
    assert series_app.get("/series?q=%ff", status=400).json["param"] == "q"


def test_paging(rrd_dir: Path) -> None:
    for i in range(250):
        touch(rrd_dir, f"metrics/host{i // 50}/m{i:03d}.rrd")
    app = make_app(rrd_dir)
    pages = [app.get("/series", {"q": "metrics/", "page": str(p)}).json for p in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [250] * 4
    assert [len(p["series"]) for p in pages] == [100, 100, 50, 0]
    listed = [s["name"] for p in pages for s in p["series"]]
    assert listed == sorted(f"metrics/host{i // 50}/m{i:03d}" for i in range(250))


def test_new_and_removed_files_show_up(rrd_dir: Path) -> None:
    touch(rrd_dir, "tracelog/a__b__c.rrd")
    app = make_app(rrd_dir, series_check_interval="0")
    assert names(app, "") == ["tracelog/a__b__c"]
    touch(rrd_dir, "metrics/x/y/z.rrd")
    touch(rrd_dir, "tracelog/d__e__f.rrd")
    assert names(app, "") == ["metrics/x/y/z", "tracelog/a__b__c", "tracelog/d__e__f"]
    (rrd_dir / "metrics/x/y/z.rrd").unlink()
    (rrd_dir / "metrics/x/y").rmdir()
    assert names(app, "") == ["tracelog/a__b__c", "tracelog/d__e__f"]


def test_check_interval_limits_rescans(rrd_dir: Path) -> None:
    clock = [1000.0]
    touch(rrd_dir, "tracelog/a__b__c.rrd")
    index = SeriesIndex(rrd_dir, check_interval=5, clock=lambda: clock[0])
    assert index.search("")["total"] == 1
    touch(rrd_dir, "tracelog/d__e__f.rrd")
    clock[0] += 4
    assert index.search("")["total"] == 1  # not looked at yet
    clock[0] += 2
    assert index.search("")["total"] == 2


def test_only_changed_directories_are_listed_again(rrd_dir: Path) -> None:
    for host in range(20):
        for m in range(5):
            touch(rrd_dir, f"metrics/h{host}/cfg/m{m}.rrd")
    settle(rrd_dir)
    index = SeriesIndex(rrd_dir, check_interval=0)
    assert index.search("")["total"] == 100
    first = index.listings
    assert first == 1 + 20 * 2  # metrics/, h*/ and h*/cfg/ (no tracelog/ yet)
    index.refresh(force=True)
    assert index.listings == first  # nothing changed: stat only
    touch(rrd_dir, "metrics/h7/cfg/new.rrd")
    index.refresh(force=True)
    assert index.listings == first + 1
    assert "metrics/h7/cfg/new" in [s["name"] for s in index.search("new")["series"]]


@pytest.fixture
def big_dir(tmp_path: Path) -> Iterator[Path]:
    """A scratch RRD directory in memory when possible: 100k inodes on disk are slow."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm) as tmp:
            yield Path(tmp)
    else:
        yield tmp_path


def test_hundred_thousand_files(big_dir: Path) -> None:
    """The index answers a search over 100k series quickly, and the next ones faster."""
    rrd_dir = big_dir
    for d in range(200):
        folder = rrd_dir / "metrics" / f"host{d:03d}"
        folder.mkdir(parents=True)
        for f in range(500):
            os.close(os.open(folder / f"metric{f:03d}.rrd", os.O_CREAT | os.O_WRONLY, 0o644))
    settle(rrd_dir)
    app = make_app(rrd_dir)
    started = time.perf_counter()
    body = app.get("/series", {"q": "re:host0[0-4]./metric00"}).json
    first = time.perf_counter() - started
    assert body["total"] == 50 * 10
    started = time.perf_counter()
    body = app.get("/series", {"q": "metric499", "page": "2"}).json
    later = time.perf_counter() - started
    assert body["total"] == 200 and len(body["series"]) == 100
    assert first < 5 and later < 0.5, (first, later)
