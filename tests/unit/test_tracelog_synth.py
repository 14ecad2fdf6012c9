"""The demo's generated traffic has a realistic latency mix, a slow endpoint included."""

from __future__ import annotations

from graphmetrics.rrd.schema import LATENCY_DS
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from graphmetrics.tracelog.parser import Parser
from graphmetrics.tracelog.synth import default_instances, generate

START = 1_700_000_000.0


def test_generated_minutes_have_a_tail_and_a_slow_endpoint() -> None:
    lines = [line for _, line in generate(default_instances(3), START, START + 1800)]
    assert any("GET /reports/export?id=" in line for line in lines)
    agg = Aggregator(MinuteClock())
    assert agg.feed_lines(Parser(), lines) == []
    agg.take_rows()
    minutes = [
        dict(zip(LATENCY_DS, values, strict=True))
        for rows in agg.take_latency().values()
        for _, values in rows
    ]
    assert len(minutes) > 60
    timed = [m for m in minutes if m["p50"] is not None]
    assert all(0.01 < m["p50"] < 1.0 for m in timed)
    assert sum(m["p99"] > 3 * m["p50"] for m in timed) > len(timed) / 2
    assert max(m["pmax"] for m in timed) > 2.0  # the report export
    assert 0.5 < sum(m["apdex"] for m in timed) / len(timed) < 1.0
