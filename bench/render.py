"""``/render`` PNG through the whole WSGI stack vs bare ``rrdtool.graphv`` vs the CLI.

One definition (a day of 4 tracelog instances' rpm as PNG) is drawn three ways in
the same run, timed as interleaved pairs (WSGI/graphv, WSGI/CLI, graphv/CLI):

1. ``GET /render?series=...`` through the Pyramid app as a signed-in user (WebOb
   request → router → login cookie check → view → parse → path checks → ETag →
   graphv), render cache off;
2. ``rrdtool.graphv('-', ...)`` with exactly the arguments the app builds;
3. ``rrdtool graph - ...`` as a subprocess (what a shell-out renderer would cost).

Targets: WSGI / bare ≤ 1.2, CLI / WSGI ≥ 3, judged at rrdtool's own default image
size (400×100 plot area = a 481×155 image, the yardstick of ENVIRONMENT.md) and
printed, not judged, for /render's default 800×300 too: drawing time grows with the
pixels while the CLI's start-up cost stays fixed, so no renderer reaches 3× there.
CLI / graphv, from the third pair, is the ceiling of CLI / WSGI: what /render would
reach with no overhead at all (each CLI run evicts the CPU caches, so even a bare
graphv call right after one is slower than in the WSGI/graphv pair).
Run: ``.venv/bin/python -m bench render`` (exit status 1 when below target).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import rrdtool
from pyramid.router import Router
from webob import Request

from graphmetrics.render.graph import graph_args, resolve_files
from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from graphmetrics.web import main as web_main
from graphmetrics.web.graphdef import parse_request
from tests.webapp import testing_settings, without_graphmetrics_env

END = 1_700_000_000 // 3600 * 3600
INSTANCES = [f"tracelog/app{n}__acme__inst{n}" for n in range(1, 5)]
ROUNDS = 100
# rrdtool's default image (400x100 plot area) is the yardstick the targets are set on;
# drawing time grows with the pixels while the CLI's start-up cost stays fixed, so the
# CLI ratio falls for big images: the app default is measured and printed too.
SIZES = ((481, 155), (800, 300))
WARMUP = 5
NAMES = {"wsgi": "/render via WSGI", "bare": "rrdtool.graphv  ", "cli": "rrdtool CLI     "}
TARGET_OVERHEAD = 1.2
TARGET_CLI = 3.0


def write_day(rrd_dir: Path) -> None:
    store = RRDStore(rrd_dir)
    for n, name in enumerate(INSTANCES, 1):
        samples = [
            (END - 86400 + 60 * i, [n * 10 + i % 37, i % 5, i % 7, 200 + n, 0])
            for i in range(1, 1441)
        ]
        store.write(name, TRACELOG, samples)


def sign_in(app: Router) -> str:
    """The login cookie the development login hands out, as a Cookie header."""
    response = Request.blank("/login?user=bench").get_response(app)
    assert response.status_int == 302, response.status
    return "; ".join(c.split(";", 1)[0] for c in response.headers.getall("Set-Cookie"))


def timed(action: Callable[[], bytes]) -> tuple[float, bytes]:
    started = time.perf_counter()
    body = action()
    return time.perf_counter() - started, body


def measure(rrd_dir: Path, width: int, height: int) -> tuple[dict[str, float], int]:
    """Median seconds of each way of drawing the definition at ``width``×``height``."""
    params = [("series", f"{name}:rpm") for name in INSTANCES]
    params += [("start", str(END - 86400)), ("end", str(END)), ("title", "rpm")]
    params += [("width", str(width)), ("height", str(height))]
    url = "/render?" + urlencode(params)
    settings = testing_settings(rrd_dir=str(rrd_dir), auth_secret="bench", render_cache_entries="0")
    with without_graphmetrics_env():
        app = web_main({}, **settings)  # the production paste factory
    cookie = sign_in(app)
    req = parse_request(params, END)
    args = graph_args(req, resolve_files(req.graph, rrd_dir))

    def wsgi() -> bytes:
        response = Request.blank(url, headers={"Cookie": cookie}).get_response(app)
        assert response.status_int == 200, response.status
        return bytes(response.body)

    def bare() -> bytes:
        return bytes(rrdtool.graphv("-", *args)["image"])

    def cli() -> bytes:
        done = subprocess.run(["rrdtool", "graph", "-", *args], capture_output=True, check=True)
        return done.stdout

    ways = {"wsgi": wsgi, "bare": bare, "cli": cli}
    for _ in range(WARMUP):
        for action in ways.values():
            action()
    # Interleaved pairs: the CLI's subprocesses evict caches, which no server does
    # between requests, so they stay out of the WSGI-vs-graphv comparison.  The
    # graphv/CLI pair is the ceiling of CLI / WSGI: /render with no overhead at all.
    medians: dict[str, float] = {}
    bodies: dict[str, bytes] = {}
    for pair in (("wsgi", "bare"), ("wsgi", "cli"), ("bare", "cli")):
        times: dict[str, list[float]] = {name: [] for name in pair}
        for round_no in range(ROUNDS):
            order = pair if round_no % 2 else pair[::-1]
            for name in order:
                seconds, bodies[name] = timed(ways[name])
                times[name].append(seconds)
        for name in pair:
            medians[f"{name} in {'+'.join(pair)}"] = statistics.median(times[name])
    if bodies["wsgi"] != bodies["bare"]:
        print("warning: /render and graphv returned different images")
    return medians, len(bodies["wsgi"])


def report(label: str, median: dict[str, float], size: int) -> bool:
    def ms(key: str) -> str:
        return f"{median[key] * 1000:7.2f} ms"

    overhead = median["wsgi in wsgi+bare"] / median["bare in wsgi+bare"]
    cli_ratio = median["cli in wsgi+cli"] / median["wsgi in wsgi+cli"]
    ceiling = median["cli in bare+cli"] / median["bare in bare+cli"]
    print(f"{label} ({size} bytes), medians of {ROUNDS} interleaved rounds per pair:")
    for first, second in (("wsgi", "bare"), ("wsgi", "cli"), ("bare", "cli")):
        pair = f"{first}+{second}"
        print(f"  {NAMES[first]} {ms(f'{first} in {pair}')}  vs  "
              f"{NAMES[second]} {ms(f'{second} in {pair}')}")  # fmt: skip
    ok_overhead = overhead <= TARGET_OVERHEAD
    ok_cli = cli_ratio >= TARGET_CLI
    print(f"  WSGI / graphv = {overhead:.3f}  (target <= {TARGET_OVERHEAD}) "
          f"{'ok' if ok_overhead else 'BELOW TARGET'}")  # fmt: skip
    print(f"  CLI / WSGI    = {cli_ratio:.2f}x (target >= {TARGET_CLI}x) "
          f"{'ok' if ok_cli else 'BELOW TARGET'}")  # fmt: skip
    print(f"  CLI / graphv  = {ceiling:.2f}x (the ceiling: a /render without any overhead)")
    return ok_overhead and ok_cli


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rrd_dir = Path(tmp) / "rrd"
        write_day(rrd_dir)
        results = {size: measure(rrd_dir, *size) for size in SIZES}
    print(f"definition: {len(INSTANCES)} tracelog rpm lines over 1 day, PNG")
    passed = report(
        f"{SIZES[0][0]}x{SIZES[0][1]} (rrdtool's default image; the targets are judged here)",
        *results[SIZES[0]],
    )
    report(
        f"{SIZES[1][0]}x{SIZES[1][1]} (/render's default size; printed, not judged)",
        *results[SIZES[1]],
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
