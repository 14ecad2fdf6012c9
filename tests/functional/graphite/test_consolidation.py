"""The documented difference: what a consolidated point covers, RRD versus whisper.

Two days of minute samples (written to whisper an hour at a time, as carbon would, so
its lower archives hold averages), read over a range only the 5-minute archives cover.  Our
point at ``T`` averages the samples written at ``T-240 … T`` (rrdtool's row ending at
``T``); graphite-web's averages ``T … T+240`` (whisper's slot starting at ``T``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from statistics import mean

import pytest

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.functional.graphite.conftest import GraphiteWeb, Pair, Samples, assert_same_series
from tests.functional.web_render.conftest import make_app

T0 = 1_700_000_000 // 86400 * 86400
DAYS = 2
NOW = T0 + DAYS * 86400 + 600
TARGET = "tracelog.web1__acme__inst1.rpm"


def value(i: int) -> float:
    return round(50 + 40 * math.sin(i / 13) + (i % 7), 3)


def samples() -> Samples:
    return [(T0 + 60 * i, [value(i), 0.0, 0.0, 0.0, 0.0]) for i in range(1, DAYS * 1440 + 1)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    rrd_dir = tmp_path_factory.mktemp("rrd")
    graphite = GraphiteWeb(tmp_path_factory.mktemp("graphite"))
    try:
        data = samples()
        RRDStore(rrd_dir).write("tracelog/web1__acme__inst1", TRACELOG, data)
        graphite.write("tracelog/web1__acme__inst1/rpm", TRACELOG, 0, data, NOW, live=True)
        yield Pair(make_app(rrd_dir), graphite)
    finally:
        graphite.close()


def written(ts: int) -> float:
    return value((ts - T0) // 60)


def test_consolidated_points_cover_the_step_ending_here_not_starting_here(pair: Pair) -> None:
    start, end = NOW - 40 * 3600, NOW - 30 * 3600  # only the 5-minute archives reach back
    mine, theirs = pair.render([TARGET], now=NOW, **{"from": str(start), "until": str(end)})
    ours, reference = mine[0]["datapoints"], theirs[0]["datapoints"]
    assert [ts for _, ts in ours] == [ts for _, ts in reference]
    assert len(ours) == 120 and ours[1][1] - ours[0][1] == 300
    for (v, ts), (w, _) in zip(ours, reference, strict=True):
        assert v == pytest.approx(mean(written(ts - k * 60) for k in range(5)), abs=1e-6)
        assert w == pytest.approx(mean(written(ts + k * 60) for k in range(5)), abs=1e-6)
    assert any(abs(v - w) > 1 for (v, _), (w, _) in zip(ours, reference, strict=True))


def test_the_finest_archive_is_identical(pair: Pair) -> None:
    start, end = NOW - 6 * 3600, NOW - 3600
    mine, theirs = pair.render([TARGET], now=NOW, **{"from": str(start), "until": str(end)})
    assert_same_series(mine, theirs)
    assert mine[0]["datapoints"][0] == [written(start + 60), start + 60]
