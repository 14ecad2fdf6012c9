"""The same samples in RRD files (our app) and whisper files (graphite-web itself).

Samples, minute ``i`` = ``T0 + 60*i`` for i in 1..170, ``NOW = T0 + 3h``:

* ``tracelog/<instance>`` for three instances (tracelog layout, five data sources):
  ``rpm`` a wave with gaps (unknown at minutes in :data:`GAPS`), ``epm`` = i % 4 + n,
  ``bl`` a counter that resets every 17 minutes, ``spr`` = 200 + n, ``start``;
* ``metrics/host.example/cfg/section/metric`` and
  ``metrics/db1.example.com/cimaa/load/load1`` (metrics layout, step 300): every 5
  minutes.

The whisper files get the same samples under the Graphite names and archives of
the same steps; graphite-web runs as a child process (:mod:`.graphite_web`).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import webtest

from graphmetrics.rrd.schema import METRICS, TRACELOG, Schema
from graphmetrics.rrd.store import RRDStore
from tests.functional.web_render.conftest import make_app

T0 = 1_700_000_000 // 3600 * 3600
NOW = T0 + 3 * 3600
MINUTES = 170
GAPS = {30, 31, 32, 77, 120}
INSTANCES = ("app1__acme__inst1", "app2__acme__inst2", "app3__beta__web1")
METRIC_FILES = ("host.example/cfg/section/metric", "db1.example.com/cimaa/load/load1")
GRAPHITE_PYTHON = "/usr/bin/python3"
HARNESS = Path(__file__).with_name("graphite_web.py")

Samples = list[tuple[int, list[float | None]]]


def tracelog_samples(n: int) -> Samples:
    samples: Samples = []
    for i in range(1, MINUTES + 1):
        rpm = None if i in GAPS else round(100 + 30 * math.sin(i / 9 + n) + 7 * n, 3)
        samples.append(
            (
                T0 + 60 * i,
                [rpm, float(i % 4 + n), float((i * 3) % 17 * (n + 1)), 200.0 + n, 0.0]
                + [round(0.05 * (k + 1) + 0.01 * n + 0.001 * (i % 7), 4) for k in range(13)],
            )
        )
    return samples


def metric_samples(n: int) -> Samples:
    return [(T0 + 300 * k, [float(k * 10 + n)]) for k in range(1, MINUTES // 5 + 1)]


def whisper_archives(schema: Schema) -> list[list[int]]:
    return [[schema.step * a.steps, a.rows] for a in schema.archives]


class GraphiteWeb:
    """graphite-web in a child process; :meth:`get` returns (status, body)."""

    def __init__(self, storage: Path) -> None:
        if not Path(GRAPHITE_PYTHON).exists() or shutil.which("dpkg") is None:
            raise AssertionError("Debian's python3 is needed to run graphite-web")
        self.proc = subprocess.Popen(
            [GRAPHITE_PYTHON, str(HARNESS), str(storage)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self._read()
        assert ready == {"ready": True}, ready

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(
                "graphite-web did not start: is Debian's graphite-web installed "
                "(make install-test)?"
            )
        return json.loads(line)

    def ask(self, request: dict[str, Any]) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def write(
        self,
        name: str,
        schema: Schema,
        column: int,
        samples: Samples,
        now: int = NOW,
        live: bool = False,
    ) -> None:
        points = [[ts, values[column]] for ts, values in samples]
        archives = whisper_archives(schema)
        answer = self.ask(
            {"write": name, "archives": archives, "points": points, "now": now, "live": live}
        )
        assert answer == {"status": 0}

    def get(self, path: str, params: list[tuple[str, str]]) -> tuple[int, str]:
        answer = self.ask({"get": f"{path}?{urlencode(params)}"})
        return answer["status"], answer["body"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class Pair:
    """Our app and graphite-web over the same samples."""

    ours: webtest.TestApp
    graphite: GraphiteWeb

    def render(self, targets: list[str], **params: Any) -> tuple[Any, Any]:
        params.setdefault("now", NOW)
        query = [("target", t) for t in targets] + [
            ("format", "json"),
            *((k, str(v)) for k, v in params.items()),
        ]
        mine = self.ours.get("/graphite/render", query).json
        status, body = self.graphite.get("/render/", [*query, ("noCache", "1")])
        assert status == 200, body
        return mine, json.loads(body)

    def csv(self, targets: list[str], **params: Any) -> tuple[str, str]:
        query = [("target", t) for t in targets] + [
            ("format", "csv"),
            ("now", str(NOW)),
            *((k, str(v)) for k, v in params.items()),
        ]
        mine = self.ours.get("/graphite/render", query).text
        status, body = self.graphite.get("/render/", [*query, ("noCache", "1")])
        assert status == 200, body
        return mine, body

    def find(self, query: str, **params: Any) -> tuple[Any, Any]:
        items = [("query", query), *((k, str(v)) for k, v in params.items())]
        mine = self.ours.get("/graphite/metrics/find", items).json
        status, body = self.graphite.get("/metrics/find/", items)
        assert status == 200, body
        return mine, json.loads(body)


def write_both(rrd_dir: Path, graphite: GraphiteWeb) -> None:
    store = RRDStore(rrd_dir)
    for n, instance in enumerate(INSTANCES):
        samples = tracelog_samples(n)
        store.write(f"tracelog/{instance}", TRACELOG, samples)
        for column, ds in enumerate(TRACELOG.data_sources):
            graphite.write(f"tracelog/{instance}/{ds}", TRACELOG, column, samples)
    for n, rel in enumerate(METRIC_FILES):
        samples = metric_samples(n)
        store.write(f"metrics/{rel}", METRICS, samples)
        name = "/".join(part.replace(".", "_") for part in rel.split("/"))
        graphite.write(f"metrics/{name}", METRICS, 0, samples)


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """One graphite-web and one app for every comparison module (read-only: the
    answers depend on the samples only; ``test_consolidation`` has its own)."""
    rrd_dir = tmp_path_factory.mktemp("rrd")
    graphite = GraphiteWeb(tmp_path_factory.mktemp("graphite"))
    try:
        write_both(rrd_dir, graphite)
        yield Pair(make_app(rrd_dir), graphite)
    finally:
        graphite.close()


def assert_same_series(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    """Same targets in the same order, same timestamps, values within float tolerance."""
    assert [s["target"] for s in mine] == [s["target"] for s in theirs]
    for ours, reference in zip(mine, theirs, strict=True):
        assert [ts for _, ts in ours["datapoints"]] == [ts for _, ts in reference["datapoints"]], (
            ours["target"]
        )
        for (a, ts), (b, _) in zip(ours["datapoints"], reference["datapoints"], strict=True):
            if a is None or b is None:
                assert a == b, (ours["target"], ts, a, b)
            else:
                assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (ours["target"], ts)
