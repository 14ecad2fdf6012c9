"""The real ``graphmetrics-carbon`` process, and senders speaking carbon's protocols."""

from __future__ import annotations

import os
import pickle
import re
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import rrdtool

from tests.helpers import REPO, free_port, listening, wait_for


@dataclass
class Carbon:
    """A running receiver: its ports, RRD directory and log."""

    proc: subprocess.Popen[str]
    rrd_dir: Path
    log_path: Path
    line_port: int
    pickle_port: int
    udp_port: int
    exit_code: int | None = field(default=None)

    def send(self, text: str | bytes) -> None:
        """Send plaintext over one TCP connection and close it cleanly."""
        data = text.encode() if isinstance(text, str) else text
        with socket.create_connection(("127.0.0.1", self.line_port)) as sock:
            sock.sendall(data)

    def send_udp(self, text: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(text.encode(), ("127.0.0.1", self.udp_port))

    def send_pickle(self, payload: bytes) -> None:
        with socket.create_connection(("127.0.0.1", self.pickle_port)) as sock:
            sock.sendall(struct.pack("!L", len(payload)) + payload)

    def send_points(self, points: list[tuple[str, tuple[float, float]]]) -> None:
        self.send_pickle(pickle.dumps(points, protocol=2))

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> str:
        """SIGTERM; returns the log (the exit code in ``exit_code``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.exit_code = self.proc.wait(timeout=30)
        return self.log


def status(log: str, final: bool = True) -> dict[str, int]:
    """The counters of the receiver's last status (``finished:``) line, with each bad
    reason as ``bad.<reason>``."""
    word = "finished:" if final else "status:"
    lines = [line for line in log.splitlines() if f"graphmetrics.carbon: {word}" in line]
    assert lines, log
    line = lines[-1]
    counters = {k: int(v) for k, v in re.findall(r"\b(\w+)=(\d+)\b", line)}
    reasons = re.search(r"bad=\d+ \(([^)]*)\)", line)
    for reason, n in re.findall(r"(\w+): (\d+)", reasons.group(1) if reasons else ""):
        counters[f"bad.{reason}"] = int(n)
    return counters


def daemon_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHMETRICS_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return env


@contextmanager
def running_carbon(rrd_dir: Path, work: Path, *args: str) -> Iterator[Carbon]:
    """``graphmetrics-carbon`` on free ports of 127.0.0.1 (line, pickle, UDP)."""
    work.mkdir(parents=True, exist_ok=True)
    line, pickled, udp = free_port(), free_port(), free_port()
    log_path = work / f"carbon-{line}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "graphmetrics.cli.carbon", "--rrd-dir", str(rrd_dir)]
            + ["--carbon-line-port", str(line), "--carbon-pickle-port", str(pickled)]
            + ["--carbon-udp-port", str(udp), "--write-interval", "0.3"]
            + list(args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=daemon_env(),
            text=True,
        )
    carbon = Carbon(proc, rrd_dir, log_path, line, pickled, udp)
    try:
        wait_for(
            lambda: not carbon.alive() or (listening(line) and listening(pickled)),
            timeout=20,
            what="graphmetrics-carbon listening",
        )
        assert carbon.alive(), carbon.log
        yield carbon
    finally:
        if carbon.alive():
            carbon.proc.kill()
            carbon.proc.wait()


def rows(path: Path, start: int, end: int, daemon: str | None = None) -> dict[int, float]:
    """The known AVERAGE values of ``path`` between ``start`` and ``end``, by time."""
    args = ["--daemon", daemon] if daemon else []
    (first, _, step), _, data = rrdtool.fetch(
        str(path), "AVERAGE", *args, "-s", str(start), "-e", str(end)
    )
    return {first + step * (i + 1): row[0] for i, row in enumerate(data) if row[0] is not None}


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.rrd"))
