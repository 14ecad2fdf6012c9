"""Graphite functions, side by side: our /graphite/render against graphite-web's.

The same samples go to RRD files (our app) and to whisper files (Debian's
graphite-web, run by :mod:`tests.functional.graphite.graphite_web`); each target a
Grafana dashboard typically asks for is rendered as JSON by both, several rounds, and
the medians compared.  graphite-web's time includes one JSON line each way over a
pipe, a fraction of a millisecond.  Target: ours at most :data:`TARGET` times
graphite-web's over all the targets.  Run: ``.venv/bin/python -m bench graphite_functions``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.functional.graphite.conftest import NOW, T0, GraphiteWeb, Pair, write_both
from tests.functional.web_render.conftest import make_app

ROUNDS = 7
TARGET = 1.0
ALL = "tracelog.*.rpm"
RANGE = [("from", str(T0 + 600)), ("until", str(NOW)), ("now", str(NOW)), ("format", "json")]
TARGETS = [
    f"divideSeries({ALL},tracelog.app1__acme__inst1.spr)",
    f"diffSeries({ALL})",
    f"asPercent(tracelog.*.epm,{ALL})",
    f"nPercentile({ALL},95)",
    f"movingAverage({ALL},10)",
    f"movingMedian({ALL},'15min')",
    "summarize(perSecond(tracelog.*.bl),'15min','max')",
    "nonNegativeDerivative(tracelog.*.bl)",
    "integral(tracelog.*.epm)",
    f"keepLastValue(scale(offset({ALL},1),2))",
    f"transformNull({ALL},0)",
    f"holtWintersConfidenceBands({ALL},3,'1h','30min')",
    "groupByNode(tracelog.*.*,2,'sum')",
    f"stdev({ALL},10)",
]


def median_ms(action: Callable[[], object]) -> float:
    action()
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rrd_dir, storage = Path(tmp, "rrd"), Path(tmp, "graphite")
        rrd_dir.mkdir()
        storage.mkdir()
        graphite = GraphiteWeb(storage)
        try:
            write_both(rrd_dir, graphite)
            pair = Pair(make_app(rrd_dir), graphite)
            ours_total = theirs_total = 0.0
            print(f"{'target':60} {'ours ms':>8} {'g-web ms':>8} {'ratio':>6}")
            for target in TARGETS:
                query = [("target", target), *RANGE]
                ours = median_ms(lambda q=query: pair.ours.get("/graphite/render", q))
                theirs = median_ms(lambda q=query: graphite.get("/render/", [*q, ("noCache", "1")]))
                ours_total += ours
                theirs_total += theirs
                print(f"{target[:60]:60} {ours:8.2f} {theirs:8.2f} {ours / theirs:6.2f}")
        finally:
            graphite.close()
    ratio = ours_total / theirs_total
    verdict = "ok" if ratio <= TARGET else "BELOW TARGET"
    print(f"all targets: ours / graphite-web = {ratio:.2f} (target <= {TARGET}) {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
