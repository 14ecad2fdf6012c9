"""Benchmark: plaintext carbon lines over TCP to verified durable writes.

The same stream (``--names`` metrics × ``--steps`` minutes, time-major as agents
send it, one TCP connection) goes, side by side in one run, to:

1. **graphmetrics-carbon** (the real daemon, writing through rrdcached; printed too:
   writing the files itself with librrd, no rrdcached): timed from
   the first byte sent until the daemon, stopped by SIGTERM as soon as the sender
   is done, has read everything, written it, flushed rrdcached and verified every
   file (its exit; its final status line must show every point written and none
   unverified);
2. **carbon-cache** (Debian's graphite-carbon, the reference receiver, whisper
   files): timed until every metric's whisper file holds its last point (a Debian
   python3 helper polls the files with the whisper module);
3. **bare rrdcached**: the same points sent as rrdcached ``BATCH`` ``UPDATE``\\s, one
   per file with all its values (the best case), then ``FLUSH`` of every file: the
   yardstick for the write path itself.

Agents send to metrics that exist: each contender first takes a stream as long that
creates the files (untimed; then ``os.sync()``), and the stream of the next minutes is
timed.  Rounds (``--rounds``, 3) interleave the contenders; each one's best round is
reported.  Printed: points/s of each, and the two ratios of graphmetrics-carbon
through rrdcached; exit status 1 when it is below 3× carbon-cache or below 0.4× bare
rrdcached.

    .venv/bin/python -m bench carbon     (or: .venv/bin/python -m bench.carbon --names 500)
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import rrdtool

from graphmetrics.rrd import cached
from graphmetrics.rrd.schema import CARBON
from tests.carbon_cache import running_carbon_cache
from tests.helpers import free_port, listening, wait_for
from tests.rrdcached import running_rrdcached

CARBON_TARGET = 3.0
BARE_TARGET = 0.4
SCHEMAS = "[default]\npattern = .*\nretentions = 60s:2d,5m:30d,1h:2y\n"
REPO = Path(__file__).resolve().parent.parent

WHISPER_DONE = r"""
import sys, time, whisper
root, last, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
paths = [f"{root}/{n.replace('.', '/')}.wsp" for n in names]

def done(path):
    try:
        (_, _, _), values = whisper.fetch(path, last - 60, last + 1)
    except Exception:
        return False
    return bool(values) and values[-1] is not None

# one file at a time, each checked until it is done: a few checks per file, not a
# sweep of every file each time (which took CPU from carbon-cache and added up to
# a sweep plus a sleep to its time)
i = 0
while i < len(paths):
    if done(paths[i]):
        i += 1
    else:
        time.sleep(0.005)
print(time.time(), flush=True)
"""


def make_names(count: int) -> list[str]:
    return [f"bench.host{i % 50:02d}.app{i // 50}.requests" for i in range(count)]


def make_stream(names: list[str], steps: int, t0: int) -> tuple[bytes, int]:
    """The plaintext lines, time-major; returns (bytes, last timestamp)."""
    lines = [
        f"{name} {s * 7 + i % 13}.5 {t0 + 60 * s}\n"
        for s in range(1, steps + 1)
        for i, name in enumerate(names)
    ]
    return "".join(lines).encode(), t0 + 60 * steps


def send(port: int, data: bytes) -> float:
    started = time.time()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        view = memoryview(data)
        for offset in range(0, len(data), 1 << 16):
            sock.sendall(view[offset : offset + (1 << 16)])
    return started


def run_graphmetrics(
    work: Path, warm: bytes, data: bytes, points: int, through_rrdcached: bool = True
) -> float:
    rrd_dir = work / ("gm-rrd" if through_rrdcached else "gm-local")
    with ExitStack() as stack:
        address = ""
        if through_rrdcached:
            address = stack.enter_context(running_rrdcached(rrd_dir, work / "gm-cached"))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMETRICS_")}
        env["PYTHONPATH"] = str(REPO / "src")
        log_path = work / f"gm-{rrd_dir.name}.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "graphmetrics.cli.carbon", "--rrd-dir", str(rrd_dir)]
                + (["--rrdcached", address] if address else [])
                + ["--carbon-line-port", str(port)]
                + ["--carbon-pickle-port", "off", "--max-new-files-per-minute", "0"]
                + ["--status-interval", "0.2"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(lambda: listening(port), timeout=30, what="graphmetrics-carbon")
        send(port, warm)
        warm_points = warm.count(b"\n")
        wait_for(
            lambda: f"written={warm_points} " in log_path.read_text(),
            timeout=600,
            what="the files created",
        )
        os.sync()
        started = send(port, data)
        proc.send_signal(signal.SIGTERM)
        ended = exited(proc, timeout=600)
        code = proc.wait()
    final = [line for line in log_path.read_text().splitlines() if "finished:" in line]
    counters = dict(re.findall(r"\b(\w+)=(\d+)\b", final[-1])) if final else {}
    written = str(points + warm_points)
    if code != 0 or counters.get("written") != written or counters.get("unverified") != "0":
        raise SystemExit(f"graphmetrics-carbon did not write everything: {log_path.read_text()}")
    return points / (ended - started)


def exited(proc: subprocess.Popen[bytes], timeout: float) -> float:
    """When ``proc`` exited (time.time()), seen at once: ``Popen.wait(timeout)`` looks
    again only every 50 ms at most, which added up to that much to the daemon's time."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if not ready:
        proc.kill()
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return time.time()


def whisper_done(whisper: Path, last: int, names: list[str]) -> float:
    """When every name's whisper file holds its point at ``last`` (time.time())."""
    done = subprocess.run(
        ["/usr/bin/python3", "-c", WHISPER_DONE, str(whisper), str(last), ",".join(names)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    return float(done.stdout.strip())


def run_carbon_cache(
    work: Path, warm: tuple[bytes, int], data: tuple[bytes, int], points: int, names: list[str]
) -> float:
    storage = work / "graphite"
    with running_carbon_cache(work / "carbon", storage, SCHEMAS) as carbon:
        send(carbon.line_port, warm[0])
        whisper_done(carbon.whisper, warm[1], names)
        os.sync()
        started = send(carbon.line_port, data[0])
        ended = whisper_done(carbon.whisper, data[1], names)
    return points / (ended - started)


def batch(address: str, names: list[str], base: Path, first: int, steps: int) -> list[str]:
    """``BATCH`` one ``UPDATE`` per file with its values from minute ``first`` on."""
    lines = ["BATCH"]
    paths = [str(base / (name.replace(".", "/") + ".rrd")) for name in names]
    for i, path in enumerate(paths):
        values = " ".join(f"{60 * s}:{s * 7 + i % 13}.5" for s in range(first, first + steps))
        lines.append(f"UPDATE {path} {values}")
    lines.append(".")
    with cached.connect(address) as sock:
        sock.sendall("".join(f"{line}\n" for line in lines).encode())
        reader = sock.makefile("rb")
        reader.readline()  # "0 Go ahead."
        answer = reader.readline()  # "0 errors", or the errors
        if not answer.startswith(b"0 "):
            raise SystemExit(f"rrdcached BATCH: {answer!r}")
    return paths


def run_bare(work: Path, names: list[str], steps: int, t0: int, points: int) -> float:
    base = work / "bare-rrd"
    with running_rrdcached(base, work / "bare-cached") as address:
        for name in names:
            path = base / (name.replace(".", "/") + ".rrd")
            path.parent.mkdir(parents=True, exist_ok=True)
            rrdtool.create(str(path), "--start", str(t0), *CARBON.create_args())
        paths = batch(address, names, base, t0 // 60 + 1, steps)
        cached.commands(address, [f"FLUSH {path}" for path in paths])
        os.sync()
        started = time.time()
        batch(address, names, base, t0 // 60 + steps + 1, steps)
        answers = cached.commands(address, [f"FLUSH {path}" for path in paths])
        ended = time.time()
    bad = [status for status, _ in answers if not status.startswith("0")]
    if bad:
        raise SystemExit(f"rrdcached FLUSH: {bad[:3]}")
    return points / (ended - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.carbon")
    parser.add_argument("--names", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    args = parser.parse_args([] if argv is None else argv)  # None: `python -m bench`
    names = make_names(args.names)
    now = int(time.time())
    t0 = now - now % 60 - 60 * (2 * args.steps + 10)
    warm = make_stream(names, args.steps, t0)
    data = make_stream(names, args.steps, t0 + 60 * args.steps)
    points = len(names) * args.steps
    print(
        f"{points} points ({len(names)} names × {args.steps} minutes, {len(data[0])} bytes) "
        "into existing files (a first stream as long creates them, untimed)"
    )
    best = {"bare": 0.0, "ours": 0.0, "local": 0.0, "reference": 0.0}
    for round_ in range(args.rounds):
        # interleaved rounds: a busy moment of a shared machine hits every contender
        with tempfile.TemporaryDirectory(prefix="bench-carbon-") as tmp:
            work = Path(tmp)
            rates = {
                "bare": run_bare(work, names, args.steps, t0, points),
                "ours": run_graphmetrics(work, warm[0], data[0], points),
                "local": run_graphmetrics(work, warm[0], data[0], points, through_rrdcached=False),
                "reference": run_carbon_cache(work, warm, data, points, names),
            }
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()))
        best = {k: max(best[k], rates[k]) for k in best}
    bare, ours, local, reference = best["bare"], best["ours"], best["local"], best["reference"]
    print(f"best of {args.rounds} rounds:")
    print(f"{'bare rrdcached BATCH + FLUSH':32} {bare:12,.0f} points/s")
    print(f"{'graphmetrics-carbon via rrdcached':32} {ours:12,.0f} points/s (flushed, verified)")
    print(f"{'graphmetrics-carbon, librrd':32} {local:12,.0f} points/s (local files)")
    print(f"{'carbon-cache (whisper)':32} {reference:12,.0f} points/s")
    vs_carbon, vs_bare = ours / reference, ours / bare
    print(f"graphmetrics-carbon / carbon-cache: {vs_carbon:.2f} (target >= {CARBON_TARGET})")
    print(f"graphmetrics-carbon / bare rrdcached: {vs_bare:.2f} (target >= {BARE_TARGET})")
    return 0 if vs_carbon >= CARBON_TARGET and vs_bare >= BARE_TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
