"""Starter dashboards for the demo user, so the first page a newcomer opens has graphs.

Only an empty ``default`` page is filled: once the user has changed it, it is theirs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.services import GraphInput, SavedGraphService
from graphmetrics.web.tracelog import (
    Instance,
    instance_graph,
    pool_graph,
    pool_graphs,
    response_time_graph,
    scan_instances,
)

LAST_DAY = {"trail": 24}


def tracelog_graphs(instances: list[Instance]) -> list[dict[str, Any]]:
    """A screenful (nine graphs at 1600×1000): the first customer's standard graphs
    (its response time and apdex over all its requests among them), pool headroom, its
    first instance's response time, then its instances one by one (and others' when
    there is room)."""
    first = instances[0]
    customer = [i for i in instances if i.customer == first.customer]
    graphs = pool_graphs("standard", first.customer, None, customer)
    graphs.append(pool_graph("pool-headroom", first.customer, None, customer))
    graphs.append(response_time_graph(first))
    others = [i for i in instances if i.customer != first.customer]
    graphs += [instance_graph(inst) for inst in (customer + others)[: 9 - len(graphs)]]
    return graphs


def metric_graphs(rrd_dir: Path) -> list[dict[str, Any]]:
    """One graph of every host's ``load1``, if the Kinesis demo wrote any."""
    paths = sorted(rrd_dir.glob("metrics/*/cimaa/load/load1.rrd"))
    if not paths:
        return []
    series, lines = [], []
    for n, path in enumerate(paths):
        relative = path.relative_to(rrd_dir).with_suffix("").as_posix()
        name = f"load{n}"
        series.append({"name": name, "path": relative, "ds": "data", "cf": "AVERAGE"})
        lines.append({"value": name, "type": "LINE", "width": 2, "legend": relative.split("/")[1]})
    return [{"title": "load average", "vlabel": "load", "series": series, "lines": lines}]


def seed(rrd_dir: Path, db_url: str, user: str = "demo") -> int:
    """Fill ``user``'s empty default pages; returns how many graphs were added."""
    engine = make_engine(db_url)
    upgrade(engine)
    added = 0
    with Session(engine) as session:
        service = SavedGraphService(session)
        instances = scan_instances(rrd_dir)
        for section, graphs in (
            ("tracelog", tracelog_graphs(instances) if instances else []),
            ("metrics", metric_graphs(rrd_dir)),
        ):
            page = service.ensure_default_page(user, section)
            if graphs and not page.graphs:
                service.save_graphs(
                    page, page.generation, [GraphInput(g, dict(LAST_DAY)) for g in graphs]
                )
                added += len(graphs)
    engine.dispose()
    return added


def seed_when_data_arrives(
    rrd_dir: Path, db_url: str, alive: Callable[[], bool], timeout: float = 60.0
) -> None:
    """Give the demo user starter dashboards once both collectors have written RRDs
    (waiting at most ``timeout`` seconds, while ``alive()``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if any(rrd_dir.glob("tracelog/*.rrd")) and any(rrd_dir.glob("metrics/*/cimaa/load/*.rrd")):
            break
        time.sleep(0.5)
    try:
        seed(rrd_dir, db_url)
    except Exception as exc:  # a demo nicety: never stop the stack for it
        print(f"could not add the starter dashboards: {exc}", file=sys.stderr)
