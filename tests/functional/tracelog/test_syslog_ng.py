"""End to end: applications log to a real syslog-ng, which writes the directory we tail."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.tracelog.conftest import Daemon, known, minutes
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import free_port, wait_for

CONFIG = """\
@version: 3.38
options {{ flush_lines(0); time_reopen(1); stats_freq(0); keep_hostname(yes); }};
source s_apps {{ network(ip(127.0.0.1) port({port}) transport(tcp)); }};
destination d_tracelog {{
    file("{logs}/${{R_YEAR}}-${{R_MONTH}}-${{R_DAY}}.log"
         template("${{HOST}} acme ${{PROGRAM}} : ${{MSG}}\\n") create_dirs(yes));
}};
log {{ source(s_apps); destination(d_tracelog); }};
"""


@pytest.fixture
def syslog_ng(tmp_path: Path, dirs: tuple[Path, Path]) -> Iterator[int]:
    """A syslog-ng of our own on a loopback port, writing one file per day to ``logs``."""
    binary = shutil.which("syslog-ng") or "/usr/sbin/syslog-ng"
    assert Path(binary).exists(), "syslog-ng is missing: `make test` installs syslog-ng-core"
    logs, _ = dirs
    port = free_port()
    conf = tmp_path / "syslog-ng.conf"
    conf.write_text(CONFIG.format(port=port, logs=logs))
    out = open(tmp_path / "syslog-ng.out", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            binary,
            "-F",
            "--no-caps",
            "-f",
            str(conf),
            f"--persist-file={tmp_path}/sng.persist",
            f"--pidfile={tmp_path}/sng.pid",
            f"--control={tmp_path}/sng.ctl",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )

    def listening() -> bool:
        assert proc.poll() is None, (tmp_path / "syslog-ng.out").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_for(listening, what="syslog-ng listening")
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    out.close()


def send_syslog(sock: socket.socket, host: str, program: str, records: list[str]) -> None:
    """RFC 3164 messages over the application's one TCP connection, as its syslog
    handler sends them (syslog-ng keeps the order within a connection, not across)."""
    data = "".join(f"<134>May  1 10:00:00 {host} {program}: {rec}\n" for rec in records)
    sock.sendall(data.encode())


def records(lines: list[str]) -> list[str]:
    return [line.split(" : ", 1)[1] for line in lines]


def test_syslog_ng_to_rrd(dirs: tuple[Path, Path], daemon: Daemon, syslog_ng: int) -> None:
    logs, rrds = dirs
    daemon.start()
    daemon.wait_log("following")
    src = "app1 acme inst1"
    first = request(src, 1, "2024-05-01 10:00", 5, 0.1, 0.5)
    first += request(src, 2, "2024-05-01 10:00", 9, 0, 1.5, "503 1")
    second = request(src, 3, "2024-05-01 10:01", 1, 0, 2.0)
    second += [f"{src} : B 4 2024-05-01 10:02:00 GET /"]
    other = request("app7 acme inst3", 1, "2024-05-01 10:00", 1, 0, 3.0)
    with (
        socket.create_connection(("127.0.0.1", syslog_ng)) as app1,
        socket.create_connection(("127.0.0.1", syslog_ng)) as app7,
    ):
        send_syslog(app1, "app1", "inst1", records(first))
        send_syslog(app7, "app7", "inst3", records(other))
        send_syslog(app1, "app1", "inst1", records(second))
        send_syslog(app7, "app7", "inst3", ["B 2 2024-05-01 10:01:00 GET /"])

    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    expected = {
        epoch("2024-05-01 10:01"): (2.0, 1.0, 0.0, 60.0, 0.0),
        epoch("2024-05-01 10:02"): (1.0, 0.0, 0.0, 30.0, 0.0),
    }
    wait_for(
        lambda: (
            rrd.exists()
            and known(minutes(rrd, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:02")))
            == expected
        ),
        timeout=20,
        what="the minutes syslog-ng delivered",
    )
    other = rrds / "tracelog" / "app7__acme__inst3.rrd"
    wait_for(other.exists, what="the second instance")
    assert known(minutes(other, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:01"))) == {
        epoch("2024-05-01 10:01"): (1.0, 0.0, 0.0, 20.0, 0.0)
    }
    assert [p.suffix for p in logs.iterdir()] == [".log"]
    assert daemon.terminate() == 0
