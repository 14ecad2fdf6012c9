"""The web app reading from an rrdcached storage node (``reader = rrdcached``).

A real rrdcached serves files under its base directory, read-only on TCP 127.0.0.1
(SCALEOUT.md's command line); the app's own ``rrd_dir`` does not exist.  Every
answer is compared with the same request to an app reading the same files locally:
dashboards, series search, /render PNG and JSON, Graphite find and render.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest

from graphmetrics.rrd import cached
from graphmetrics.rrd.files import FileError
from graphmetrics.rrd.schema import LATENCY_DS, TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.settings import SettingsError
from graphmetrics.web.interfaces import IRRDReader
from tests import webapp
from tests.functional.web_render.conftest import INST1, METRIC, T0, minute, write_data
from tests.rrdcached import storage_node
from tests.webapp import registered, sign_in

USER = "reader"
RANGE = {"start": str(T0), "end": str(minute(120))}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """(base directory, write address, read address) of one node for the module."""
    work = tmp_path_factory.mktemp("node")
    base = work / "base"
    write_data(RRDStore(base))
    with storage_node(base, work) as (write, read, _proc):
        yield base, write, read


def signed_in(tmp: Path, **settings: Any) -> webtest.TestApp:
    db_url = f"sqlite:///{tmp}/saved-{len(list(tmp.iterdir()))}.sqlite"
    return sign_in(webapp.testapp(webapp.testing_settings(db_url=db_url, **settings)), USER)


@pytest.fixture(scope="module")
def apps(
    node: tuple[Path, str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[webtest.TestApp, webtest.TestApp]:
    """(the app on the node, the app on the same files read locally)."""
    base, _, read = node
    tmp = tmp_path_factory.mktemp("apps")
    remote = signed_in(tmp, rrd_dir=str(tmp / "absent"), reader="rrdcached", rrdcached=read)
    local = signed_in(tmp, rrd_dir=str(base))
    return remote, local


def both(apps: tuple[webtest.TestApp, webtest.TestApp], url: str, **params: str) -> Any:
    remote, local = apps
    mine = remote.get(url, params, status=200)
    theirs = local.get(url, params, status=200)
    assert mine.content_type == theirs.content_type
    assert mine.body == theirs.body, url
    return mine


def test_no_local_disk_is_read(apps: tuple[webtest.TestApp, webtest.TestApp]) -> None:
    remote, _ = apps
    reader = registered(remote, IRRDReader)
    assert reader.backend == "rrdcached"
    assert not Path(str(remote.app.registry.settings["graphmetrics"].rrd_dir)).exists()
    assert reader.series_names() == sorted([INST1, "tracelog/app2__acme__inst2", METRIC])


def test_dashboards_show_the_node_data(apps: tuple[webtest.TestApp, webtest.TestApp]) -> None:
    remote, _ = apps
    menu = both(apps, "/api/tracelog/menu").json
    assert [item["name"] for item in menu["items"]] == ["acme"]
    both(apps, "/api/tracelog/menu", customer="acme", host="app1")
    graph = both(apps, "/api/tracelog/graph", kind="instance", instance="app1__acme__inst1")
    definition = json.dumps(graph.json["definition"])
    png = both(apps, "/render", graph=definition, **RANGE)
    assert png.content_type == "image/png"
    assert remote.get(f"/{USER}/default/", status=200).text.count("<html") == 1


def test_series_search_lists_the_node(apps: tuple[webtest.TestApp, webtest.TestApp]) -> None:
    found = both(apps, "/series", q="acme").json
    assert [s["name"] for s in found["series"]] == [INST1, "tracelog/app2__acme__inst2"]
    assert both(apps, "/series", q="glob:metrics/*").json["total"] == 1


def test_render_png_and_json_match_the_local_files(
    apps: tuple[webtest.TestApp, webtest.TestApp],
) -> None:
    both(apps, "/render", series=f"{INST1}:rpm", format="png", **RANGE)
    both(apps, "/render", series=f"{METRIC}:data", format="csv", **RANGE)
    # too heavy to draw in the web process: a render worker reads the node too
    year = {"start": str(T0 - 300 * 86400), "end": str(minute(120))}
    both(apps, "/render", series=f"{INST1}:rpm", width="2000", height="800", **year)
    assert registered(apps[0], IRRDReader).pool.started >= 1
    data = both(apps, "/render", series=f"{INST1}:rpm", format="json", **RANGE).json
    assert [row[1] for row in data["rows"] if row[0] == minute(10)] == [10.0]


def test_render_errors_on_the_node(apps: tuple[webtest.TestApp, webtest.TestApp]) -> None:
    remote, _ = apps
    missing = remote.get("/render", {"series": "tracelog/none:rpm", "format": "json"}, status=404)
    assert missing.json["error"] == "no RRD file 'tracelog/none' (series s0)"
    bad = remote.get("/render", {"series": "elsewhere/x:rpm", "format": "json"}, status=400)
    assert "is not under carbon/, metrics/, pool/, tracelog/" in bad.json["error"]
    spaced = registered(remote, IRRDReader)
    with pytest.raises(FileError, match="has a space or control character"):
        spaced.resolve([("metrics/a b", "s0")])


def test_graphite_finds_and_renders_the_node(
    apps: tuple[webtest.TestApp, webtest.TestApp],
) -> None:
    find = both(apps, "/graphite/metrics/find", query="*", format="json").json
    assert find == [{"path": "metrics", "is_leaf": False}, {"path": "tracelog", "is_leaf": False}]
    leaves = both(apps, "/graphite/metrics/find", query="tracelog.app1__acme__inst1.*").json
    assert {leaf["text"] for leaf in leaves} == set(TRACELOG.data_sources)
    target = "metrics.host_example.cfg.section.metric"
    times = {"from": str(T0), "until": str(T0 + 7200)}
    rendered = both(apps, "/graphite/render", target=target, format="json", **times).json
    assert [p for p in rendered[0]["datapoints"] if p[0] is not None][:2] == [
        [10.0, T0 + 300],
        [20.0, T0 + 600],
    ]
    both(apps, "/graphite/render", target="tracelog.*.rpm", format="json", **times)
    both(apps, "/graphite/render", target=target, format="png", **times)
    # a leaf's intervals come from rrdtool info, through the node's rrdcached
    remote, local = apps
    spans = [
        app.get("/graphite/metrics/find", {"query": target, "format": "json"}).json[0]["intervals"]
        for app in (remote, local)
    ]
    for key in ("start", "end"):
        assert spans[0][0][key] == pytest.approx(spans[1][0][key], abs=60)


def test_pending_updates_are_read_and_move_the_etag(
    node: tuple[Path, str, str], apps: tuple[webtest.TestApp, webtest.TestApp]
) -> None:
    _, write, _ = node
    remote, _ = apps
    params = {"series": f"{INST1}:rpm", "format": "json", "start": str(T0), "end": str(minute(122))}
    before = remote.get("/render", params, status=200)
    answer = cached.commands(
        write, [f"UPDATE {INST1}.rrd {minute(121)}:999:0:0:999:0" + ":U" * len(LATENCY_DS)]
    )
    assert answer[0][0].startswith("0"), answer
    after = remote.get("/render", params, status=200)
    assert after.headers["ETag"] != before.headers["ETag"]
    rows = {row[0]: row[1] for row in after.json["rows"]}
    assert (rows[minute(120)], rows[minute(121)]) == (120.0, 999.0)


def test_healthz_pings_the_node(tmp_path: Path) -> None:
    base = tmp_path / "base"
    with storage_node(base, tmp_path) as (_write, read, proc):
        app = signed_in(
            tmp_path, rrd_dir=str(tmp_path / "absent"), reader="rrdcached", rrdcached=read
        )
        assert app.get("/healthz", status=200).text == "ok\n"
        proc.terminate()
        proc.wait(timeout=10)
        down = app.get("/healthz", status=503).text
        assert down == "storage: rrdcached does not answer PING (DaemonError)\n"
        failed = app.get("/render", {"series": f"{INST1}:rpm", "format": "json"}, status=503)
        assert "the storage node cannot be read" in failed.json["error"]
        assert (
            app.get("/api/tracelog/menu", status=503)
            .json["error"]
            .startswith("the storage node cannot be read")
        )


def test_reader_rrdcached_needs_an_address(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="reader = rrdcached needs"):
        webapp.testapp(webapp.testing_settings(rrd_dir=str(tmp_path), reader="rrdcached"))
