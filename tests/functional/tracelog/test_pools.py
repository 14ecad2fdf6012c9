"""A customer's pool through the real collector, rrdtool and the web app: its p99 is the
p99 of all its requests (not a mean of its instances'), its apdex counts them all, and
the pool is a series like any other for the dashboards, the builder and Graphite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.schema import POOL
from graphmetrics.tracelog.latency import RELATIVE_ACCURACY
from tests.functional.tracelog.conftest import known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.webapp import signed_in_app

MINUTE = "2024-05-01 10:00"


def pool_log(path: Path) -> list[float]:
    """acme: inst1 on app1 answers 30 requests in 0.1 s, inst2 on app2 three in 4 s and
    one in 9 s; beta's one instance is its own pool.  Returns acme's totals."""
    lines: list[str] = []
    totals: list[float] = []
    for rid in range(1, 31):
        lines += request("app1 acme inst1", rid, MINUTE, rid, wait=0.0, busy=0.098)
        totals.append(0.1)
    for rid, busy in ((101, 3.998), (102, 3.998), (103, 3.998), (104, 8.998)):
        lines += request("app2 acme inst2", rid, MINUTE, rid - 100, wait=0.0, busy=busy)
        totals.append(busy + 0.002)
    lines += request("app1 beta inst1", 1, MINUTE, 5, wait=0.0, busy=0.5)
    for src in ("app1 acme inst1", "app2 acme inst2", "app1 beta inst1"):
        lines.append(f"{src} : B 999 2024-05-01 10:01:30.000000 GET /")
    lines.sort(key=lambda line: line.split()[7])
    path.write_text("".join(line + "\n" for line in lines))
    return sorted(totals)


def test_the_pool_is_every_request_of_the_customer(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    totals = pool_log(logs / "t.log")
    run_once(logs, rrds, "--apdex-t", "1")

    assert sorted(p.name for p in (rrds / "pool").iterdir()) == ["acme.rrd", "beta.rrd"]
    info = rrdtool.info(str(rrds / "pool" / "acme.rrd"))
    assert {k[3:-6] for k in info if k.endswith("].type")} == set(POOL.data_sources)
    end = epoch("2024-05-01 10:01")
    (row,) = known(minutes(rrds / "pool" / "acme.rrd", end, end, ds=POOL.data_sources)).values()
    got = dict(zip(POOL.data_sources, row, strict=True))
    assert got["requests"] == 34
    # DDSketch's ranks over the 34 totals: p50 -> the 17th (0.1 s), p90 -> the 30th (0.1
    # s), p99 -> the 33rd (4 s)
    assert got["p50"] == pytest.approx(totals[16], rel=RELATIVE_ACCURACY)
    assert got["p90"] == pytest.approx(totals[int(0.9 * 33)], rel=RELATIVE_ACCURACY)
    assert got["p99"] == pytest.approx(4.0, rel=RELATIVE_ACCURACY)
    assert got["pmax"] == pytest.approx(9.0, abs=1e-4)
    # T = 1 s: 30 satisfied, three tolerating (<= 4 s), one frustrated
    assert got["apdex"] == pytest.approx((30 + 3 / 2) / 34)
    # the instances' own p99: 0.1 s and 4 s; their mean (2.05 s) is not the pool's
    each = [
        known(minutes(rrds / "tracelog" / f"{stem}.rrd", end, end, ds=("p99",)))[end][0]
        for stem in ("app1__acme__inst1", "app2__acme__inst2")
    ]
    assert each == [
        pytest.approx(0.1, rel=RELATIVE_ACCURACY),
        pytest.approx(4.0, rel=RELATIVE_ACCURACY),
    ]

    app = signed_in_app(rrds, "bob")
    found = app.get("/series", {"q": "pool/acme"}).json["series"]
    assert {s["name"]: s["ds"] for s in found}["pool/acme"] == list(POOL.data_sources)
    definition = app.get("/api/tracelog/graph", {"kind": "pool-response", "customer": "acme"}).json[
        "definition"
    ]
    rows = app.get(
        "/render",
        {
            "graph": json.dumps(definition),
            "start": str(end - 60),
            "end": str(end),
            "format": "json",
        },
    ).json
    assert rows["columns"] == ["max", "p50", "p90", "p99"]
    assert rows["rows"][0][1:] == [
        pytest.approx(got["pmax"]),
        pytest.approx(got["p50"]),
        pytest.approx(got["p90"]),
        pytest.approx(got["p99"]),
    ]
    png = app.get("/render", {"graph": json.dumps(definition), "start": str(end - 3600)})
    assert png.content_type == "image/png" and png.body.startswith(b"\x89PNG")
    graphite = app.get(
        "/graphite/render",
        {"target": "pool.acme.p99", "from": str(end - 120), "until": str(end), "format": "json"},
    ).json
    assert [s["target"] for s in graphite] == ["pool.acme.p99"]
    points = {ts: v for v, ts in graphite[0]["datapoints"] if v is not None}
    assert points == {end: pytest.approx(got["p99"])}  # stamped as the RRD row
    leaves = app.get("/graphite/metrics/find", {"query": "pool.*.apdex", "format": "json"}).json
    assert sorted(leaf["path"] for leaf in leaves) == ["pool.acme.apdex", "pool.beta.apdex"]


def status_counter(stderr: str, name: str) -> int:
    status = [line for line in stderr.splitlines() if "status:" in line][-1]
    return int(status.split(f" {name}=")[1].split()[0])


def test_a_pool_minute_waits_for_every_instance_across_runs(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    lines = request("app1 acme inst1", 1, MINUTE, 1, wait=0.0, busy=0.098)
    lines += request("app2 acme inst2", 2, MINUTE, 2, wait=0.0, busy=1.998)
    lines.append("app1 acme inst1 : B 3 2024-05-01 10:01:30.000000 GET /")
    log.write_text("".join(line + "\n" for line in lines))
    first = run_once(logs, rrds)
    # inst2 has not closed 10:00 yet: the pool minute waits (saved with the state)
    assert (
        status_counter(first.stderr, "pool_waiting"),
        status_counter(first.stderr, "pool_late"),
    ) == (1, 0)
    end = epoch("2024-05-01 10:01")
    pool = rrds / "pool" / "acme.rrd"
    assert not pool.exists() or not known(minutes(pool, end, end, ds=POOL.data_sources))
    with open(log, "a", encoding="utf-8") as f:
        f.write("app2 acme inst2 : B 4 2024-05-01 10:01:40.000000 GET /\n")
    second = run_once(logs, rrds)
    assert (
        status_counter(second.stderr, "pool_waiting"),
        status_counter(second.stderr, "pool_late"),
    ) == (0, 0)
    (row,) = known(minutes(pool, end, end, ds=POOL.data_sources)).values()
    got = dict(zip(POOL.data_sources, row, strict=True))
    assert got["requests"] == 2
    assert got["pmax"] == pytest.approx(2.0, abs=1e-4)
    assert got["p50"] == pytest.approx(0.1, rel=RELATIVE_ACCURACY)
