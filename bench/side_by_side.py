"""Concurrent PNG throughput, side by side with Debian's graphite-web under waitress.

The same two lines (a day of two tracelog instances' rpm, one sample a minute) are
written to RRD files and to whisper files of the same archives.  Then, in one run,
each server is served by waitress with 8 threads on 127.0.0.1 and ``CLIENTS``
threads (each with its own kept-alive connection) ask for the 600x200 PNG of the
last 24 h for ``SECONDS`` seconds:

- graphite-web: ``/render/?target=...&target=...`` (Debian's python3, its cache off);
- graphmetrics ``/render?series=...&series=...`` (render cache off, signed in);
- graphmetrics ``/graphite/render?target=...`` (the same as graphite-web's).

After a warm-up phase of each (render workers started), phases alternate
(graphite-web, /render, /graphite/render, twice) so the others' load on this shared
machine weighs on all alike; the load average is printed with the numbers.  Also
printed: one client's median latency for each (PNG and JSON).
Target: graphmetrics >= 3.5x graphite-web's PNG/s for both APIs.

    .venv/bin/python -m bench side_by_side
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from graphmetrics.rrd.schema import TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.functional.graphite.conftest import GRAPHITE_PYTHON, HARNESS, GraphiteWeb
from tests.helpers import free_port, listening, wait_for
from tests.webapp import testing_settings, web_process

CLIENTS = 8
SECONDS = 8.0
WARMUP = 3.0
ROUNDS = 2
TARGET = 3.5
INSTANCES = ("app1__acme__inst1", "app2__acme__inst2")
SIZE = {"width": "600", "height": "200"}


def write_data(root: Path, now: int) -> None:
    """A day of both instances in RRD files and in whisper files (graphite-web's)."""
    store = RRDStore(root / "rrd")
    graphite = GraphiteWeb(root / "graphite")
    try:
        for n, instance in enumerate(INSTANCES):
            samples: list[tuple[int, list[float | None]]] = [
                (now - 86400 + 60 * i, [100.0 + (i * (n + 3)) % 57, 1.0, 2.0, 200.0, 0.0])
                for i in range(1, 1441)
            ]
            # every data source of the schema (response times unknown), for the whisper files too
            width = len(TRACELOG.data_sources)
            samples = [(ts, values + [None] * (width - len(values))) for ts, values in samples]
            store.write(f"tracelog/{instance}", TRACELOG, samples)
            for column, ds in enumerate(TRACELOG.data_sources):
                graphite.write(f"tracelog/{instance}/{ds}", TRACELOG, column, samples, now=now)
    finally:
        graphite.close()


@contextmanager
def graphite_web(storage: Path) -> Iterator[int]:
    port = free_port()
    command = [GRAPHITE_PYTHON, str(HARNESS), str(storage), "--serve", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: listening(port) or proc.poll() is not None, 60, what="graphite-web")
        if proc.poll() is not None:
            raise AssertionError("graphite-web did not start (make install-test)")
        yield port
    finally:
        proc.kill()
        proc.wait(10)


def fetch(conn: http.client.HTTPConnection, url: str, cookie: str) -> bytes:
    conn.request("GET", url, headers={"Cookie": cookie} if cookie else {})
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        reason = res.getheader("X-Graphmetrics-Error") or body[:200].decode(errors="replace")
        raise AssertionError(f"{res.status} for {url[:60]}: {reason}")
    return body


def throughput(port: int, url: str, cookie: str, seconds: float = SECONDS) -> float:
    """Answers per second of ``CLIENTS`` clients asking for ``url`` for ``seconds``."""
    counts = [0] * CLIENTS
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        fetch(conn, url, cookie)  # connected and warm
        while time.perf_counter() < stop:
            fetch(conn, url, cookie)
            counts[k] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - began)


def latency(port: int, url: str, cookie: str, rounds: int = 40) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fetch(conn, url, cookie)
        times.append(time.perf_counter() - began)
    conn.close()
    return statistics.median(times)


def urls(fmt: str) -> dict[str, str]:
    targets = [("target", f"tracelog.{i}.rpm") for i in INSTANCES]
    graphite = urlencode([*targets, ("from", "-24h"), ("format", fmt), *SIZE.items()])
    series = [("series", f"tracelog/{i}:rpm") for i in INSTANCES]
    render = urlencode([*series, ("start", "-1d"), ("format", fmt), *SIZE.items()])
    return {
        "graphite-web": "/render/?" + graphite,
        "/render": "/render?" + render,
        "/graphite/render": "/graphite/render?" + graphite,
    }


def main() -> int:
    now = int(time.time()) // 60 * 60
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_data(root, now)
        settings = testing_settings(
            rrd_dir=f"{root}/rrd", db_url=f"sqlite:///{root}/gm.sqlite", auth_secret="bench",
            render_cache_entries="0",
        )  # fmt: skip
        with (
            graphite_web(root / "graphite") as gw_port,
            web_process(settings, root / "gm.ini") as (gm_port, _),
        ):
            conn = http.client.HTTPConnection("127.0.0.1", gm_port, timeout=60)
            conn.request("GET", "/login?user=bench")
            res = conn.getresponse()
            res.read()
            cookie = "; ".join(
                v.split(";", 1)[0] for k, v in res.getheaders() if k.lower() == "set-cookie"
            )
            ports = {"graphite-web": gw_port, "/render": gm_port, "/graphite/render": gm_port}
            cookies = {"graphite-web": "", "/render": cookie, "/graphite/render": cookie}
            png = urls("png")
            rates: dict[str, list[float]] = {name: [] for name in png}
            for name, url in png.items():  # warm: render workers started, caches filled
                throughput(ports[name], url, cookies[name], WARMUP)
            load_before = os.getloadavg()
            for _ in range(ROUNDS):
                for name, url in png.items():
                    rates[name].append(throughput(ports[name], url, cookies[name]))
            load_after = os.getloadavg()
            single = {
                (name, fmt): latency(ports[name], url, cookies[name])
                for fmt in ("png", "json")
                for name, url in urls(fmt).items()
                if not (name == "/render" and fmt == "json")
            }
    print(f"{CLIENTS} clients, 600x200 PNG of 24 h, two lines; {ROUNDS} x {SECONDS:g} s each,")
    print(f"  load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
          f"({os.cpu_count()} cores, shared)")  # fmt: skip
    base = statistics.mean(rates["graphite-web"])
    ok = True
    for name, values in rates.items():
        mean = statistics.mean(values)
        line = f"  {name:17} {mean:7.1f} PNG/s  ({', '.join(f'{v:.1f}' for v in values)})"
        if name != "graphite-web":
            ratio = mean / base
            ok = ok and ratio >= TARGET
            line += f"  {ratio:.2f}x graphite-web (target >= {TARGET}x) "
            line += "ok" if ratio >= TARGET else "BELOW TARGET"
        print(line)
    print("  one client, median latency:")
    for (name, fmt), seconds in single.items():
        ratio = single[("graphite-web", fmt)] / seconds
        print(f"    {name:17} {fmt:4} {seconds * 1000:6.1f} ms  ({ratio:.2f}x graphite-web)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
