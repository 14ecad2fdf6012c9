"""collectd's own ``rrdtool`` plugin writes a tree; the web app serves it read-only
(setting ``readonly_roots``): series search, builder graphs, the Graphite API, with
the files' own data sources (several per file, DERIVE), steps and archives."""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import webtest

from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore
from graphmetrics.settings import SettingsError, build
from graphmetrics.web.config import WebSettings
from tests import webapp
from tests.rrdcached import running_rrdcached
from tests.webapp import sign_in

COLLECTD_CONF = """\
Hostname "agent1.example"
FQDNLookup false
BaseDir "{work}"
PIDFile "{work}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 1
LoadPlugin load
LoadPlugin cpu
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "{data}"
</Plugin>
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree collectd's rrdtool plugin wrote in a few seconds (its own layout)."""
    work = tmp_path_factory.mktemp("collectd")
    data = work / "rrd"
    conf = work / "collectd.conf"
    conf.write_text(COLLECTD_CONF.format(work=work, data=data))
    proc = subprocess.Popen(
        ["collectd", "-f", "-C", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        time.sleep(5)
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert (data / "agent1.example" / "load" / "load.rrd").is_file()
    (work / "secret").mkdir()
    (work / "secret" / "other.rrd").write_bytes(
        (data / "agent1.example/load/load.rrd").read_bytes()
    )
    (data / "agent1.example" / "escape").symlink_to(work / "secret")
    return data


@pytest.fixture(scope="module")
def app(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webtest.TestApp]:
    tmp = tmp_path_factory.mktemp("app")
    settings = webapp.testing_settings(
        db_url=f"sqlite:///{tmp}/saved.sqlite",
        rrd_dir=str(tmp / "rrd"),
        readonly_roots=f"collectd={tree}",
    )
    before = {p: p.stat().st_mtime_ns for p in tree.rglob("*.rrd")}
    yield sign_in(webapp.testapp(settings), "u")
    assert {p: p.stat().st_mtime_ns for p in tree.rglob("*.rrd")} == before  # never written


def test_series_search_lists_the_tree_with_its_own_data_sources(app: webtest.TestApp) -> None:
    found = app.get("/series", {"q": "collectd load"}, status=200).json
    (load,) = found["series"]
    assert load == {
        "name": "collectd/agent1.example/load/load",
        "ds": ["longterm", "midterm", "shortterm"],
    }
    cpu = app.get("/series", {"q": "glob:collectd/*/cpu-0/cpu-idle"}, status=200).json
    assert cpu["series"] == [{"name": "collectd/agent1.example/cpu-0/cpu-idle", "ds": ["value"]}]
    escaped = app.get("/series", {"q": "other"}, status=200).json
    assert escaped["total"] == 0


def test_builder_graphs_render(app: webtest.TestApp) -> None:
    now = int(time.time())
    window = {"start": str(now - 120), "end": str(now)}
    png = app.get(
        "/render",
        {"series": "collectd/agent1.example/load/load:shortterm", **window},
        status=200,
    )
    assert png.content_type == "image/png"
    csv_text = app.get(
        "/render",
        {"series": "collectd/agent1.example/cpu-0/cpu-idle:value", "format": "csv", **window},
        status=200,
    ).text
    rates = [v for v in (row.split(",")[1] for row in csv_text.splitlines()[1:]) if v]
    assert rates and all(float(v) >= 0 for v in rates)  # DERIVE: jiffies per second


@pytest.mark.parametrize(
    "path",
    [
        "collectd/../../etc/passwd",
        "collectd/agent1.example/escape/other",
        "collectd",
        "collectd//load",
    ],
)
def test_the_path_rules_apply(app: webtest.TestApp, path: str) -> None:
    res = app.get("/render", {"series": f"{path}:shortterm", "format": "csv"}, expect_errors=True)
    assert res.status_int in (400, 404), res.text


def test_graphite_api_serves_the_tree(app: webtest.TestApp) -> None:
    found = app.get("/graphite/metrics/find", {"query": "collectd.*.load.load.*"}).json
    assert sorted(n["text"] for n in found) == ["longterm", "midterm", "shortterm"]
    now = int(time.time())
    series = app.get(
        "/graphite/render",
        {
            "target": "collectd.agent1_example.load.load.shortterm",
            "from": str(now - 120),
            "until": str(now),
            "format": "json",
        },
    ).json
    (load,) = series
    assert [v for v, _ in load["datapoints"] if v is not None]
    times = [ts for _, ts in load["datapoints"]]
    steps = {b - a for a, b in itertools.pairwise(times)}
    assert steps == {1}  # the file's own one-second step
    assert app.get("/graphite/metrics/find", {"query": "collectd.*.escape.*"}).json == []


@pytest.mark.parametrize("text", ["metrics=/x", "carbon=/x", "no-path", "a=/x a=/y", "../x=/y"])
def test_bad_roots_are_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="readonly_roots"):
        build(WebSettings, {"rrd_dir": "/x", "readonly_roots": text})


def test_with_rrdcached_the_tree_is_read_directly(
    tree: Path, tmp_path: Path, app: webtest.TestApp
) -> None:
    """rrdcached (-B: only its base directory) flushes the RRD directory's files; the
    read-only tree's files are read without it, alone or in one graph with them."""
    rrd_dir = tmp_path / "rrd"
    now = int(time.time())
    RRDStore(rrd_dir).write("metrics/local/x", METRICS, [(now - 600, (1.0,))])
    with running_rrdcached(rrd_dir, tmp_path / "cached") as address:
        settings = webapp.testing_settings(
            db_url=f"sqlite:///{tmp_path}/saved.sqlite",
            rrd_dir=str(rrd_dir),
            rrdcached=address,
            readonly_roots=f"collectd={tree}",
        )
        client = sign_in(webapp.testapp(settings), "u")
        window = {"start": str(now - 120), "end": str(now), "format": "csv"}
        for series in (
            ["collectd/agent1.example/load/load:shortterm"],
            ["collectd/agent1.example/load/load:shortterm", "metrics/local/x:data"],
        ):
            client.get("/render", {"series": series, **window}, status=200)
        target = {"target": "collectd.agent1_example.load.load.shortterm", "format": "json"}
        (series_json,) = client.get("/graphite/render", {**target, "from": "-2min"}).json
        assert [v for v, _ in series_json["datapoints"] if v is not None]
        leaf = {"query": "collectd.agent1_example.load.load.shortterm", "format": "json"}
        (found,) = client.get("/graphite/metrics/find", leaf).json
        assert found["intervals"] and found["intervals"][0]["end"] > now - 600
