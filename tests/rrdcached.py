"""A real rrdcached of the test's own, in the foreground, journaling, writing only on
FLUSH (a one-hour write timeout)."""

from __future__ import annotations

import shlex
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import free_port, wait_for
from tests.helpers import listening as tcp_listening


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


# SCALEOUT.md's storage node: the write socket takes everything, the TCP one only reads
READ_ONLY = "FLUSH,FETCH,INFO,LAST,FIRST,LIST,PING,STATS"


def nosymfollow(base: Path, command: list[str]) -> list[str]:
    """``command`` in a mount namespace of its own where ``base`` is bind-mounted on
    itself with ``nosymfollow`` (docs/deployment.md): no symbolic link under it is
    followed, so no path leaves it (rrdcached's ``-B`` checks the path's text only)."""
    mount = f"mount --bind -o nosymfollow {shlex.quote(str(base))} {shlex.quote(str(base))}"
    script = f"{mount} && exec {shlex.join(command)}"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


@contextmanager
def storage_node(
    base: Path, work: Path, no_symlinks: bool = False, port: int | None = None
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """rrdcached as a storage node for files under ``base``: (write address on a UNIX
    socket, read-only address on TCP 127.0.0.1, the process); writes only on FLUSH.
    ``no_symlinks``: started as docs/deployment.md says, following no symbolic link."""
    base.mkdir(parents=True, exist_ok=True)
    journal = work / "node-journal"
    journal.mkdir(parents=True, exist_ok=True)
    sock = work / "node-write.sock"
    port = port or free_port()
    command = (
        ["rrdcached", "-g", "-B", "-R", "-O", "-b", str(base), "-j", str(journal)]
        + ["-p", str(work / "node.pid"), "-F", "-w", "3600", "-z", "1"]
        + ["-l", f"unix:{sock}", "-P", READ_ONLY, "-l", f"127.0.0.1:{port}"]
    )
    proc = subprocess.Popen(
        nosymfollow(base, command) if no_symlinks else command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(sock)
        wait_for(lambda: tcp_listening(port), what=f"rrdcached listening on port {port}")
        yield f"unix:{sock}", f"127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# A storage node's write socket (SCALEOUT.md's, plus FORGET: a writer drops what the
# daemon caches of a file after a write it lost there, docs/storage.md)
WRITE = "UPDATE,CREATE,BATCH,FLUSH,FORGET,FETCH,INFO,LAST,FIRST,LIST,PING,STATS"


@contextmanager
def node_writing_over_tcp(base: Path, work: Path) -> Iterator[str]:
    """rrdcached as a storage node taking writes on TCP 127.0.0.1 (``-R -O -B``, only
    the write socket's commands); yields its address.  Writes only on FLUSH."""
    base.mkdir(parents=True, exist_ok=True)
    journal = work / "node-journal"
    journal.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        ["rrdcached", "-g", "-B", "-R", "-O", "-b", str(base), "-j", str(journal)]
        + ["-p", str(work / "node.pid"), "-F", "-w", "3600", "-z", "1"]
        + ["-P", WRITE, "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: tcp_listening(port), what=f"rrdcached listening on port {port}")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
