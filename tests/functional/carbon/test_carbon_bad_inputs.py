"""Bad input to the real ``graphmetrics-carbon``: each kind counted or refused, the
daemon alive and answering after it, nothing written outside ``<rrd_dir>/carbon``."""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

from tests.functional.carbon.conftest import files_under, rows, running_carbon, status
from tests.helpers import wait_for


def test_malformed_lines_and_names_are_counted_and_nothing_escapes(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    rrd_dir.mkdir()
    (tmp_path / "outside").mkdir()
    (rrd_dir / "carbon").mkdir()
    (rrd_dir / "carbon" / "link").symlink_to(tmp_path / "outside")
    now = int(time.time())
    bad = [
        "only.name",  # one field
        f"too many fields 1 {now}",
        f"bad.value abc {now}",
        "bad.time 1 yesterday",
        f"nan.value nan {now}",
        f"inf.value inf {now}",
        f"neg.inf -Infinity {now}",
        f"future.time 1 {now + 3 * 86400}",
        "zero.time 1 0",
        f"a..b 1 {now}",
        f".leading 1 {now}",
        f"trailing. 1 {now}",
        f"../../etc/passwd 1 {now}",
        f"up/../../x 1 {now}",
        f"slash/name 1 {now}",
        f"ctrl\x01name 1 {now}",
        f"ctrl\x7fname 1 {now}",
        f"{'x' * 300}.long 1 {now}",
        f"{'.'.join(['y' * 100] * 12)} 1 {now}",
        f"link.escape 1 {now}",  # carbon/link is a symlink out of the directory
        f"bad;tag 1 {now}",
        b"not\xffutf8 1 %d" % now,
    ]
    payload = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in bad)
    with running_carbon(rrd_dir, tmp_path) as carbon:
        carbon.send(payload + f"good.one 1 {now}\n".encode())
        wait_for(lambda: (rrd_dir / "carbon/good/one.rrd").exists(), what="good.one")
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    counters = status(log)
    assert counters["bad"] == len(bad), log
    assert counters["bad.bad_line"] == 2
    assert counters["bad.bad_number"] == 2
    assert counters["bad.not_finite"] == 3
    assert counters["bad.future_timestamp"] == 1 and counters["bad.bad_timestamp"] == 1
    assert counters["bad.bad_name"] == 13
    assert files_under(rrd_dir) == ["carbon/good/one.rrd"]
    assert list((tmp_path / "outside").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["rrd", "outside", *[p.name for p in tmp_path.iterdir() if p.name.startswith("carbon-")]]
    )


def test_a_100_mb_line_a_reset_and_a_flood_of_names(tmp_path: Path) -> None:
    """A 100 MB line is skipped to its end (memory stays bounded by the line limit),
    a sender resetting mid-line loses only that line, invented names beyond the
    new-file limit are held (bounded, counted, saved), and the daemon goes on serving."""
    rrd_dir = tmp_path / "rrd"
    t0 = int(time.time()) // 60 * 60 - 600
    with running_carbon(rrd_dir, tmp_path, "--max-new-files-per-minute", "50") as carbon:
        with socket.create_connection(("127.0.0.1", carbon.line_port)) as sock:
            sock.sendall(f"before.huge 1 {t0}\n".encode())
            chunk = b"h" * (1 << 20)
            for _ in range(100):
                sock.sendall(chunk)
            sock.sendall(f" 1 {t0}\nafter.huge 2 {t0}\n".encode())
        with socket.create_connection(("127.0.0.1", carbon.line_port)) as sock:
            sock.sendall(f"reset.whole 3 {t0}\nreset.cut 4".encode())
            time.sleep(0.3)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        carbon.send("".join(f"flood.n{i} 1 {t0}\n" for i in range(500)))
        wait_for(lambda: (rrd_dir / "carbon/after/huge.rrd").exists(), what="after.huge")
        wait_for(lambda: len(files_under(rrd_dir / "carbon" / "flood")) == 47, what="flood")
        assert carbon.alive()
        carbon.send(f"still.alive 5 {t0}\n")
        peak_kb = peak_memory_kb(carbon.proc.pid)
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    counters = status(log)
    assert counters["bad.line_too_long"] == 1
    assert counters["bad.truncated"] == 1
    # 453 flood names and still.alive: the minute's budget of 50 new files is spent,
    # their samples wait (docs/storage.md, "New-file limits"), none is dropped
    assert counters["held_files"] == 454 and counters["held_samples"] == 454, log
    assert counters["refused_files"] == 0 and counters["refused_samples"] == 0
    assert rows(rrd_dir / "carbon/reset/whole.rrd", t0 - 60, t0) == {t0: 3.0}
    assert not (rrd_dir / "carbon/reset/cut.rrd").exists()
    assert counters["created"] == 50, log  # before.huge, after.huge, reset.whole, 47 flood
    assert peak_kb < 100 * 1024, f"peak {peak_kb} KiB: the huge line was kept"


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def test_samples_held_for_the_creation_budget_survive_a_kill(tmp_path: Path) -> None:
    """Names beyond the budget are held and saved with the receiver's state; after a
    kill -9 the restarted receiver spends the same budget (its journal) and writes
    every held sample once the budget allows: nothing lost, nothing twice."""
    rrd_dir = tmp_path / "rrd"
    t0 = int(time.time()) // 60 * 60 - 600
    names = [f"burst.n{i}" for i in range(40)]
    held = rrd_dir / ".state" / "carbon" / "held.state"
    limit = ["--max-new-files-per-minute", "15", "--new-files-window", "3"]
    with running_carbon(rrd_dir, tmp_path / "first", *limit) as carbon:
        carbon.send("".join(f"{name} {i} {t0}\n" for i, name in enumerate(names)))
        wait_for(lambda: len(files_under(rrd_dir / "carbon" / "burst")) == 15, what="15 files")
        wait_for(lambda: held.exists() and "burst" in held.read_text(), what="held saved")
        carbon.proc.kill()
        carbon.proc.wait()
    with running_carbon(rrd_dir, tmp_path / "second", *limit) as carbon:
        wait_for(lambda: len(files_under(rrd_dir / "carbon" / "burst")) == 40, what="all 40")
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    for i, name in enumerate(names):
        path = rrd_dir / "carbon" / "burst" / f"{name.split('.')[1]}.rrd"
        assert rows(path, t0 - 60, t0) == {t0: float(i)}, name
    counters = status(log)
    assert counters["held_files"] == 0 and counters["refused_samples"] == 0, log
