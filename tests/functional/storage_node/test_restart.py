"""A storage node restarted under the web app: the next render reconnects.

librrd keeps one connection to the daemon per process; after rrdcached restarted, the
first render on it failed with "internal error while talking to rrdcached" (a 400).
"""

from __future__ import annotations

from pathlib import Path

from graphmetrics.rrd.store import RRDStore
from tests import webapp
from tests.functional.web_render.conftest import INST1, T0, write_data
from tests.helpers import free_port
from tests.rrdcached import storage_node
from tests.webapp import sign_in

RANGE = {"start": str(T0), "end": str(T0 + 7200)}


def test_renders_go_on_after_the_node_restarts(tmp_path: Path) -> None:
    base = tmp_path / "base"
    write_data(RRDStore(base))
    port = free_port()
    address = f"127.0.0.1:{port}"
    settings = webapp.testing_settings(
        db_url=f"sqlite:///{tmp_path}/saved.sqlite",
        rrd_dir=str(tmp_path / "absent"),
        reader="rrdcached",
        rrdcached=address,
        render_workers="2",
        render_cache_entries="0",
    )
    app = sign_in(webapp.testapp(settings), "reader")
    params = {"series": f"{INST1}:rpm", **RANGE}
    graphite = {"target": "tracelog.*.rpm", "format": "json", "from": str(T0),
                "until": str(T0 + 7200)}  # fmt: skip
    with storage_node(base, tmp_path, port=port):
        for fmt in ("json", "png"):
            app.get("/render", {**params, "format": fmt}, status=200)
        app.get("/graphite/render", graphite, status=200)
    with storage_node(base, tmp_path, port=port):
        for fmt in ("json", "png", "json", "png"):
            res = app.get("/render", {**params, "format": fmt}, expect_errors=True)
            assert res.status_int == 200, res.headers.get("X-Graphmetrics-Error") or res.text
        res = app.get("/graphite/render", graphite, expect_errors=True)
        assert res.status_int == 200, res.text
