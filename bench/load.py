"""Load: 50 clients opening a 12-graph dashboard through waitress, alone and beside
three attack mixes.

``graphmetrics-web`` (waitress, the render workers, render cache off so every graph
is drawn) serves 12 tracelog instances on 127.0.0.1.  Each of ``--clients`` threads
keeps one connection and opens the saved dashboard ``--loads`` times: the page, then
its 12 PNGs, as a browser does.  Printed: requests, errors (must be 0), p50/p99
latency, the web process's and the render workers' peak RSS.

Then the same load runs beside each attack mix of :mod:`bench.attacks` (20 clients
of the slowest allowed Graphite targets; 20 of the heaviest allowed ``/render``;
20 sending the probe's N1-N6 inputs).  Target, for each: the dashboard users' p99
within 2x of the quiet run's, none of their requests failed, every process under
2 GB resident; the exit status is 1 otherwise.

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

from bench.attacks import CLIENTS as ATTACKERS
from bench.attacks import MIXES
from bench.dashboard import GRAPHS, HEIGHT, WIDTH, dashboard_graphs, write_instances
from tests.webapp import testing_settings, web_process

TARGET_RATIO = 2.0
TARGET_RSS_MB = 2048


@dataclass
class Client:
    port: int
    cookie: str = ""
    csrf: str = ""
    conn: http.client.HTTPConnection | None = None
    retry_after: float = 0.0
    error: str = ""

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
            self.retry_after, self.error = 0.0, ""
            for key, value in res.getheaders():
                if key.lower() == "set-cookie":
                    self._keep(value.split(";", 1)[0])
                elif key.lower() == "retry-after" and value.isdigit():
                    self.retry_after = float(value)
                elif key.lower() == "x-graphmetrics-error":
                    self.error = value
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
                error = None if status == 200 else f"{status} for {url[:40]}: {client.error}"
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__} for {url[:60]}"
            run.record(time.perf_counter() - started, error)


def attacker(port: int, user: str, urls: list[str], stop: threading.Event) -> list[int]:
    """One attacking client, signed in as ``user``: the mix's URLs over and over,
    waiting ``Retry-After`` after a 503."""
    client, statuses = Client(port), []
    client.send("GET", f"/login?user={user}")
    while not stop.is_set():
        for url in urls:
            try:
                statuses.append(client.send("GET", url)[0])
            except (OSError, http.client.HTTPException):
                statuses.append(0)
            if client.retry_after:
                stop.wait(client.retry_after)
            if stop.is_set():
                break
    return statuses


class RSSWatch:
    """The web process's and its descendants' (the render workers') peak RSS, sampled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.workers_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for child in descendants(self.pid):
                self.workers_mb = max(self.workers_mb, rss_mb(child))

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return peak_rss_mb(self.pid), self.workers_mb


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children.get(child, [])
    return found


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0


@dataclass
class Result:
    run: Run
    web_mb: float
    workers_mb: float


def load_run(root: Path, stems: list[str], clients: int, loads: int, mix: str | None) -> Result:
    with web_server(root, mix or "quiet") as (port, pid):
        first, urls = dashboard_urls(port, stems)
        one_client(port, first.cookie, urls, 1, Run())  # warm up: workers started, pages cached
        run, stop = Run(), threading.Event()
        watch = RSSWatch(pid)
        threads = [
            threading.Thread(target=one_client, args=(port, first.cookie, urls, loads, run))
            for _ in range(clients)
        ]
        attack_statuses: list[int] = []
        attackers = [
            threading.Thread(
                target=lambda k=k: attack_statuses.extend(
                    attacker(port, f"attacker{k}", MIXES[mix](stems), stop)  # type: ignore[index]
                )
            )
            for k in range(ATTACKERS if mix else 0)
        ]
        for thread in attackers:
            thread.start()
        if attackers:
            time.sleep(1.0)  # the attack under way first
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        for thread in attackers:
            thread.join()
        web_mb, workers_mb = watch.stop()
        label = f"beside {ATTACKERS} x {mix}" if mix else "quiet"
        print(
            f"  {label:20}: {len(run.times)} requests in {elapsed:.1f} s, {len(run.errors)} errors,"
            f" p50 {run.percentile(50) * 1000:.0f} ms, p99 {run.percentile(99) * 1000:.0f} ms;"
            f" peak RSS web {web_mb:.0f} MB, largest worker {workers_mb:.0f} MB"
        )
        if mix:
            counts = {s: attack_statuses.count(s) for s in sorted(set(attack_statuses))}
            print(f"    the attackers' answers: {counts}")
        for error in sorted(set(run.errors))[:5]:
            print(f"    error: {error}")
    return Result(run, web_mb, workers_mb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--loads", type=int, default=1, help="dashboard loads per client")
    parser.add_argument("--mix", action="append", choices=sorted(MIXES), help="(default all)")
    args = parser.parse_args(argv or [])  # python -m bench passes none
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stems = write_instances(root / "rrd")
        print(
            f"{args.clients} clients x {args.loads} loads of a {GRAPHS}-graph dashboard "
            f"(page + {GRAPHS} PNGs, {WIDTH}x{HEIGHT}, 1 day) through waitress "
            f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores):"
        )
        quiet = load_run(root, stems, args.clients, args.loads, None)
        results = [quiet]
        for mix in args.mix or list(MIXES):
            loaded = load_run(root, stems, args.clients, args.loads, mix)
            results.append(loaded)
            ratio = loaded.run.percentile(99) / quiet.run.percentile(99)
            good = ratio <= TARGET_RATIO
            ok = ok and good
            print(f"    p99 beside {mix} / quiet = {ratio:.2f} (target <= {TARGET_RATIO}) "
                  f"{'ok' if good else 'BELOW TARGET'}")  # fmt: skip
    errors = sum(len(r.run.errors) for r in results)
    peak = max(max(r.web_mb, r.workers_mb) for r in results)
    print(f"  errors: {errors} (target 0) {'ok' if not errors else 'BELOW TARGET'}")
    print(f"  largest process: {peak:.0f} MB (target < {TARGET_RSS_MB}) "
          f"{'ok' if peak < TARGET_RSS_MB else 'BELOW TARGET'}")  # fmt: skip
    return 0 if ok and not errors and peak < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
