"""A metric sent to ``graphmetrics-carbon`` as ``servers.web1.cpu.user`` is found and
drawn under that name by the Graphite API (Grafana) and found by the builder's series
search, from local files and from an rrdcached storage node alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest

from tests import webapp
from tests.functional.carbon.conftest import running_carbon
from tests.helpers import wait_for
from tests.rrdcached import storage_node
from tests.webapp import sign_in

NOW = int(time.time()) // 60 * 60
T0 = NOW - 3600
NAMES = ["servers.web1.cpu.user", "servers.web2.cpu.user", "servers.web1.cpu.system", "top"]


def value(name: str, k: int) -> float:
    return NAMES.index(name) * 100 + k


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The RRD directory the real receiver wrote from plaintext lines."""
    work = tmp_path_factory.mktemp("carbon")
    rrd_dir = work / "rrd"
    lines = "".join(
        f"{name} {value(name, k)} {T0 + 60 * k}\n" for k in range(1, 31) for name in NAMES
    )
    lines += f"cpu.user;host=web1;dc=eu 5 {T0 + 60}\n"
    with running_carbon(rrd_dir, work) as carbon:
        carbon.send(lines)
        wait_for(lambda: "written=121" in carbon.stop(), what="121 points written")
    return rrd_dir


@pytest.fixture(scope="module", params=["local", "node"])
def app(
    request: pytest.FixtureRequest, received: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[webtest.TestApp]:
    tmp = tmp_path_factory.mktemp("app")
    db_url = f"sqlite:///{tmp}/saved.sqlite"
    if request.param == "local":
        yield sign_in(
            webapp.testapp(webapp.testing_settings(db_url=db_url, rrd_dir=str(received))), "u"
        )
        return
    with storage_node(received, tmp) as (_, read, _proc):
        settings = webapp.testing_settings(
            db_url=db_url, rrd_dir=str(tmp / "absent"), reader="rrdcached", rrdcached=read
        )
        yield sign_in(webapp.testapp(settings), "u")


def find(app: webtest.TestApp, query: str) -> list[tuple[str, bool]]:
    nodes = app.get("/graphite/metrics/find", {"query": query, "format": "completer"}).json
    return [(n["path"].rstrip("."), n["is_leaf"] == "1") for n in nodes["metrics"]]


def render(app: webtest.TestApp, target: str) -> list[dict[str, Any]]:
    params = {"target": target, "from": str(T0), "until": str(T0 + 1800), "format": "json"}
    return app.get("/graphite/render", params, status=200).json


def test_grafana_finds_the_names_as_sent(app: webtest.TestApp) -> None:
    assert ("servers", False) in find(app, "*")
    assert ("top", True) in find(app, "*")
    assert find(app, "servers.*") == [("servers.web1", False), ("servers.web2", False)]
    assert find(app, "servers.web1.cpu.*") == [
        ("servers.web1.cpu.system", True),
        ("servers.web1.cpu.user", True),
    ]
    assert find(app, "cpu.*") == [("cpu.user;dc=eu;host=web1", True)]


def test_graphite_render_draws_the_values_sent(app: webtest.TestApp) -> None:
    (series,) = render(app, "servers.web1.cpu.user")
    assert series["target"] == "servers.web1.cpu.user"
    points = {ts: v for v, ts in series["datapoints"] if v is not None}
    assert points == {T0 + 60 * k: value("servers.web1.cpu.user", k) for k in range(1, 31)}
    (total,) = render(app, "sumSeries(servers.*.cpu.user)")
    sums = {ts: v for v, ts in total["datapoints"] if v is not None}
    assert sums[T0 + 600] == value("servers.web1.cpu.user", 10) + value("servers.web2.cpu.user", 10)


def test_the_builder_finds_and_draws_the_same_series(app: webtest.TestApp) -> None:
    for query in ("servers.web1.cpu.user", "glob:servers.web1.*", "servers web1 user"):
        found = app.get("/series", {"q": query}, status=200).json
        names = [s["name"] for s in found["series"]]
        assert "carbon/servers/web1/cpu/user" in names, query
    (entry,) = [s for s in found["series"] if s["name"] == "carbon/servers/web1/cpu/user"]
    assert entry["ds"] == ["value"]
    params = {
        "series": "carbon/servers/web1/cpu/user:value",
        "start": str(T0),
        "end": str(T0 + 1800),
        "format": "csv",
    }
    csv_rows = app.get("/render", params, status=200).text.splitlines()[1:]
    values = [float(v) for _, v in (row.split(",")[:2] for row in csv_rows) if v and v != "nan"]
    assert values == [value("servers.web1.cpu.user", k) for k in range(1, 31)]
