"""A collectd/statsd-style agent for the demo: carbon plaintext lines over TCP.

    python -m graphmetrics.demo.carbon_load --port 2003 [--backfill-hours 6] [--interval 60]

Three servers report ``servers.<host>.cpu.{user,system,idle}``, ``servers.<host>.load.load1``
and ``stats.<host>.requests`` as Graphite names (what collectd's ``write_graphite`` or
statsd would send to carbon); ``--backfill-hours`` of history first, one point a minute,
then live points every ``--interval`` seconds until SIGTERM or Ctrl-C.  A refused or
lost connection is retried, as agents do.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("graphmetrics.demo.carbon_load")

HOSTS = ("web1", "web2", "db1")


def lines_at(ts: int, rng: random.Random) -> list[str]:
    """One point of every series at ``ts``."""
    day = math.sin(2 * math.pi * ((ts % 86400) / 86400 - 0.3))
    out = []
    for n, host in enumerate(HOSTS):
        user = max(0.0, 30 + 20 * day + rng.gauss(0, 3) + 5 * n)
        system = max(0.0, 8 + 3 * day + rng.gauss(0, 1))
        prefix = f"servers.{host}"
        out += [
            f"{prefix}.cpu.user {user:.2f} {ts}",
            f"{prefix}.cpu.system {system:.2f} {ts}",
            f"{prefix}.cpu.idle {max(0.0, 100 - user - system):.2f} {ts}",
            f"{prefix}.load.load1 {max(0.0, 1.2 + day + rng.gauss(0, 0.2)):.2f} {ts}",
            f"stats.{host}.requests {max(0, int(500 + 300 * day + rng.gauss(0, 40)))} {ts}",
        ]
    return out


def send(port: int, lines: list[str], stopping: threading.Event) -> None:
    data = "".join(f"{line}\n" for line in lines).encode()
    while not stopping.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(data)
            return
        except OSError as exc:
            log.warning("carbon receiver on port %d: %s; retrying in 2 s", port, exc)
            stopping.wait(2.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphmetrics.demo.carbon_load")
    parser.add_argument("--port", type=int, default=2003, help="carbon plaintext port")
    parser.add_argument("--backfill-hours", type=float, default=6.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between points")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rng = random.Random(7)
    now = int(time.time()) // 60 * 60
    history = [
        line
        for ts in range(now - int(args.backfill_hours * 3600), now, 60)
        for line in lines_at(ts, rng)
    ]
    send(args.port, history, stopping)
    log.info("sent %d points of history to port %d", len(history), args.port)
    while not stopping.wait(args.interval):
        send(args.port, lines_at(int(time.time()), rng), stopping)
    return 0


if __name__ == "__main__":
    sys.exit(main())
