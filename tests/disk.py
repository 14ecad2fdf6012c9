"""Real write failures for tests: a small filesystem filled up, an RRD file locked by
another process (rrdtool refuses to update a file another process has locked)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class SmallDisk:
    """A tmpfs of a few hundred KiB mounted at ``path``; :meth:`fill` uses up its space."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / ".filler"

    def fill(self) -> None:
        with open(self.filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextmanager
def small_disk(path: Path, size: str = "512k") -> Iterator[SmallDisk]:
    """Mount a tmpfs (as root, like CI and the development container); skip otherwise."""
    path.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "graphmetrics-test", str(path)],
        capture_output=True,
        text=True,
    )
    if mount.returncode:
        pytest.skip(f"cannot mount a small filesystem here: {mount.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextmanager
def locked_by_another_process(path: Path) -> Iterator[None]:
    """Hold a POSIX write lock on ``path`` from a child process until the block ends."""
    code = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'r+b')\n"
        "fcntl.lockf(f, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        yield
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)
