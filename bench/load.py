"""Load: 50 clients opening a 12-graph dashboard through waitress, with and without a
client sending slow graphs.

``graphmetrics-web`` (waitress, the render workers, render cache off so every graph
is drawn) serves 12 tracelog instances on 127.0.0.1.  Each of ``--clients`` threads
keeps one connection and opens the saved dashboard ``--loads`` times: the page, then
its 12 PNGs, as a browser does.  Printed: requests, errors (must be 0), p50/p99
latency, and the web process's peak RSS (its render workers' apart).

The second run adds one client sending, over and over, the slow request of issue
#14 item 2 (``86400,-1000,157000000,s0,PREDICT`` over five years, refused at
once) and the heaviest graph still allowed (PREDICTs just under the work bound).
The others' p99 must stay within 2x of the first run's: the exit status is 1 when
it does not, or when any request failed.

    .venv/bin/python -m bench load        (or: .venv/bin/python -m bench.load --clients 50)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.dashboard import GRAPHS, HEIGHT, WIDTH, dashboard_graphs, write_instances
from tests.webapp import testing_settings, web_process

TARGET_RATIO = 2.0


@dataclass
class Client:
    port: int
    cookie: str = ""
    csrf: str = ""
    conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers |= {"Content-Type": "application/json", "X-CSRF-Token": self.csrf}
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                res = self.conn.getresponse()
                data = res.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for key, value in res.getheaders():
                if key.lower() == "set-cookie":
                    self._keep(value.split(";", 1)[0])
            return res.status, data
        raise AssertionError("unreachable")

    def _keep(self, pair: str) -> None:
        name = pair.split("=", 1)[0]
        cookies = [c for c in self.cookie.split("; ") if c and not c.startswith(name + "=")]
        self.cookie = "; ".join([*cookies, pair])
        if name == "csrf_token":
            self.csrf = pair.split("=", 1)[1]


@contextmanager
def web_server(root: Path, name: str) -> Iterator[tuple[int, int]]:
    """graphmetrics-web on a free port over ``root`` with a new database; (port, pid)."""
    settings = testing_settings(
        rrd_dir=f"{root}/rrd",
        db_url=f"sqlite:///{root}/{name}.sqlite",
        auth_secret="bench",
        render_cache_entries="0",
    )
    with web_process(settings, root / f"{name}.ini") as (port, proc):
        yield port, proc.pid


def dashboard_urls(port: int, stems: list[str]) -> tuple[Client, list[str]]:
    """A signed-in client, after saving the dashboard; the page's URL and its renders."""
    client = Client(port)
    client.send("GET", "/login?user=bench")
    client.send("GET", "/bench/default/")
    graphs = dashboard_graphs(stems)
    body = json.dumps({"generation": 1, "graphs": graphs}).encode()
    status, _ = client.send("PUT", "/api/pages/tracelog/bench/default", body)
    assert status == 200, status
    renders = [
        "/render?"
        + urlencode(
            {"graph": json.dumps(g["definition"]), **g["view"], "width": WIDTH, "height": HEIGHT}
        )  # fmt: skip
        for g in graphs
    ]
    assert len(renders) == GRAPHS
    return client, ["/bench/default/", *renders]


@dataclass
class Run:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times.append(seconds)
            if error:
                self.errors.append(error)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def one_client(port: int, cookie: str, urls: list[str], loads: int, run: Run) -> None:
    client = Client(port, cookie)
    for _ in range(loads):
        for url in urls:
            started = time.perf_counter()
            try:
                status, _ = client.send("GET", url)
                error = None if status == 200 else f"{status} for {url[:60]}"
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__} for {url[:60]}"
            run.record(time.perf_counter() - started, error)


def slow_urls(stem: str) -> list[str]:
    series = [{"name": "s0", "path": f"tracelog/{stem}", "ds": "rpm"}]

    def url(cdefs: list[str], **params: str) -> str:
        graph = {
            "series": series,
            "cdefs": [{"name": f"t{i}", "rpn": rpn} for i, rpn in enumerate(cdefs)],
            "lines": [{"value": f"t{i}"} for i in range(len(cdefs))],
        }
        return "/render?" + urlencode({"graph": json.dumps(graph), **params})

    return [
        url(["86400,-1000,157000000,s0,PREDICT"], start="-5y", format="csv"),  # the issue's
        url(["86400,-40,86400,s0,PREDICT"] * 2, start="-1d", width="4000"),  # just allowed
    ]


def slow_client(port: int, cookie: str, urls: list[str], stop: threading.Event) -> list[int]:
    client, statuses = Client(port, cookie), []
    while not stop.is_set():
        for url in urls:
            statuses.append(client.send("GET", url)[0])
    return statuses


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def workers_rss_mb(pid: int) -> float:
    """Resident memory of the render workers (children of the forkserver child)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0.0, list(children.get(pid, []))
    while todo:
        child = todo.pop()
        todo += children.get(child, [])
        try:
            with open(f"/proc/{child}/status") as status:
                total += next(
                    int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")
                )
        except (OSError, StopIteration):
            pass
    return total


def load_run(root: Path, stems: list[str], clients: int, loads: int, slow: bool) -> Run:
    with web_server(root, "slow" if slow else "base") as (port, pid):
        first, urls = dashboard_urls(port, stems)
        one_client(port, first.cookie, urls, 1, Run())  # warm up: workers started, pages cached
        run, stop = Run(), threading.Event()
        threads = [
            threading.Thread(target=one_client, args=(port, first.cookie, urls, loads, run))
            for _ in range(clients)
        ]
        slow_statuses: list[int] = []
        slow_thread = threading.Thread(
            target=lambda: slow_statuses.extend(
                slow_client(port, first.cookie, slow_urls(stems[0]), stop)
            )
        )
        started = time.perf_counter()
        if slow:
            slow_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        if slow:
            slow_thread.join()
        label = "with one slow client" if slow else "                    "
        print(
            f"  {label}: {len(run.times)} requests in {elapsed:.1f} s, {len(run.errors)} errors,"
            f" p50 {run.percentile(50) * 1000:.0f} ms, p99 {run.percentile(99) * 1000:.0f} ms;"
            f" web process peak RSS {peak_rss_mb(pid):.0f} MB"
            f" (+ render workers {workers_rss_mb(pid):.0f} MB)"
        )
        if slow:
            counts = {s: slow_statuses.count(s) for s in sorted(set(slow_statuses))}
            print(f"  the slow client's answers: {counts} (400: refused, 200: drawn, 504: stopped)")
        for error in sorted(set(run.errors))[:5]:
            print(f"    error: {error}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--loads", type=int, default=1, help="dashboard loads per client")
    args = parser.parse_args(argv or [])  # python -m bench passes none
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stems = write_instances(root / "rrd")
        print(
            f"{args.clients} clients x {args.loads} loads of a {GRAPHS}-graph dashboard "
            f"(page + {GRAPHS} PNGs, {WIDTH}x{HEIGHT}, 1 day) through waitress:"
        )
        base = load_run(root, stems, args.clients, args.loads, slow=False)
        loaded = load_run(root, stems, args.clients, args.loads, slow=True)
    ratio = loaded.percentile(99) / base.percentile(99)
    ok_ratio = ratio <= TARGET_RATIO
    ok_errors = not base.errors and not loaded.errors
    print(f"  p99 with / without the slow client = {ratio:.2f} (target <= {TARGET_RATIO}) "
          f"{'ok' if ok_ratio else 'BELOW TARGET'}")  # fmt: skip
    print(f"  errors: {len(base.errors) + len(loaded.errors)} (target 0) "
          f"{'ok' if ok_errors else 'BELOW TARGET'}")  # fmt: skip
    return 0 if ok_ratio and ok_errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
