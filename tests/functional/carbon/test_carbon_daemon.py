"""The real ``graphmetrics-carbon``: plaintext over TCP and UDP, pickle over TCP, the
data of closed connections, stopping, rrdcached."""

from __future__ import annotations

import pickle
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rrdtool

from tests.functional.carbon.conftest import (
    daemon_env,
    files_under,
    rows,
    running_carbon,
    status,
)
from tests.helpers import wait_for
from tests.rrdcached import running_rrdcached


def minute_ago(minutes: int) -> int:
    now = int(time.time())
    return now - now % 60 - 60 * minutes


def test_plaintext_tcp_lines_are_written_under_the_dotted_name(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    t0 = minute_ago(30)
    lines = "".join(f"servers.web1.cpu.user {k * 1.5} {t0 + 60 * k}\n" for k in range(1, 11))
    with running_carbon(rrd_dir, tmp_path) as carbon:
        carbon.send(lines)
        path = rrd_dir / "carbon" / "servers" / "web1" / "cpu" / "user.rrd"
        wait_for(lambda: len(rows(path, t0, t0 + 600)) == 10 if path.exists() else False)
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    assert rows(path, t0, t0 + 600) == {t0 + 60 * k: k * 1.5 for k in range(1, 11)}
    counters = status(log)
    assert counters["points"] == 10 and counters["written"] == 10 and counters["bad"] == 0
    assert counters["created"] == 1


def test_now_timestamps_udp_and_pickle(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    t0 = minute_ago(10)
    with running_carbon(rrd_dir, tmp_path) as carbon:
        before = int(time.time())
        carbon.send("no.timestamp 7\nminus.one 8 -1\n")
        carbon.send_udp(f"by.udp 3 {t0}\nby.udp 4 {t0 + 60}")  # a datagram's last line is whole
        carbon.send_points([("by.pickle", (t0, 5.0)), ("by.pickle", (t0 + 60, 6))])
        wait_for(lambda: len(files_under(rrd_dir)) == 4, what="four files")
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    for name in ("no/timestamp", "minus/one"):
        last = int(__import__("rrdtool").last(str(rrd_dir / "carbon" / f"{name}.rrd")))
        assert last % 60 == 0 and before - 60 < last <= time.time()  # carbon's rounding
    assert rows(rrd_dir / "carbon/by/udp.rrd", t0 - 60, t0 + 60) == {t0: 3.0, t0 + 60: 4.0}
    assert rows(rrd_dir / "carbon/by/pickle.rrd", t0 - 60, t0 + 60) == {t0: 5.0, t0 + 60: 6.0}
    assert status(log)["written"] == 6


def test_a_closed_connections_lines_are_written_at_stop(tmp_path: Path) -> None:
    """SIGTERM right after senders closed: every whole line they sent is in its file,
    a cut last line is counted, the exit code says all was saved."""
    rrd_dir = tmp_path / "rrd"
    t0 = minute_ago(200)
    with running_carbon(rrd_dir, tmp_path, "--write-interval", "60") as carbon:
        for host in range(20):
            carbon.send("".join(f"stop.h{host} {k} {t0 + 60 * k}\n" for k in range(1, 101)))
        carbon.send(f"stop.cut 1 {t0 + 60}\nstop.cut 12")  # no newline: cut mid-message
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    for host in range(20):
        assert len(rows(rrd_dir / f"carbon/stop/h{host}.rrd", t0, t0 + 6000)) == 100
    counters = status(log)
    assert counters["written"] == 2001 and counters["bad.truncated"] == 1


def test_pickle_with_a_class_reference_is_refused(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (__import__("os").system, (f"touch {marker}",))

    t0 = minute_ago(5)
    with running_carbon(rrd_dir, tmp_path) as carbon:
        carbon.send_pickle(pickle.dumps([Exploit()]))
        carbon.send_pickle(pickle.dumps([("ok.after", (t0, 1.0))]))
        carbon.send_pickle(b"\x80\x02not a pickle at all")
        carbon.send_pickle(pickle.dumps({"a": 1}))
        deep = 100_000  # one item nested that deep: reprs and recursion would crash
        carbon.send_pickle(b"\x80\x02]" + b"]" * deep + b"a" * deep + b".")
        carbon.send_pickle(
            pickle.dumps([("p.nan", (t0, float("nan"))), ("x", 1), ("p/x", (t0, 1))])
        )
        with socket.create_connection(("127.0.0.1", carbon.pickle_port)) as sock:
            sock.sendall(struct.pack("!L", 50 << 20))  # over the limit: connection closed
            wait_for(lambda: sock.recv(10) == b"", what="the connection closed")
        wait_for(lambda: files_under(rrd_dir) == ["carbon/ok/after.rrd"], what="ok.after")
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    assert not marker.exists()
    counters = status(log)
    assert counters["bad.bad_pickle"] == 3, log  # class, garbage, a dict
    assert counters["bad.not_finite"] == 1 and counters["bad.bad_pickle_point"] == 2
    assert counters["bad.bad_name"] == 1 and counters["bad.pickle_too_large"] == 1


def test_through_rrdcached_writes_are_flushed_and_verified(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    t0 = minute_ago(60)
    with (
        running_rrdcached(rrd_dir, tmp_path / "cached") as address,
        running_carbon(rrd_dir, tmp_path, "--rrdcached", address) as carbon,
    ):
        carbon.send("".join(f"cached.a {k} {t0 + 60 * k}\n" for k in range(1, 31)))
        path = rrd_dir / "carbon/cached/a.rrd"
        # rrdcached writes only on FLUSH (-w 3600): the values in the file are the
        # receiver's flush, not rrdcached's timer
        wait_for(lambda: len(rows(path, t0, t0 + 1800)) == 30 if path.exists() else False)
        log = carbon.stop()
    assert carbon.exit_code == 0, log
    counters = status(log)
    assert counters["written"] == 30 and counters["unverified"] == 0


def test_new_files_take_carbons_rules_and_old_files_keep_their_layout(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    schemas = tmp_path / "storage-schemas.conf"
    schemas.write_text("[fast]\npattern = ^fast\\.\nretentions = 10s:1h,1m:1d\n")
    aggregation = tmp_path / "storage-aggregation.conf"
    aggregation.write_text(
        "[max]\npattern = \\.max$\nxFilesFactor = 0.2\naggregationMethod = max\n"
    )
    t0 = minute_ago(30)
    rules = ["--carbon-schemas", str(schemas), "--carbon-aggregation", str(aggregation)]
    with running_carbon(rrd_dir, tmp_path, *rules) as carbon:
        carbon.send(f"fast.a.max 1 {t0}\nslow.b 2 {t0}\n")
        wait_for(lambda: len(files_under(rrd_dir)) == 2, what="two files")
        carbon.stop()
    fast = rrdtool.info(str(rrd_dir / "carbon/fast/a/max.rrd"))
    assert fast["step"] == 10 and fast["ds[value].min"] is None
    cfs = {
        (fast[f"rra[{i}].cf"], fast[f"rra[{i}].pdp_per_row"], fast[f"rra[{i}].rows"])
        for i in range(4)
    }
    assert cfs == {("AVERAGE", 1, 360), ("AVERAGE", 6, 1440), ("MAX", 1, 360), ("MAX", 6, 1440)}
    assert fast["rra[0].xff"] == pytest.approx(0.2)
    slow = rrdtool.info(str(rrd_dir / "carbon/slow/b.rrd"))
    assert slow["step"] == 60 and slow["rra[0].rows"] == 2880  # the default
    # a changed rule does not reshape the existing file
    schemas.write_text("[all]\npattern = .*\nretentions = 1s:1h\n")
    with running_carbon(rrd_dir, tmp_path, *rules) as carbon:
        carbon.send(f"slow.b 3 {t0 + 60}\n")
        wait_for(lambda: rows(rrd_dir / "carbon/slow/b.rrd", t0, t0 + 60).get(t0 + 60) == 3.0)
        assert carbon.stop() and carbon.exit_code == 0
    assert rrdtool.info(str(rrd_dir / "carbon/slow/b.rrd"))["step"] == 60


def test_a_bad_rule_file_or_a_taken_port_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "storage-schemas.conf"
    bad.write_text("[x]\npattern = .*\nretentions = 7s:1d,10s:1d\n")
    proc = subprocess.run(
        [sys.executable, "-m", "graphmetrics.cli.carbon", "--rrd-dir", str(tmp_path)]
        + ["--carbon-schemas", str(bad), "--carbon-line-port", "0"],
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "storage-schemas.conf [x]" in proc.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "graphmetrics.cli.carbon", "--rrd-dir", str(tmp_path)]
            + ["--carbon-line-port", str(port)],
            env=daemon_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2 and "cannot listen on 127.0.0.1" in proc.stderr
