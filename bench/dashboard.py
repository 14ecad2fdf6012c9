"""A 12-graph tracelog dashboard, server side: the page plus its 12 PNG renders.

What a browser asks for when it opens a saved dashboard — ``GET /<user>/default/``
(the HTML with the saved graphs) and one ``GET /render?graph=...`` per graph, each a
day of rpm/epm/backlog/max-rpm of one instance — timed through the whole WSGI stack
(WebTest → Pyramid → views → SQLite / rrdtool), render cache off so every render
draws.  Target: < 0.5 s per dashboard.  Run: ``.venv/bin/python -m bench dashboard``.
The app, its data and its client are the tests' own (:mod:`tests.webapp`).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from webtest import TestApp

from tests.functional.web_app.data import write_tracelog
from tests.webapp import (
    Browser,
    instance_graph,
    testapp,
    testing_settings,
    without_graphmetrics_env,
)

GRAPHS = 12
ROUNDS = 15
TARGET = 0.5
WIDTH, HEIGHT = 560, 260


def write_instances(rrd_dir: Path) -> list[str]:
    """A day of minutes of :data:`GRAPHS` instances; their file stems."""
    stems = [f"app{n % 4}__cust{n % 3}__inst{n}" for n in range(GRAPHS)]
    write_tracelog(rrd_dir, hours=24, instances=tuple(stems))
    return stems


def make_app(root: Path) -> TestApp:
    """testing.ini's app over ``root``, render cache off so every render draws."""
    settings = testing_settings(
        rrd_dir=str(root / "rrd"),
        db_url=f"sqlite:///{root}/saved.sqlite",
        auth_secret="bench",
        render_cache_entries="0",
    )
    with without_graphmetrics_env():
        return testapp(settings)


def dashboard_graphs(stems: list[str]) -> list[dict[str, Any]]:
    view = {"start": "-1d", "end": "now"}
    return [{"definition": instance_graph(stem), "view": view} for stem in stems]


def save_dashboard(app: TestApp, stems: list[str]) -> None:
    Browser(app, "bench").save(dashboard_graphs(stems))


def open_dashboard(app: TestApp) -> int:
    """One dashboard load; returns the bytes of PNG drawn (so the work is not skipped)."""
    page = app.get("/bench/default/")
    start = page.text.index('id="gm-config">') + len('id="gm-config">')
    config: dict[str, Any] = json.loads(page.text[start : page.text.index("</script>", start)])
    drawn = 0
    for graph in config["page"]["graphs"]:
        query = {
            "graph": json.dumps(graph["definition"]),
            **graph["view"],
            "width": WIDTH,
            "height": HEIGHT,
        }
        res = app.get("/render?" + urlencode(query))
        assert res.content_type == "image/png", res.status
        drawn += len(res.body)
    assert len(config["page"]["graphs"]) == GRAPHS
    return drawn


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stems = write_instances(root / "rrd")
        app = make_app(root)
        save_dashboard(app, stems)
        open_dashboard(app)  # warm up: templates compiled, files in the page cache
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            open_dashboard(app)
            times.append(time.perf_counter() - started)
    median = statistics.median(times)
    size = f"{WIDTH}x{HEIGHT}, 1 day"
    print(f"{GRAPHS}-graph dashboard page + {GRAPHS} PNG renders ({size}), server side:")
    print(f"  median {median * 1000:.0f} ms, best {min(times) * 1000:.0f} ms over {ROUNDS} loads")
    print(f"  target < {TARGET * 1000:.0f} ms: {'met' if median < TARGET else 'MISSED'}")
    return 0 if median < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
