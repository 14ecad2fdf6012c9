"""Agents nobody here wrote, unmodified: Debian's collectd (``write_graphite``) feeding
graphmetrics-carbon and Debian's carbon-cache at once, compared through the Graphite
API with graphite-web over carbon's whisper files; npm's statsd flushing counters,
timers and gauges."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import webtest

from tests import webapp
from tests.carbon_cache import running_carbon_cache
from tests.functional.carbon.conftest import running_carbon, status
from tests.functional.graphite.conftest import GraphiteWeb
from tests.helpers import REPO, free_port, wait_for
from tests.webapp import sign_in

pytestmark = pytest.mark.slow

SCHEMAS = "[agents]\npattern = ^(collectd|stats)\nretentions = 2s:1h,10s:1d\n"

COLLECTD_CONF = """\
Hostname "agent1"
FQDNLookup false
BaseDir "{work}"
PIDFile "{work}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 2
LoadPlugin load
LoadPlugin memory
LoadPlugin write_graphite
<Plugin write_graphite>
{nodes}</Plugin>
"""

NODE = """  <Node "{name}">
    Host "127.0.0.1"
    Port "{port}"
    Protocol "tcp"
    Prefix "collectd."
  </Node>
"""


def app_on(rrd_dir: Path, tmp: Path) -> webtest.TestApp:
    settings = webapp.testing_settings(db_url=f"sqlite:///{tmp}/saved.sqlite", rrd_dir=str(rrd_dir))
    return sign_in(webapp.testapp(settings), "u")


@dataclass
class Both:
    ours: webtest.TestApp
    graphite: GraphiteWeb
    start: int
    end: int
    log: str

    def render(self, target: str) -> tuple[list[list[Any]], list[list[Any]]]:
        params = [("target", target), ("from", str(self.start)), ("until", str(self.end))]
        mine = self.ours.get("/graphite/render", [*params, ("format", "json")]).json
        code, body = self.graphite.get("/render/", [*params, ("format", "json"), ("noCache", "1")])
        assert code == 200, body
        theirs = json.loads(body)
        assert len(mine) == len(theirs) == 1, (mine, theirs)
        return mine[0]["datapoints"], theirs[0]["datapoints"]

    def find(self, query: str) -> tuple[list[str], list[str]]:
        mine = self.ours.get("/graphite/metrics/find", {"query": query}).json
        code, body = self.graphite.get("/metrics/find/", [("query", query)])
        assert code == 200, body
        return sorted(n["text"] for n in mine), sorted(n["text"] for n in json.loads(body))


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    work = tmp_path_factory.mktemp("agents")
    storage = work / "graphite"
    rrd_dir = work / "rrd"
    schemas = work / "storage-schemas.conf"
    schemas.write_text(SCHEMAS)
    with (
        running_carbon_cache(work, storage, SCHEMAS) as reference,
        running_carbon(rrd_dir, work, "--carbon-schemas", str(schemas)) as carbon,
    ):
        nodes = NODE.format(name="graphmetrics", port=carbon.line_port)
        nodes += NODE.format(name="carbon", port=reference.line_port)
        conf = work / "collectd.conf"
        conf.write_text(COLLECTD_CONF.format(work=work, nodes=nodes))
        start = int(time.time())
        collectd = subprocess.Popen(["collectd", "-f", "-C", str(conf)], stdout=subprocess.DEVNULL)
        time.sleep(11)
        collectd.send_signal(signal.SIGTERM)
        assert collectd.wait(timeout=20) == 0
        end = int(time.time())
        load = reference.whisper / "collectd" / "agent1" / "load" / "load" / "shortterm.wsp"
        wait_for(load.exists, timeout=20, what="carbon-cache's whisper file")
        time.sleep(2)  # carbon-cache writes its cache out within a second or so
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    graphite = GraphiteWeb(storage)
    try:
        yield Both(app_on(rrd_dir, work), graphite, start - 4, end + 4, log)
    finally:
        graphite.close()


def test_collectd_series_exist_in_both(both: Both) -> None:
    for query in (
        "collectd.*",
        "collectd.agent1.*",
        "collectd.agent1.*.*",
        "collectd.agent1.load.load.*",
    ):
        mine, theirs = both.find(query)
        assert mine == theirs and theirs, query
    assert status(both.log)["bad"] == 0


@pytest.mark.parametrize(
    "target",
    [
        "collectd.agent1.load.load.shortterm",
        "collectd.agent1.memory.memory-used",
        "sumSeries(collectd.agent1.memory.*)",
    ],
)
def test_render_equals_graphite_web_over_whisper(both: Both, target: str) -> None:
    """Same timestamps; every value carbon stored is ours too.  Where whisper has no
    point because collectd's two-second interval drifted past a slot, our file carries
    the next value back into it (the heartbeat, docs/inputs.md "Carbon"): those are
    the only differences allowed."""
    mine, theirs = both.render(target)
    assert [ts for _, ts in mine] == [ts for _, ts in theirs]
    known = [(a, b) for (a, _), (b, _) in zip(mine, theirs, strict=True) if b is not None]
    assert len(known) >= 3
    assert all(a == pytest.approx(b) for a, b in known), (mine, theirs)


STATSD_CONFIG = """{{
  graphiteHost: "127.0.0.1", graphitePort: {graphite}, port: {port}, address: "127.0.0.1",
  mgmt_address: "127.0.0.1", mgmt_port: {mgmt}, flushInterval: 2000,
  backends: ["./backends/graphite"]
}}"""


def statsd_dir() -> Path:
    """npm's statsd: in node_modules (``npm install``), or where ``GM_STATSD_DIR`` says."""
    for folder in (REPO / "node_modules" / "statsd", Path(os.environ.get("GM_STATSD_DIR", "-"))):
        if (folder / "stats.js").is_file():
            return folder
    pytest.fail("statsd is not installed: run `npm install` at the repository root")


def test_statsd_flushes_what_grafana_then_shows(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    schemas = tmp_path / "storage-schemas.conf"
    schemas.write_text(SCHEMAS)
    port = free_port()
    with running_carbon(rrd_dir, tmp_path, "--carbon-schemas", str(schemas)) as carbon:
        config = tmp_path / "statsd.js"
        config.write_text(
            STATSD_CONFIG.format(graphite=carbon.line_port, port=port, mgmt=free_port())
        )
        home = statsd_dir()
        statsd = subprocess.Popen(
            ["node", "stats.js", str(config)],
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(1.5)
            start = int(time.time())
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                packet = (
                    "app.hits:1|c\n" * 5 + "app.latency:12|ms\napp.latency:18|ms\napp.queue:3|g"
                )
                sock.sendto(packet.encode(), ("127.0.0.1", port))
            gauge = rrd_dir / "carbon" / "stats" / "gauges" / "app" / "queue.rrd"
            wait_for(gauge.exists, timeout=20, what="statsd's first flush")
            time.sleep(4.5)  # two more flushes
        finally:
            statsd.terminate()
            statsd.wait(timeout=20)
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    app = app_on(rrd_dir, tmp_path)

    def values(target: str) -> list[float]:
        params = {"target": target, "from": str(start - 4), "until": str(int(time.time()) + 2)}
        (series,) = app.get("/graphite/render", {**params, "format": "json"}).json
        return [v for v, _ in series["datapoints"] if v is not None]

    assert max(values("stats_counts.app.hits")) == 5
    assert max(values("stats.app.hits")) == 2.5  # per second over the 2 s flush
    assert max(values("stats.timers.app.latency.mean")) == 15
    assert max(values("stats.timers.app.latency.upper")) == 18
    assert max(values("stats.timers.app.latency.lower")) == 12
    assert max(values("stats.timers.app.latency.count")) == 2
    assert set(values("stats.gauges.app.queue")) == {3.0}
    assert status(log)["bad"] == 0
