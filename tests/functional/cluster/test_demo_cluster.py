"""``make demo-cluster`` end to end (issue #13, items 4 and 5): the program the target
runs (``python -m graphmetrics.demo.cluster``) on free ports, in a temporary folder.

It brings up the whole stack under supervisord: kinesis-local and moto server, two
KCL workers, the rrdcached storage node, the tracelog collector, two web processes on
PostgreSQL, haproxy and the demo load.  The tests check that what a KCL worker wrote
is rendered through haproxy, that the starter dashboards are there, and that Ctrl-C
stops it all and removes the PostgreSQL folder.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.demo.cluster import APPLICATION, SERVICES
from graphmetrics.demo.engines import port_free
from graphmetrics.rrd import cached
from tests.functional.cluster import harness
from tests.functional.cluster import web_engines as engines

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

#: two JVMs, PostgreSQL and the migrations, on 2 busy cores
UP_TIMEOUT = 300.0
METRIC = "metrics/web1.example.com/cimaa/load/load1"


def free_range(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(20_000, 60_000 - count)
        if all(port_free(port) for port in range(first, first + count)):
            return first
    raise AssertionError(f"no {count} consecutive free ports")


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    var: Path
    output: Path
    port: int
    first_port: int

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def ports(self) -> list[int]:
        return [self.port, *range(self.first_port, self.first_port + len(SERVICES))]

    def logs(self) -> str:
        parts = [f"--- demo output (end)\n{self.text()[-3000:]}"]
        for log in sorted((self.var / "log").glob("*.log")):
            parts.append(f"--- {log.name} (end)\n{log.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)


def start_demo(root: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    output = root / "demo.out"
    argv = [sys.executable, "-m", "graphmetrics.demo.cluster", "--var-dir", str(root / "var")]
    with output.open("wb") as out:
        proc = subprocess.Popen(
            [*argv, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=harness.env(),
            cwd=harness.REPO,
            start_new_session=True,
        )
    return proc, output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo-cluster")
    port, first = harness.free_port(), free_range(len(SERVICES))
    args = ("--port", str(port), "--first-port", str(first), "--backfill-hours", "1")
    proc, output = start_demo(root, *args)
    running = Demo(proc, root / "var", output, port, first)
    try:
        harness.wait_until(
            lambda: "cluster demo is up" in running.text() or proc.poll() is not None,
            UP_TIMEOUT,
            "the demo's URL",
        )
        assert proc.poll() is None, running.logs()
        yield running
    finally:
        if proc.poll() is None:  # the last test stops it; this is for a failure
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def recent(path: Path) -> bool:
    """Samples of the last ten minutes in ``path``: live ones, past the backfill."""
    return path.exists() and int(rrdtool.info(str(path))["last_update"]) > time.time() - 600


def signed_in(port: int) -> engines.Client:
    client = engines.Client()
    assert client.send(port, "GET", "/login?user=demo").status == 302
    return client


def test_the_url_and_the_dev_login_are_printed(demo: Demo) -> None:
    text = demo.text()
    assert f"through haproxy: http://127.0.0.1:{demo.port}/\n" in text
    assert f"sign in (development login): http://127.0.0.1:{demo.port}/login?user=demo" in text
    ini = (demo.var / "cluster.ini").read_text()
    # the reader backend is set in one marked place (local files for now)
    assert ini.count(">>> web reader backend") == 1 and ini.count("\nrrd_dir = ") == 2


def test_a_render_through_haproxy_shows_what_a_kcl_worker_wrote(demo: Demo) -> None:
    path = demo.var / "rrd" / f"{METRIC}.rrd"
    dynamodb = f"http://127.0.0.1:{demo.first_port + SERVICES.index('moto')}"

    def checkpointed() -> bool:
        table = harness.leases(dynamodb, APPLICATION).values()
        owners = {lease.get("leaseOwner") for lease in table}
        numbers = [lease.get("checkpoint", "") for lease in table]
        return owners <= {"kcl-1", "kcl-2"} and any(n.isdigit() for n in numbers)

    try:
        harness.wait_until(checkpointed, 120, "a KCL worker's checkpoint in DynamoDB")
        # live samples, past the backfill: written by a worker within the last minutes
        harness.wait_until(lambda: recent(path), 120, f"{path} written by a worker")
    except AssertionError:
        raise AssertionError(f"{harness.leases(dynamodb, APPLICATION)}\n{demo.logs()}") from None
    # over the storage node's TCP write socket, as from another host: a relative path
    node = f"127.0.0.1:{demo.first_port + SERVICES.index('rrdcached-write')}"
    processor_logs = [demo.var / "log" / f"kcl-{n}.processors.log" for n in (1, 2)]
    created = f"created {METRIC}.rrd on rrdcached {node}"
    assert any(created in log.read_text() for log in processor_logs)

    client = signed_in(demo.port)
    answer = client.send(demo.port, "GET", f"/render?series={METRIC}:data&start=-2h&format=json")
    assert answer.status == 200, answer.text
    rows = answer.json()["rows"]
    values = [value for _, value in rows if value is not None]
    assert len(values) >= 12, rows  # the backfill's 5-minute samples, at least
    assert all(0 < value < 100 for value in values)
    # the same values as the storage node's file
    (start, _, step), _, stored = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(rows[0][0] - 300), "-e", str(rows[-1][0])
    )
    from_file = {start + step * (i + 1): row[0] for i, row in enumerate(stored)}
    for stamp, value in rows:
        if value is not None:
            assert from_file.get(stamp) == pytest.approx(value), stamp


def test_the_starter_dashboards_are_served_through_haproxy(demo: Demo) -> None:
    client = signed_in(demo.port)
    for section in ("metrics", "tracelog"):
        page = client.send(demo.port, "GET", f"/api/pages/{section}/demo/default")
        assert page.status == 200, page.text
        assert page.json()["graphs"], (section, page.text)
    for web in (demo.first_port, demo.first_port + 1):
        assert engines.request(web, "GET", "/healthz").status == 200


def test_the_storage_node_s_tcp_socket_only_reads(demo: Demo) -> None:
    """The web tier's socket: reads answered, writes refused (rrdcached's -P)."""
    address = f"127.0.0.1:{demo.first_port + SERVICES.index('rrdcached-read')}"
    path = f"{METRIC}.rrd"  # relative to the storage node's folder, as over TCP
    assert cached.command(address, "PING") == "0 PONG"
    status, last = cached.command(address, f"LAST {path}").split()
    assert status == "0" and int(last) > time.time() - 3600
    create = "CREATE x.rrd -s 300 DS:d:GAUGE:600:U:U RRA:LAST:0.5:1:10"
    for write in (f"UPDATE {path} N:1", create):
        assert cached.command(address, write) == "-1 Permission denied."
    assert not (demo.var / "rrd" / "x.rrd").exists()


def test_ctrl_c_stops_everything_and_removes_the_postgres_folder(demo: Demo) -> None:
    found = re.search(r"PostgreSQL data in (\S+) \(removed on exit\)", demo.text())
    assert found, demo.text()
    pg_root = Path(found[1])
    assert (pg_root / "data" / "PG_VERSION").is_file()
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(120) == 0, demo.logs()
    assert not pg_root.exists()
    # nothing listens any more (a bind could still fail: connections in TIME_WAIT)
    assert [port for port in demo.ports() if harness.listening(port)] == []
    assert not (demo.var / "rrdcached.sock").exists()


@pytest.mark.parametrize("what", ["port", "java"])
def test_a_bad_setup_exits_2_naming_what_to_fix(tmp_path: Path, what: str) -> None:
    first = free_range(len(SERVICES))
    args = ["--first-port", str(first), "--var-dir", str(tmp_path / "var")]
    env = harness.env()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        if what == "java":
            port = harness.free_port()
            env["PATH"] = str(tmp_path)  # no java there
        argv = [sys.executable, "-m", "graphmetrics.demo.cluster", "--port", str(port), *args]
        done = subprocess.run(
            argv, env=env, cwd=harness.REPO, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    expected = {
        "port": f"port {port} (haproxy (--port)) on 127.0.0.1 is in use",
        "java": "Java not found ('java'): install Java 17",
    }[what]
    assert expected in done.stderr
    assert not (tmp_path / "var" / "cluster.ini").exists()
