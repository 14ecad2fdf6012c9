"""A real rrdcached of the test's own, in the foreground, journaling, writing only on
FLUSH (a one-hour write timeout)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import wait_for


def listening(sock: Path) -> bool:
    """rrdcached accepts connections on ``sock`` (the file exists before it listens)."""
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(sock))
        except OSError:
            return False
    return True


def wait_listening(sock: Path) -> None:
    wait_for(lambda: listening(sock), what=f"rrdcached listening on {sock}")


@contextmanager
def running_rrdcached(base: Path, work: Path) -> Iterator[str]:
    """rrdcached for files under ``base``; its socket and journal in ``work``."""
    base.mkdir(parents=True, exist_ok=True)
    journal = work / "rrdcached-journal"
    journal.mkdir(parents=True, exist_ok=True)
    sock = work / "rrdcached.sock"
    proc = subprocess.Popen(
        ["rrdcached", "-g", "-l", f"unix:{sock}", "-b", str(base), "-B", "-j", str(journal)]
        + ["-p", str(work / "rrdcached.pid"), "-w", "3600", "-z", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(sock)
        yield f"unix:{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
