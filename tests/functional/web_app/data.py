"""Tracelog RRD files for the web tests, written through the real RRD store."""

from __future__ import annotations

import math
import time
from pathlib import Path

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore

INSTANCES = (
    "app1__acme__inst1",
    "app1__acme__inst2",
    "app2__acme__inst1",
    "app3__beta__web1",
)


def write_tracelog(rrd_dir: Path, hours: int = 6, instances: tuple[str, ...] = INSTANCES) -> int:
    """A few hours of minute data per instance, ending at the last whole minute."""
    end = int(time.time()) // 60 * 60
    store = RRDStore(rrd_dir)
    for n, stem in enumerate(instances):
        samples = []
        for i in range(hours * 60):
            ts = end - (hours * 60 - i) * 60
            wave = math.sin(i / 40 + n)
            rpm = 120 + 60 * wave + 10 * n
            samples.append((ts, (rpm, (i + n) % 7 == 0 and 2 or 0, max(0, 3 * wave), 260.0, 0)))
        store.write(f"tracelog/{stem}", TRACELOG, samples)
    return end
