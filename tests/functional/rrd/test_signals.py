"""Stop signals never break librrd's rrdcached client (graphmetrics.signals).

Python's handlers interrupt system calls by default; librrd's client then loses its
place in the rrdcached protocol and the flush fails (with plain ``signal.signal``
this script loses nearly every update).  A child process takes a stream of SIGTERMs
while it writes through rrdcached, as a daemon may while stopping.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import wait_for

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import rrdtool
    from graphmetrics.signals import on_signals

    folder, sock = sys.argv[1], "unix:" + sys.argv[2]
    files = [f"{folder}/f{i}.rrd" for i in range(300)]
    for f in files:
        rrdtool.create(f, "--start", "1700000000", "--step", "60",
                       "DS:v:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:100")
    received = []
    on_signals(lambda signum, frame: received.append(signum))
    done = threading.Event()

    def pester():
        while not done.is_set():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.002)

    thread = threading.Thread(target=pester)
    thread.start()
    try:
        for f in files:
            rrdtool.update(f, "--daemon", sock, "1700000060:5")
        rrdtool.flushcached("--daemon", sock, *files)
    finally:
        done.set()
        thread.join()
    on_disk = sum(1 for f in files if int(rrdtool.last(f)) == 1700000060)
    print(len(received), on_disk)
    """
)


def test_signals_during_rrdcached_io_lose_nothing(tmp_path: Path) -> None:
    sock = tmp_path / "rrdcached.sock"
    cached = subprocess.Popen(
        ["rrdcached", "-g", "-l", f"unix:{sock}", "-p", str(tmp_path / "pid")]
        + ["-b", str(tmp_path), "-B", "-w", "3600", "-z", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(sock.exists, timeout=10, what="rrdcached socket")
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path), str(sock)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        cached.terminate()
        cached.wait(timeout=10)
    assert run.returncode == 0, run.stderr
    received, on_disk = map(int, run.stdout.split())
    assert received > 0  # the signals did arrive while it wrote
    assert on_disk == 300
