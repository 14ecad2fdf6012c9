"""Property: a log fed in random pieces, with pauses and restarts, gives the minutes of one pass.

The collector runs in process (a clock of the test's own) on real files and real RRDs.
Between pieces the input pauses for any time, the daemon looks for quiet minutes, and
it restarts from its saved state, cleanly or as after ``kill -9`` (from the last
checkpoint).  Two kinds of input: old records replayed with pauses of any length, and
live records, each piece delivered promptly (within ``--idle-flush``) after its lines
were written.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import rrdtool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmetrics.collect.tailer import TracelogCollector
from graphmetrics.rrd.schema import POOL
from graphmetrics.rrd.store import RRDStore
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock
from graphmetrics.tracelog.synth import default_instances, generate
from tests.functional.tracelog.conftest import ALL_DS, minutes
from tests.functional.tracelog.tracelog_lines import epoch

GRACE = 120.0
START = float(epoch("2024-05-01 10:00"))
#: wall clock of the replayed kind: two years after the records
TODAY = float(epoch("2026-06-01 00:00"))


@functools.cache
def log_lines() -> tuple[tuple[float, str], ...]:
    """Eight minutes of seven instances on two hosts, in the order syslog-ng writes them."""
    sims = default_instances(7, seed=5)
    for sim in sims:
        sim.base_rpm *= 0.3
    return tuple(generate(sims, START, START + 8 * 60, seed=5))


@functools.cache
def one_pass() -> Path:
    """The RRDs of the whole log read at once, as ``--once`` does."""
    root = Path(tempfile.mkdtemp(prefix="tracelog-one-pass-"))
    (root / "logs").mkdir()
    write(root / "logs" / "t.log", [line for _, line in log_lines()])
    collector = new_collector(root, lambda: TODAY)
    collector.cycle()
    assert collector.checkpoint()
    assert collector.aggregator.late == 0
    assert collector.aggregator.pools.late == 0
    return root / "rrd"


def write(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def new_collector(root: Path, clock: Callable[[], float]) -> TracelogCollector:
    collector = TracelogCollector(
        root / "logs",
        RRDStore(root / "rrd"),
        Aggregator(MinuteClock()),
        root / "rrd" / ".state" / "tracelog.json",
        idle_flush=GRACE,
        clock=clock,
    )
    collector.load_state()
    return collector


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[bool, list[tuple[int, list[float], str]]]:
    """(live, pieces): each piece is (end index, wall times of idle looks, restart kind)."""
    live = draw(st.booleans())
    lines = log_lines()
    if live:  # cut every 10 to 50 s of log time
        cuts, t = [], START
        while t < START + 8 * 60:
            t += draw(st.floats(10, 50))
            cuts.append(next((i for i, (when, _) in enumerate(lines) if when > t), len(lines)))
    else:
        cuts = sorted(draw(st.lists(st.integers(1, len(lines)), min_size=1, max_size=8)))
    cuts = sorted(set(cuts) | {len(lines)})
    pieces = []
    for end in cuts:
        looks = draw(st.lists(st.floats(0, 1) if live else st.floats(0, 7200), max_size=3))
        restart = draw(st.sampled_from(["none", "clean", "kill"]))
        pieces.append((end, sorted(looks), restart))
    return live, pieces


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=deliveries())
def test_pieces_pauses_and_restarts_give_the_minutes_of_one_pass(
    plan: tuple[bool, list[tuple[int, list[float], str]]],
) -> None:
    live, pieces = plan
    lines = log_lines()
    with tempfile.TemporaryDirectory(prefix="tracelog-pieces-") as tmp:
        root = Path(tmp)
        (root / "logs").mkdir()
        clock = Clock(START if live else TODAY)
        collector = new_collector(root, clock)
        start = 0
        for end, looks, restart in pieces:
            piece = lines[start:end]
            if live and piece:  # delivered a second after its newest line
                clock.now = max(clock.now, piece[-1][0] + 1)
            write(root / "logs" / "t.log", [line for _, line in piece])
            collector.cycle()
            collector.close_quiet()
            looked_from = clock.now
            for look in looks:
                # idle looks until the next piece: live ones before it is due
                clock.now = looked_from + (look * GRACE / 2 if live else look)
                collector.cycle()
                collector.close_quiet()
            if restart != "none":
                if restart == "clean":
                    assert collector.checkpoint()
                collector.close()
                collector = new_collector(root, clock)
            start = end
        assert collector.checkpoint()
        late, pool_late = collector.aggregator.late, collector.aggregator.pools.late
        collector.close()
        assert late == 0 and pool_late == 0
        assert_same_minutes(root / "rrd", one_pass())
        assert_same_minutes(root / "rrd", one_pass(), "pool", POOL.data_sources)


def assert_same_minutes(
    got_dir: Path, ref_dir: Path, folder: str = "tracelog", ds: Sequence[str] = ALL_DS
) -> None:
    names = sorted(p.name for p in (ref_dir / folder).iterdir())
    assert names
    assert names == sorted(p.name for p in (got_dir / folder).iterdir())
    for name in names:
        ref, got = ref_dir / folder / name, got_dir / folder / name
        end = rrdtool.last(str(ref))
        assert rrdtool.last(str(got)) >= end
        for cf in ("AVERAGE", "MAX"):
            assert minutes(got, int(START), end, cf, ds) == minutes(ref, int(START), end, cf, ds)
