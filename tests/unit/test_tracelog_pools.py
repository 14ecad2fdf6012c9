"""A customer's pool: merged sketches (never a mean of quantiles), summed apdex, when a
pool minute closes, and a state saved midway giving the rows of one pass."""

from __future__ import annotations

import json
import random

import pytest
from ddsketch import DDSketch

from graphmetrics.rrd.schema import LATENCY_DS, POOL
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from graphmetrics.tracelog.latency import RELATIVE_ACCURACY, ApdexTargets, Sketch
from graphmetrics.tracelog.parser import Parser
from graphmetrics.tracelog.pools import COMPACT_AT, PoolSketch

from .test_tracelog_aggregate import epoch

POOL_DS = POOL.data_sources


def sketch_of(values: list[float]) -> Sketch:
    sketch = Sketch()
    for v in values:
        sketch.add(v)
    return sketch


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_pool_sketch_is_the_sketch_of_all_durations(seed: int) -> None:
    rng = random.Random(seed)
    parts = [
        [rng.lognormvariate(rng.uniform(-3, 1), 1) for _ in range(rng.randint(0, 3000))]
        for _ in range(rng.randint(1, 6))
    ]
    parts[0].append(0.0)
    pool, library = PoolSketch(), DDSketch(RELATIVE_ACCURACY)
    for part in parts:
        pool.add(sketch_of(part))
        for v in part:
            library.add(v)
    everything = sketch_of([v for part in parts for v in part])
    assert pool.summary() == everything.summary()
    p50, p90, p99, top = pool.summary()
    for got, q in ((p50, 0.5), (p90, 0.9), (p99, 0.99)):
        assert got == pytest.approx(library.get_quantile_value(q), rel=1e-12)
    assert top == max(v for part in parts for v in part)
    again = PoolSketch.load(json.loads(json.dumps(pool.dump())))
    assert again.summary() == pool.summary()
    assert again.count == pool.count == sum(len(part) for part in parts)


def test_counted_in_buckets_past_the_compaction_threshold() -> None:
    rng = random.Random(9)
    values = [rng.lognormvariate(-2, 1) for _ in range(3 * COMPACT_AT)]
    pool = PoolSketch()
    step = COMPACT_AT // 4
    for i in range(0, len(values), step):
        pool.add(sketch_of(values[i : i + step]))
        assert len(pool.pending) < COMPACT_AT  # counted into buckets once that many wait
    assert pool.counted >= 2 * COMPACT_AT and len(pool.counts) < 1000
    assert pool.summary() == sketch_of(values).summary()


def test_the_pool_p99_is_not_a_mean_of_the_instances() -> None:
    # inst1: 99 fast requests (0.1 s); inst2: one slow request (10 s)
    fast, slow = sketch_of([0.1] * 99), sketch_of([10.0])
    pool = PoolSketch()
    pool.add(fast)
    pool.add(slow)
    _, _, p99, top = pool.summary()
    # rank 0.99 * 99 = 98: the 99th of 100 requests, a fast one
    assert p99 == pytest.approx(0.1, rel=RELATIVE_ACCURACY)
    assert top == 10.0
    mean_of_p99s = (fast.quantile(0.99) + slow.quantile(0.99)) / 2  # type: ignore[operator]
    assert mean_of_p99s == pytest.approx(5.05, rel=RELATIVE_ACCURACY)


# -- through the aggregator --------------------------------------------------------------


def lines(src: str, rid: int, minute: str, second: float, wait: float, app: float) -> list[str]:
    """B I C A E of one request, 0.05 s from A to E."""

    def at(t: float) -> str:
        return f"2024-01-01 {minute}:{t:09.6f}"

    status = "500" if rid % 10 == 0 else "200"
    return [
        f"{src} : B {rid} {at(second)} GET /x",
        f"{src} : I {rid} {at(second)} 0",
        f"{src} : C {rid} {at(second + wait)}",
        f"{src} : A {rid} {at(second + wait + app)} {status} 10",
        f"{src} : E {rid} {at(second + wait + app + 0.05)}",
    ]


def feed(agg: Aggregator, text: list[str]) -> None:
    parser = Parser()
    for line in text:
        agg.feed(parser.parse(line))


def new_aggregator() -> Aggregator:
    return Aggregator(MinuteClock("UTC"), apdex=ApdexTargets("1,acme=0.5"))


def pool_rows(agg: Aggregator, host_wait: float = float("inf")) -> dict[str, list]:
    agg.close_pools(host_wait)
    return {
        customer: [(ts, dict(zip(POOL_DS, v, strict=True))) for ts, v in rows]
        for customer, rows in agg.take_pool_rows().items()
    }


def test_a_pool_minute_merges_every_instance_of_the_customer() -> None:
    agg = new_aggregator()
    text: list[str] = []
    # acme: inst1 on app1 and inst2 on app2; beta's instance is a pool of its own
    for rid in range(1, 11):
        text += lines("app1 acme inst1", rid, "12:00", rid, 0.01, rid / 10)
        text += lines("app2 acme inst2", 100 + rid, "12:00", rid + 0.5, 0.02, 2.0)
        text += lines("app1 beta inst1", 200 + rid, "12:00", rid, 0.01, 0.3)
    text.sort(key=lambda line: line.split()[7])
    feed(agg, text)
    assert pool_rows(agg) == {}  # every instance still holds 12:00
    feed(agg, ["app1 acme inst1 : B 900 2024-01-01 12:01:10 GET /"])
    assert pool_rows(agg) == {}  # inst2 still holds it
    feed(agg, ["app2 acme inst2 : B 901 2024-01-01 12:01:20 GET /"])
    rows = pool_rows(agg)
    assert list(rows) == ["acme"]
    ((ts, got),) = rows["acme"]
    assert ts == epoch("2024-01-01 12:01")
    totals = sorted([r / 10 + 0.06 for r in range(1, 11)] + [2.07] * 10)
    assert got["requests"] == 20
    # DDSketch's rank q * (n - 1) of the 20 merged totals: p50 -> 10th, p90 -> 18th
    assert got["p50"] == pytest.approx(totals[9], rel=RELATIVE_ACCURACY)
    assert got["p90"] == pytest.approx(totals[17], rel=RELATIVE_ACCURACY)
    assert got["pmax"] == pytest.approx(2.07)
    assert got["app50"] == pytest.approx(1.0, rel=RELATIVE_ACCURACY)
    assert got["waitmax"] == pytest.approx(0.02)
    # acme T = 0.5 s: inst1's 0.16..0.46 satisfied (4), 0.56..0.96 tolerating (5), its
    # 500 (rid 10) frustrated; inst2's 2.07 s all frustrated (> 4T = 2 s)
    assert got["apdex"] == pytest.approx((4 + 5 / 2) / 20)
    assert set(LATENCY_DS) < set(got)


def test_the_pool_equals_one_instance_holding_all_the_requests() -> None:
    rng = random.Random(11)
    text: list[str] = []
    single: list[str] = []
    for rid in range(300):
        second, wait, app = rng.uniform(0, 50), rng.expovariate(20), rng.expovariate(4)
        src = f"app{rid % 3} acme inst{rid % 5}"
        text += lines(src, rid, "12:00", second, wait, app)
        single += lines("one acme all", rid, "12:00", second, wait, app)
    closing = [
        f"app{h} acme inst{i} : B 9{i} 2024-01-01 12:02:00 GET /"
        for h in range(3)
        for i in range(5)
    ]
    agg, ref = new_aggregator(), new_aggregator()
    feed(agg, sorted(text, key=lambda line: line.split()[7]) + closing)
    feed(
        ref,
        sorted(single, key=lambda line: line.split()[7])
        + ["one acme all : B 1 2024-01-01 12:02:00 GET /"],
    )
    ref.take_rows()
    ((_, values),) = ref.take_latency()["one__acme__all"]
    agg.close_pools()
    ((_, pooled),) = agg.take_pool_rows()["acme"]
    assert pooled[1:] == values
    assert pooled[0] == 300


def test_an_idle_instance_holds_the_pool_only_while_its_host_may_still_write() -> None:
    agg = new_aggregator()
    feed(agg, lines("app1 acme inst1", 1, "12:00", 1, 0.01, 0.1))
    feed(agg, lines("app1 acme inst2", 2, "12:00", 2, 0.01, 0.2))
    # inst2 goes quiet; the host's clock (inst1) moves on and closes its minute
    feed(agg, lines("app1 acme inst1", 3, "12:01", 40, 0.01, 0.1))
    agg.update_hosts(1000.0)
    agg.close_quiet(now=epoch("2024-01-01 12:03"), grace=30, silence=0)
    assert agg.instances["app1__acme__inst2"].idle
    assert [ts for ts, _ in pool_rows(agg)["acme"]] == [epoch("2024-01-01 12:01")]
    # inst1's 12:01 closes; idle inst2 pending at 12:01 holds it until the host's newest
    # record is POOL_GRACE past 12:02
    feed(agg, lines("app1 acme inst1", 4, "12:02", 40, 0.01, 0.1))
    agg.update_hosts(1001.0)
    assert pool_rows(agg) == {}
    feed(agg, lines("app1 acme inst1", 5, "12:03", 10, 0.01, 0.1))
    agg.update_hosts(1002.0)
    # the host's newest, 12:03:10, is POOL_GRACE past the end of 12:01, not of 12:02
    assert [ts for ts, _ in pool_rows(agg)["acme"]] == [epoch("2024-01-01 12:02")]
    feed(agg, lines("app1 acme inst1", 6, "12:04", 1, 0.01, 0.1))
    agg.update_hosts(1003.0)
    assert [ts for ts, _ in pool_rows(agg)["acme"]] == [epoch("2024-01-01 12:03")]


def test_a_host_gone_quiet_stops_holding_the_pool_and_its_late_minutes_are_counted() -> None:
    agg = new_aggregator()
    feed(agg, lines("app1 acme inst1", 1, "12:00", 1, 0.01, 0.1))
    feed(agg, lines("app2 acme inst1", 2, "12:00", 2, 0.01, 0.2))
    agg.update_hosts(1000.0)
    feed(agg, lines("app1 acme inst1", 3, "12:01", 1, 0.01, 0.1))
    feed(agg, lines("app1 acme inst1", 4, "12:02", 1, 0.01, 0.1))
    agg.update_hosts(1200.0)
    assert pool_rows(agg, host_wait=300) == {}  # app2 read 200 s before app1: it holds
    feed(agg, lines("app1 acme inst1", 5, "12:03", 1, 0.01, 0.1))
    agg.update_hosts(1400.0)
    rows = pool_rows(agg, host_wait=300)  # app2 400 s behind: gone
    assert [ts for ts, _ in rows["acme"]] == [epoch(f"2024-01-01 12:0{m}") for m in (1, 2, 3)]
    assert rows["acme"][0][1]["requests"] == 1  # app1's request alone
    # app2 comes back: its 12:00 is written to its own file; the pool counts it late
    feed(agg, lines("app2 acme inst1", 6, "12:04", 1, 0.01, 0.1))
    assert agg.pools.late == 1
    assert [ts for ts, _ in agg.take_latency()["app2__acme__inst1"]] == [epoch("2024-01-01 12:01")]


def test_saved_midway_gives_the_pool_rows_of_one_pass() -> None:
    rng = random.Random(4)
    text: list[str] = []
    for rid in range(400):
        minute = f"12:0{rid // 100}"
        src = f"app{rid % 2} acme inst{rid % 3}"
        text += lines(src, rid, minute, rng.uniform(0, 55), rng.expovariate(20), rng.expovariate(5))
    text.sort(key=lambda line: line.split()[7])
    text += [
        f"app{h} acme inst{i} : B 9{h}{i} 2024-01-01 12:05:00 GET /"
        for h in range(2)
        for i in range(3)
    ]
    one = new_aggregator()
    feed(one, text)
    ref = pool_rows(one)["acme"]
    assert len(ref) == 4
    for cut in (501, 1003, 1777):
        agg = new_aggregator()
        feed(agg, text[:cut])
        first = pool_rows(agg).get("acme", [])
        again = new_aggregator()
        again.load(json.loads(json.dumps(agg.dump())))
        feed(again, text[cut:])
        assert first + pool_rows(again)["acme"] == ref
        assert again.pools.late == 0
