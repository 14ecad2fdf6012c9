"""Response times per minute: the DDSketch keys and quantiles, a hand-computed log,
apdex, and a state saved mid-minute giving the rows of one pass."""

from __future__ import annotations

import json
import random

import pytest
from ddsketch import DDSketch

from graphmetrics.rrd.schema import LATENCY_DS
from graphmetrics.tracelog.aggregate import Aggregator, LatencyRow, MinuteClock
from graphmetrics.tracelog.latency import (
    MAPPING,
    RELATIVE_ACCURACY,
    ZERO_KEY,
    ApdexTargets,
    Sketch,
    bucket,
    bucket_value,
)
from graphmetrics.tracelog.parser import Parser

from .test_tracelog_aggregate import INST, epoch


def test_bucket_is_the_library_key() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(-2, 2) for _ in range(20_000)] + [1e-6, 1.0, 60.0, 3600.0]
    assert [bucket(v) for v in values] == [MAPPING.key(v) for v in values]
    assert bucket(0.0) == ZERO_KEY


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_are_the_library_quantiles(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(-1.5, 1) for _ in range(rng.randint(1, 3000))] + [0.0]
    ours, theirs = Sketch(), DDSketch(RELATIVE_ACCURACY)
    for v in values:
        ours.add(v)
        theirs.add(v)
    for q in (0.0, 0.5, 0.9, 0.99, 1.0):
        assert ours.quantile(q) == pytest.approx(theirs.get_quantile_value(q), rel=1e-12)
    assert ours.max == max(values)


def test_a_saved_sketch_reads_the_same() -> None:
    rng = random.Random(5)
    sketch = Sketch()
    for _ in range(5000):
        sketch.add(rng.lognormvariate(-1, 1.5))
    sketch.add(0.0)
    again = Sketch.load(json.loads(json.dumps(sketch.dump())))
    assert again.summary() == sketch.summary()
    assert again.count == sketch.count
    assert all(bucket(bucket_value(k)) == k for k in range(-2000, 2000))


def latency(text: str, agg: Aggregator | None = None) -> dict[str, list[LatencyRow]]:
    agg = agg or Aggregator(MinuteClock("UTC"), apdex=ApdexTargets("1,acme=0.5"))
    parser = Parser()
    for line in text.strip().splitlines():
        agg.feed(parser.parse("app1 acme inst1 : " + line.strip()))
    agg.take_rows()
    return agg.take_latency()


def request(rid: int, begin: float, start: float, answer: float, end: float | None) -> str:
    """B, I, C, A (and E) records of one request, times in seconds after 12:00:00."""

    def at(t: float) -> str:
        return f"2024-01-01 12:{int(t // 60):02d}:{t % 60:09.6f}"

    lines = [
        f"B {rid} {at(begin)} GET /x?id={rid}",
        f"I {rid} {at(begin)} 0",
        f"C {rid} {at(start)}",
        f"A {rid} {at(answer)} {'500' if rid == 10 else '200'} 10",
    ]
    if end is not None:
        lines.append(f"E {rid} {at(end)}")
    return "\n".join(lines)


def test_hand_computed_minute() -> None:
    # ten requests: waits 0.1 s each but request 9 (2 s); app times 0.1..1.0 s;
    # totals = wait + app + 0.05 s to the E
    text = []
    for rid in range(1, 11):
        wait = 2.0 if rid == 9 else 0.1
        app = rid / 10
        end = 1 + wait + app + 0.05
        text.append(request(rid, 1.0, 1 + wait, 1 + wait + app, end))
    text.append("B 99 2024-01-01 12:01:30 GET /")  # closes 12:00
    rows = latency("\n".join(text))[INST]
    assert [ts for ts, _ in rows] == [epoch("2024-01-01 12:01")]
    got = dict(zip(LATENCY_DS, rows[0][1], strict=True))
    totals = sorted((2.0 if r == 9 else 0.1) + r / 10 + 0.05 for r in range(1, 11))
    apps = [r / 10 for r in range(1, 11)]
    # DDSketch's rank q * (n - 1), the first value whose count passes it: p50 -> 5th
    for name, values in (("p", totals), ("app", apps)):
        assert got[f"{name}50"] == pytest.approx(values[4], rel=RELATIVE_ACCURACY)
        assert got[f"{name}90"] == pytest.approx(values[8], rel=RELATIVE_ACCURACY)
        assert got[f"{name}99"] == pytest.approx(values[8], rel=RELATIVE_ACCURACY)
    assert got["pmax"] == pytest.approx(2.0 + 0.9 + 0.05)
    assert got["appmax"] == pytest.approx(1.0)
    assert got["wait50"] == pytest.approx(0.1, rel=RELATIVE_ACCURACY)
    assert got["wait99"] == pytest.approx(0.1, rel=RELATIVE_ACCURACY)
    assert got["waitmax"] == pytest.approx(2.0)
    # T = 0.5 s for acme; totals 0.25 0.35 0.45 | 0.55 0.65 0.75 0.85 0.95 | 2.95,
    # and 1.15 for request 10 (status 500): 3 satisfied, 5 tolerating (<= 2 s), 2 frustrated
    assert got["apdex"] == pytest.approx((3 + 5 / 2) / 10)


def test_total_goes_to_the_minute_of_the_end_and_waits_to_the_start() -> None:
    rows = latency(
        """
        B 1 2024-01-01 12:00:59.000000 GET /
        I 1 2024-01-01 12:00:59.000000 0
        C 1 2024-01-01 12:00:59.500000
        A 1 2024-01-01 12:01:01.500000 200 5
        E 1 2024-01-01 12:01:02.000000
        B 2 2024-01-01 12:02:00 GET /
        """
    )[INST]
    first, second = (dict(zip(LATENCY_DS, v, strict=True)) for _, v in rows)
    assert first["wait50"] == pytest.approx(0.5, rel=RELATIVE_ACCURACY)
    assert first["p50"] is None and first["app50"] is None and first["apdex"] is None
    assert second["p50"] == pytest.approx(3.0, rel=RELATIVE_ACCURACY)
    assert second["app50"] == pytest.approx(2.0, rel=RELATIVE_ACCURACY)
    assert second["apdex"] == 0.0  # 3 s > 4T = 2 s: frustrated


def test_an_answer_without_end_counts_b_to_a_in_the_next_minute() -> None:
    rows = latency(
        """
        B 1 2024-01-01 12:00:01 GET /
        I 1 2024-01-01 12:00:01 0
        C 1 2024-01-01 12:00:02
        A 1 2024-01-01 12:00:03 200 5
        B 2 2024-01-01 12:01:00 GET /
        B 3 2024-01-01 12:02:00 GET /
        """
    )[INST]
    first, second = (dict(zip(LATENCY_DS, v, strict=True)) for _, v in rows)
    assert first["pmax"] is None  # its E may still come, in the next minute
    assert second["pmax"] == pytest.approx(2.0)


def test_requests_without_input_and_restarts() -> None:
    rows = latency(
        """
        B 1 2024-01-01 12:00:01 GET /
        C 1 2024-01-01 12:00:02
        A 1 2024-01-01 12:00:03 200 5
        E 1 2024-01-01 12:00:04
        B 2 2024-01-01 12:00:05 GET /
        I 2 2024-01-01 12:00:05 0
        C 2 2024-01-01 12:00:06
        A 2 2024-01-01 12:00:09 200 5
        S 0 2024-01-01 12:00:10
        E 2 2024-01-01 12:00:11
        B 3 2024-01-01 12:01:00 GET /
        """
    )[INST]
    got = dict(zip(LATENCY_DS, rows[0][1], strict=True))
    # request 1 had no I (not counted); 2 was answered, then the server restarted: B -> A
    assert got["pmax"] == pytest.approx(4.0)
    assert got["appmax"] == pytest.approx(3.0)
    assert got["apdex"] == 0.0


def test_saved_mid_minute_gives_the_rows_of_one_pass() -> None:
    rng = random.Random(3)
    lines = []
    for rid in range(200):
        b = rng.uniform(0, 150)
        c = b + rng.expovariate(10)
        a = c + rng.expovariate(3)
        lines += request(rid, b, c, a, a + 0.01).splitlines()
    lines.sort(key=lambda line: line.split()[3])
    lines.append("B 999 2024-01-01 12:05:00 GET /")
    one_pass = latency("\n".join(lines))
    assert len(one_pass[INST]) >= 3
    for cut in (37, 401, 777):
        agg = Aggregator(MinuteClock("UTC"), apdex=ApdexTargets("1,acme=0.5"))
        first = latency("\n".join(lines[:cut]), agg)
        again = Aggregator(MinuteClock("UTC"), apdex=ApdexTargets("1,acme=0.5"))
        again.load(json.loads(json.dumps(agg.dump())))
        second = latency("\n".join(lines[cut:]), again)
        assert first.get(INST, []) + second[INST] == one_pass[INST]


@pytest.mark.parametrize("spec", ["0", "-1", "x", "acme=", "acme=nan", "1,b=inf"])
def test_bad_apdex_targets_say_so(spec: str) -> None:
    with pytest.raises(ValueError, match="apdex target"):
        ApdexTargets(spec)


def test_apdex_targets() -> None:
    targets = ApdexTargets("0.25, acme=2")
    assert targets.target("acme") == 2.0
    assert targets.target("other") == 0.25
    assert ApdexTargets().target("x") == 0.5
