"""A storage node's paths never leave its base directory, symbolic links included (N8).

rrdcached's ``-B`` refuses ``..`` but follows symbolic links: a link
``metrics/linkdir -> /elsewhere`` let ``/render``, the series search and the Graphite
API read ``/elsewhere/secret.rrd``.  Started as docs/deployment.md says (its base
bind-mounted on itself with ``nosymfollow``, in a mount namespace of its own), the
same real rrdcached follows no link: render refuses it like the local reader does,
and the listing and Graphite do not show it.  The first test is the reproduction on
a node started the old way.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import webtest

from graphmetrics.render.graph import data_sources
from graphmetrics.rrd.store import RRDStore
from tests import webapp
from tests.functional.web_render.conftest import T0, write_data
from tests.rrdcached import storage_node
from tests.webapp import sign_in

SECRET = "metrics/linkdir/secret"
TIMES = {"start": str(T0), "end": str(T0 + 7200)}


def base_with_a_link_out(root: Path) -> Path:
    base = root / "base"
    write_data(RRDStore(base))
    outside = root / "elsewhere"
    outside.mkdir()
    metric = next((base / "metrics").rglob("*.rrd"))
    shutil.copy(metric, outside / "secret.rrd")
    (base / "metrics" / "linkdir").symlink_to(outside, target_is_directory=True)
    (base / "metrics" / "linkfile.rrd").symlink_to(outside / "secret.rrd")
    return base


@contextmanager
def app_on_node(tmp: Path, no_symlinks: bool) -> Iterator[tuple[webtest.TestApp, str]]:
    """The app reading a node whose base has links out; and the secret file's DS."""
    base = base_with_a_link_out(tmp)
    ds = data_sources(str(tmp / "elsewhere" / "secret.rrd"))[0]
    with storage_node(base, tmp, no_symlinks=no_symlinks) as (_write, read, _proc):
        settings = webapp.testing_settings(
            db_url=f"sqlite:///{tmp}/saved.sqlite",
            rrd_dir=str(tmp / "absent"),
            reader="rrdcached",
            rrdcached=read,
            series_check_interval="0",
        )
        yield sign_in(webapp.testapp(settings), "reader"), ds


def graphite_names(app: webtest.TestApp) -> list[str]:
    found = app.get("/graphite/metrics/find", {"query": "metrics.*", "format": "json"}).json
    return sorted(node["path"] for node in found)


def test_a_node_started_the_old_way_follows_the_link(tmp_path: Path) -> None:
    """The reproduction: without nosymfollow the outside file is read (why the node
    must be started as docs/deployment.md says)."""
    with app_on_node(tmp_path, no_symlinks=False) as (app, ds):
        app.get("/render", {"series": f"{SECRET}:{ds}", "format": "json", **TIMES}, status=200)
        assert "metrics.linkdir" in graphite_names(app)


def test_the_node_follows_no_link_for_render_listing_or_graphite(tmp_path: Path) -> None:
    with app_on_node(tmp_path, no_symlinks=True) as (app, ds):
        for path in (SECRET, "metrics/linkfile"):
            res = app.get(
                "/render", {"series": f"{path}:{ds}", "format": "json", **TIMES}, status=400
            )
            assert "goes through a symbolic link" in res.json["error"], res.json
        listed = app.get("/series", {"q": "metrics", "format": "json"}).text
        assert "linkdir" not in listed and "linkfile" not in listed
        assert "metrics/host.example" in listed
        assert graphite_names(app) == ["metrics.host_example"]
        rendered = app.get(
            "/graphite/render",
            {"target": "metrics.linkdir.secret", "format": "json", "from": str(T0),
             "until": str(T0 + 7200)},
        ).json  # fmt: skip
        assert rendered == []
        below = app.get(
            "/graphite/render",
            {"target": "metrics.link*.*", "format": "json", "from": str(T0),
             "until": str(T0 + 7200)},
        ).json  # fmt: skip
        assert below == []
