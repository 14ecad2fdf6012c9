"""Synthetic tracelog traffic for the demo and the benchmarks.

Each instance gets a request rate that follows a daily curve with noise; requests
wait for one of a few application threads (so backlog builds when load is high),
take a time that depends on their URL (:data:`ENDPOINTS`: fast pages, a heavy-tailed
search, a slow report export), about 1% fail, and now and then an instance restarts.
Lines come out in time order, formatted the way syslog-ng writes them
(``host customer instance : record``).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class SimInstance:
    host: str
    customer: str
    name: str
    base_rpm: float
    threads: int = 4
    next_id: int = 1
    busy_until: list[float] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"{self.host} {self.customer} {self.name} :"


def stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def default_instances(count: int, seed: int = 1) -> list[SimInstance]:
    """``count`` instances over a few customers and hosts, with varied base load."""
    rnd = random.Random(seed)
    customers = ["acme", "globex", "initech", "umbrella", "hooli"]
    out = []
    for i in range(count):
        customer = customers[i % len(customers)]
        host = f"app{(i // len(customers)) % 8 + 1}"
        out.append(
            SimInstance(
                host, customer, f"inst{i // 40 + 1}-{i % 40 + 1}", base_rpm=rnd.uniform(20, 240)
            )
        )
    return out


def rate_at(inst: SimInstance, t: float, rnd: random.Random) -> float:
    """Requests per second: a daily curve peaking mid-afternoon, plus noise."""
    day = (t % 86400) / 86400
    curve = 0.55 + 0.45 * math.sin(2 * math.pi * (day - 0.35))
    return max(0.0, inst.base_rpm / 60 * curve * rnd.uniform(0.7, 1.3))


def _request(inst: SimInstance, t: float, rnd: random.Random) -> list[tuple[float, str]]:
    rid = inst.next_id
    inst.next_id += 1
    if not inst.busy_until:
        inst.busy_until = [0.0] * inst.threads
    thread_free = heapq.heappop(inst.busy_until)
    got_input = t + rnd.uniform(0.0005, 0.005)
    started = max(got_input, thread_free) + 0.0002
    path, median, spread = _endpoint(rnd)
    service = rnd.lognormvariate(math.log(median), spread) + 0.002
    done = started + service
    heapq.heappush(inst.busy_until, done)
    roll = rnd.random()
    answer = "200 1234" if roll > 0.012 else ("500 88" if roll > 0.004 else "Error: ConflictError")
    return [
        (t, f"B {rid} {{ts}} GET {path}"),
        (got_input, f"I {rid} {{ts}} 0"),
        (started, f"C {rid} {{ts}}"),
        (done, f"A {rid} {{ts}} {answer}"),
        (done + 0.0003, f"E {rid} {{ts}}"),
    ]


#: (path, share of requests, median app seconds, lognormal spread): a realistic mix
#: with a heavy-tailed search and one slow endpoint, the report export
ENDPOINTS: tuple[tuple[str, float, float, float], ...] = (
    ("/", 0.30, 0.04, 0.5),
    ("/api/items?page={n}", 0.25, 0.06, 0.6),
    ("/search?q={n}", 0.20, 0.15, 0.9),
    ("/cart", 0.15, 0.08, 0.5),
    ("/login", 0.08, 0.20, 0.4),
    ("/reports/export?id={n}", 0.02, 3.0, 0.5),
)


def _endpoint(rnd: random.Random) -> tuple[str, float, float]:
    """A request's path (query strings vary), median app time and spread."""
    roll = rnd.random()
    chosen = ENDPOINTS[-1]
    for endpoint in ENDPOINTS:
        roll -= endpoint[1]
        if roll < 0:
            chosen = endpoint
            break
    path, _, median, spread = chosen
    return path.format(n=rnd.randrange(1000)), median, spread


def generate(
    instances: list[SimInstance],
    start: float,
    end: float,
    seed: int = 1,
    restart_probability: float = 1 / 20000,
) -> Iterator[tuple[float, str]]:
    """``(time, line)`` pairs in time order for every instance between start and end."""
    rnd = random.Random(seed)
    pending: list[tuple[float, int, str, str]] = []
    order = 0
    for inst in instances:
        pending.append((start, order, inst.prefix, "S 0 {ts} 0.0.0.0:8080"))
        order += 1
    heapq.heapify(pending)
    second = math.floor(start)
    while second < end:
        for inst in instances:
            if rnd.random() < restart_probability:
                inst.busy_until = []
                heapq.heappush(
                    pending, (second + rnd.random(), order, inst.prefix, "S 0 {ts} 0.0.0.0:8080")
                )
                order += 1
            lam = rate_at(inst, second, rnd)
            arrivals = _poisson(lam, rnd)
            for _ in range(arrivals):
                for when, text in _request(inst, second + rnd.random(), rnd):
                    heapq.heappush(pending, (when, order, inst.prefix, text))
                    order += 1
        second += 1
        while pending and pending[0][0] < second:
            when, _, prefix, text = heapq.heappop(pending)
            yield when, f"{prefix} {text.format(ts=stamp(when))}"
    while pending and pending[0][0] < end:
        when, _, prefix, text = heapq.heappop(pending)
        yield when, f"{prefix} {text.format(ts=stamp(when))}"


def _poisson(lam: float, rnd: random.Random) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rnd.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rnd.random()
        if p <= limit:
            return k
        k += 1
