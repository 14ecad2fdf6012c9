"""/render over real RRD files: exact CSV/JSON values, real PNG/SVG, caching headers."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rrdtool
import webtest
from pyramid.interfaces import IRequestExtensions, IRequestFactory

from graphmetrics.render.graph import graph_args, resolve_files
from graphmetrics.rrd.backend import Rrdcached
from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web.graphdef import parse_request
from graphmetrics.web.interfaces import IRRDReader
from tests.functional.web_render.conftest import (
    INST1,
    INST2,
    METRIC,
    T0,
    UNKNOWN_MINUTE,
    make_app,
    minute,
)
from tests.helpers import wait_for
from tests.webapp import registered


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rpm1(i: int) -> float | None:
    return None if i == UNKNOWN_MINUTE else float(i)


def get(app: webtest.TestApp, **params: Any) -> webtest.TestResponse:
    return app.get("/render", params)


def test_csv_simple_form_exact_values(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", start=str(T0), end=str(minute(10)), format="csv")
    assert res.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0] == ["timestamp", f"{INST1}:rpm"]
    assert rows[1:] == [[iso(minute(i)), str(i)] for i in range(1, 11)]


def test_csv_unknown_is_an_empty_cell(app: webtest.TestApp) -> None:
    res = get(
        app,
        series=[f"{INST1}:rpm", f"{INST2}:rpm"],
        start=iso(minute(48)),
        end=iso(minute(51)),
        format="csv",
    )
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0] == ["timestamp", f"{INST1}:rpm", f"{INST2}:rpm"]
    assert rows[1:] == [
        [iso(minute(i)), "" if i == UNKNOWN_MINUTE else str(i), str(2 * i)] for i in (49, 50, 51)
    ]


def test_json_simple_form_exact_values(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", start=str(minute(47)), end=str(minute(52)), format="json")
    assert res.content_type == "application/json"
    assert res.json == {
        "start": minute(48),
        "end": minute(52),
        "step": 60,
        "columns": [f"{INST1}:rpm"],
        "rows": [[minute(i), rpm1(i)] for i in range(48, 53)],
    }


def test_json_full_form_with_cdef_and_virtual_headroom(app: webtest.TestApp) -> None:
    graph = {
        "series": [
            {"name": "a", "path": INST1, "ds": "rpm"},
            {"name": "b", "path": INST2, "ds": "rpm"},
            {"name": "h", "path": INST1, "ds": "headroom"},
        ],
        "cdefs": [{"name": "total", "rpn": "a,b,+"}, {"name": "err", "rpn": "a,b,-,ABS"}],
        "lines": [
            {"value": "a", "legend": "inst1"},
            {"value": "total", "type": "AREA", "legend": "both: a+b"},
            {"value": "h"},
            {"value": 100, "type": "HRULE"},
        ],
    }
    res = get(
        app, graph=json.dumps(graph), start=str(minute(45)), end=str(minute(55)), format="json"
    )
    body = res.json
    assert body["columns"] == ["inst1", "both: a+b", "h"]
    expected = []
    for i in range(46, 56):
        a = rpm1(i)
        head = None if a is None else (200 - a) / 200 * 100
        expected.append([minute(i), a, None if a is None else a + 2 * i, head])
    assert body["rows"] == expected
    assert (body["start"], body["end"], body["step"]) == (minute(46), minute(55), 60)


def test_step_and_consolidation_function(app: webtest.TestApp) -> None:
    params = {"start": str(minute(10)), "end": str(minute(30)), "step": "300", "format": "json"}
    avg = get(app, series=f"{INST1}:rpm", **params).json
    peak = get(app, series=f"{INST1}:rpm:MAX", **params).json
    assert avg["step"] == peak["step"] == 300
    assert avg["rows"] == [[T0 + 300 * k, 5.0 * k - 2] for k in range(3, 7)]
    assert peak["rows"] == [[T0 + 300 * k, 5.0 * k] for k in range(3, 7)]


def test_metrics_series(app: webtest.TestApp) -> None:
    res = get(app, series=f"{METRIC}:data", start=str(T0), end=str(T0 + 3600), format="json")
    assert res.json["rows"] == [[T0 + 300 * k, 10.0 * k] for k in range(1, 13)]


def test_trail_hours(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", trail="2", format="json")
    body = res.json
    assert body["step"] == 60
    # rrdtool widens an unaligned range to whole steps: 120 or 121 rows for 2 hours
    assert body["end"] - body["start"] in (2 * 3600 - 60, 2 * 3600)
    assert len(body["rows"]) == (body["end"] - body["start"]) // 60 + 1
    assert abs(body["end"] - time.time()) < 120
    assert all(value is None for _, value in body["rows"])  # the data is from 2023


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    assert body[12:16] == b"IHDR"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def test_png_default_and_size(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", start=str(T0), end=str(minute(120)))
    assert res.content_type == "image/png"
    assert png_size(res.body) == (800, 300)
    small = get(app, series=f"{INST1}:rpm", start=str(T0), end=str(minute(120)), width="320",
                height="120")  # fmt: skip
    assert png_size(small.body) == (320, 120)
    assert small.body != res.body


def test_images_carry_the_plot_geometry(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", start=str(T0), end=str(minute(120)), width="600")
    h = res.headers
    assert (int(h["X-Graph-Start"]), int(h["X-Graph-End"])) == (T0, minute(120))
    left, width = int(h["X-Graph-Left"]), int(h["X-Graph-Width"])
    top, height = int(h["X-Graph-Top"]), int(h["X-Graph-Height"])
    assert left > 0 and width > 0 and left + width < 600
    assert top >= 0 and height > 0 and top + height < 300
    csv_res = get(app, series=f"{INST1}:rpm", start=str(T0), format="csv")
    assert "X-Graph-Left" not in csv_res.headers


def test_svg_with_full_style(app: webtest.TestApp) -> None:
    graph = {
        "title": "acme: inst1",
        "vlabel": "req/min",
        "ymin": 0,
        "ymax": 300,
        "series": [
            {"name": "a", "path": INST1, "ds": "rpm"},
            {"name": "b", "path": INST2, "ds": "rpm"},
        ],
        "vdefs": [{"name": "peak", "rpn": "b,MAXIMUM"}],
        "lines": [
            {"value": "a", "type": "AREA", "color": "#1f77b480", "legend": "rpm: inst1"},
            {"value": "b", "width": 2, "dash": [6, 3], "stack": True, "legend": "rpm inst2"},
            {"value": "peak", "type": "HRULE", "color": "#ff0000", "legend": "peak"},
        ],
        "gprints": [{"value": "peak", "format": "peak %.0lf"}],
    }
    res = get(app, graph=json.dumps(graph), start=str(T0), end=str(minute(120)), format="svg",
              width="640", height="240")  # fmt: skip
    assert res.content_type == "image/svg+xml"
    assert res.body.startswith(b"<?xml")
    assert b'<svg xmlns="http://www.w3.org/2000/svg"' in res.body
    assert b'viewBox="0 0 640 240"' in res.body


def test_legends_and_gprint_reach_rrdtool_escaped(data_dir: Path) -> None:
    """cairo draws SVG text as glyphs, so read the legends from rrdtool's graphv info."""
    graph = {
        "series": [{"name": "b", "path": INST2, "ds": "rpm"}],
        "vdefs": [{"name": "peak", "rpn": "b,MAXIMUM"}],
        "lines": [{"value": "b", "legend": "rpm: inst2 -- DEF:x=/etc/passwd"}],
        "gprints": [{"value": "peak", "format": "peak: %.0lf"}],
    }
    req = parse_request([("graph", json.dumps(graph)), ("start", str(T0))], minute(130))
    files = resolve_files(req.graph, data_dir)
    info = rrdtool.graphv("-", *graph_args(req, files))
    assert info["legend[0]"].strip() == "rpm: inst2 -- DEF:x=/etc/passwd"
    assert info["legend[1]"].strip() == f"peak: {2 * 120}"


def test_logarithmic_png(app: webtest.TestApp) -> None:
    graph = {"logarithmic": True, "series": [{"name": "a", "path": INST1, "ds": "rpm"}]}
    res = get(app, graph=json.dumps(graph), start=str(T0), end=str(minute(120)))
    assert png_size(res.body) == (800, 300)


def test_etag_and_cache_control_for_a_past_range(app: webtest.TestApp) -> None:
    params = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(60))}
    res = app.get("/render", params)
    etag = res.headers["ETag"]
    assert res.headers["Cache-Control"] == "private, max-age=86400"
    again = app.get("/render", params, headers={"If-None-Match": etag}, status=304)
    assert again.body == b"" and again.headers["ETag"] == etag
    other = app.get("/render", {**params, "format": "svg"}, headers={"If-None-Match": etag})
    assert other.status_int == 200 and other.headers["ETag"] != etag


def test_near_now_range_is_cached_briefly(app: webtest.TestApp) -> None:
    res = get(app, series=f"{INST1}:rpm", start="-1h")
    assert res.headers["Cache-Control"] == "private, max-age=30"


def test_etag_follows_the_data(data_dir: Path) -> None:
    app = make_app(data_dir)
    params = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(130)), "format": "csv"}
    first = app.get("/render", params)
    assert first.text.splitlines()[121] == f"{iso(minute(121))},"
    RRDStore(data_dir).write(INST1, TRACELOG, [(minute(121), [77, 0, 0, 200, 0])])
    res = app.get("/render", params, headers={"If-None-Match": first.headers["ETag"]})
    assert res.status_int == 200
    assert res.headers["ETag"] != first.headers["ETag"]
    assert res.text.splitlines()[121] == f"{iso(minute(121))},77"


def test_render_cache_holds_answers_unless_disabled(data_dir: Path) -> None:
    params = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(60))}
    cached = make_app(data_dir)
    first = cached.get("/render", params)
    second = cached.get("/render", params)
    assert first.body == second.body
    assert len(registered(cached, IRRDReader).cache) == 1
    uncached = make_app(data_dir, render_cache_entries="0")
    assert uncached.get("/render", params).body == first.body
    assert len(registered(uncached, IRRDReader).cache) == 0


def test_head_request(app: webtest.TestApp) -> None:
    res = app.head("/render", {"series": f"{INST1}:rpm", "start": str(T0)})
    assert res.status_int == 200 and res.content_type == "image/png"


@pytest.fixture
def rrdcached(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    base = (tmp_path / "cached").resolve()
    base.mkdir()
    journal = tmp_path / "journal"
    journal.mkdir()
    sock = tmp_path / "rrdcached.sock"
    proc = subprocess.Popen(
        ["rrdcached", "-g", "-l", f"unix:{sock}", "-b", str(base), "-B", "-j", str(journal)]
        + ["-p", str(tmp_path / "rrdcached.pid")],  # not the system's /var/run/rrdcached.pid
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(sock.exists, timeout=10, what="rrdcached socket")
        yield f"unix:{sock}", base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_reads_through_rrdcached(rrdcached: tuple[str, Path]) -> None:
    address, base = rrdcached
    backend = Rrdcached(address)
    store = RRDStore(base, backend=backend)
    store.write(INST1, TRACELOG, [(minute(i), [i, 0, 0, 200, 0]) for i in range(1, 11)])
    assert store.flush() == []
    store.write(INST1, TRACELOG, [(minute(i), [i, 0, 0, 200, 0]) for i in range(11, 21)])
    backend.send()  # the BATCH reaches the daemon, which keeps it until a flush
    params = {"series": f"{INST1}:rpm", "start": str(minute(10)), "end": str(minute(20))}
    params["format"] = "csv"
    # The second batch still sits in rrdcached: a plain read does not see it ...
    plain = make_app(base).get("/render", params)
    assert plain.text.splitlines()[1:] == [f"{iso(minute(i))}," for i in range(11, 21)]
    # ... the app configured with the daemon flushes it first.
    cached = make_app(base, rrdcached=address).get("/render", params)
    assert cached.text.splitlines()[1:] == [f"{iso(minute(i))},{i}" for i in range(11, 21)]


def test_requests_skip_pyramid_events_and_per_request_classes(app: webtest.TestApp) -> None:
    """/render's overhead: no event subscriber, request extensions on one class."""
    registry = app.app.registry
    assert not registry.has_listeners
    extensions = registry.getUtility(IRequestExtensions)
    assert not extensions.descriptors and not extensions.methods
    request_class = registry.getUtility(IRequestFactory)
    assert all(hasattr(request_class, name) for name in ("dbsession", "find_service"))
    assert app.get("/render", {"series": f"{INST1}:rpm", "format": "csv"}).status_int == 200
