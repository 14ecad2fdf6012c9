"""The engines a graphmetrics cluster runs on, as one machine starts them: PostgreSQL
in a folder of its own, haproxy in front of the web processes, an rrdcached storage
node, moto server (DynamoDB) and kinesis-local (Kinesis).

``make demo-cluster`` (:mod:`graphmetrics.demo.cluster`) and the cluster tests
(tests/functional/cluster) build their command lines and configuration here, so the
demo runs what the tests check.  Everything binds 127.0.0.1, except kinesis-local,
which has no host option and binds every interface.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: rrdcached commands each socket of a storage node accepts (SCALEOUT: ``-P`` applies to
#: the ``-l`` options after it).  The read-only socket is the web tier's.
#: FORGET too: after a write the daemon lost, the writer drops its cache entry of the file
#: (docs/storage.md, "Writes through rrdcached").
WRITE_COMMANDS = "UPDATE,CREATE,BATCH,FLUSH,FORGET,FETCH,INFO,LAST,FIRST,LIST,PING,STATS"
READ_COMMANDS = "FLUSH,FETCH,INFO,LAST,FIRST,LIST,PING,STATS"


class SetupError(RuntimeError):
    """Something the engines need is missing or taken; the message says what to fix."""


class Supervisor:
    """supervisord in the foreground on ``conf``, for a demo: SIGINT (Ctrl-C) and SIGTERM
    to this process stop it, and with it everything it started."""

    def __init__(self, conf: Path, env: Mapping[str, str]) -> None:
        supervisord = Path(sys.executable).parent / "supervisord"
        self.proc = subprocess.Popen([str(supervisord), "-n", "-c", str(conf)], env=dict(env))
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)

    def stop(self, signum: int = signal.SIGTERM, frame: object = None) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self) -> int:
        return self.proc.wait()


def repo_root() -> Path:
    """The checkout holding etc/ and node_modules/ (the package is installed in place)."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (candidate / "etc" / "demo-supervisord.conf").is_file():
            return candidate
    raise SetupError("run the demo from the graphmetrics checkout (etc/demo-supervisord.conf)")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_ports(ports: Mapping[str, int]) -> None:
    """Every port free on 127.0.0.1; ``ports`` maps what uses it (the option that sets
    it) to the port."""
    taken = [f"{port} ({what})" for what, port in ports.items() if not port_free(port)]
    if len(set(ports.values())) != len(ports):
        raise SetupError(f"two services share a port: {dict(ports)}")
    if taken:
        raise SetupError(
            f"port {', '.join(taken)} on 127.0.0.1 is in use: stop what uses it or pick "
            "another port"
        )


def require_program(path: str, what: str, fix: str) -> str:
    found = shutil.which(path)
    if found is None:
        raise SetupError(f"{what} not found ({path}): {fix}")
    return found


def wait_for_http(
    url: str, alive: Callable[[], bool], timeout: float, ok: tuple[int, ...] = ()
) -> bool:
    """Poll ``url`` until it answers (with a status in ``ok``, if given) while
    ``alive()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if not ok or response.status in ok:
                    return True
        except urllib.error.HTTPError as exc:
            if not ok or exc.code in ok:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


# -- PostgreSQL ------------------------------------------------------------------------


def as_postgres(argv: list[str]) -> list[str]:
    """``initdb`` and ``postgres`` refuse to run as root: as root, run as ``postgres``."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def init_postgres(root: Path) -> Path:
    """A new database cluster in ``root``/data (trust authentication), ``root`` owned by
    the user the server runs as; returns the data folder."""
    initdb = PG_BIN / "initdb"
    if not initdb.is_file():
        raise SetupError(f"PostgreSQL 15 not found ({initdb}): apt-get install postgresql")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    argv = [str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
    argv += ["--no-sync", "--locale=C.UTF-8"]
    done = subprocess.run(as_postgres(argv), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SetupError(f"initdb failed in {root}: {done.stdout}{done.stderr}")
    return data


def postgres_options(root: Path, port: int) -> str:
    """Server options: 127.0.0.1 only, its socket in ``root``, no fsync (throw-away data)."""
    return f"-k {root} -h 127.0.0.1 -p {port} -F -c max_connections=60"


def postgres_url(port: int, database: str = "postgres") -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


# -- haproxy ---------------------------------------------------------------------------

HAPROXY_CFG = """\
global
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s

frontend graphmetrics
    bind 127.0.0.1:{port}
    http-request del-header Forwarded
    http-request del-header X-Forwarded-For
    http-request del-header X-Forwarded-Host
    http-request del-header X-Forwarded-Port
    http-request set-header X-Forwarded-Proto http
    option forwardfor
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    default-server inter {check_interval} fall 2 rise 1
{servers}
"""


def haproxy_config(
    port: int, web_ports: list[int], stats_socket: Path, check_interval: str = "1s"
) -> str:
    """haproxy in front of ``web_ports`` (servers web1, web2...), checking ``/healthz``
    (the production file is etc/haproxy.cfg)."""
    servers = "\n".join(
        f"    server web{n} 127.0.0.1:{p} check" for n, p in enumerate(web_ports, start=1)
    )
    return HAPROXY_CFG.format(
        port=port, servers=servers, stats_socket=stats_socket, check_interval=check_interval
    )


def haproxy_command(config: Path) -> list[str]:
    return ["haproxy", "-f", str(config), "-db"]


# -- rrdcached storage node ------------------------------------------------------------


def rrdcached_command(
    rrd_dir: Path,
    journal: Path,
    pid_file: Path,
    write_socket: Path,
    read_port: int,
    write_port: int | None = None,
    host: str = "127.0.0.1",
) -> list[str]:
    """A storage node's rrdcached in the foreground: full access on the unix socket
    ``write_socket`` (and on ``host:write_port`` for writers on other hosts), the read
    commands only on ``host:read_port``.  TCP has no authentication: private network."""
    argv = ["rrdcached", "-g", "-B", "-R", "-O", "-b", str(rrd_dir), "-j", str(journal)]
    argv += ["-p", str(pid_file), "-F", "-w", "300", "-z", "150", "-f", "900", "-t", "4"]
    argv += ["-P", WRITE_COMMANDS, "-l", f"unix:{write_socket}"]
    if write_port is not None:
        argv += ["-P", WRITE_COMMANDS, "-l", f"{host}:{write_port}"]
    argv += ["-P", READ_COMMANDS, "-l", f"{host}:{read_port}"]
    return argv


# -- moto server and kinesis-local -----------------------------------------------------


def moto_command(port: int) -> list[str]:
    return [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]


def kinesis_local_dir(root: Path) -> Path:
    folder = root / "node_modules" / "kinesis-local"
    if not (folder / "main.js").is_file():
        raise SetupError("kinesis-local is not installed: run `npm install` at the checkout")
    return folder


def kinesis_local_env(port: int, tls_port: int, log_level: str = "WARN") -> dict[str, str]:
    """kinesis-local's settings (started as ``node main.js`` in its package folder, where
    it reads server.json): streams and reshards complete at once."""
    durations = ("CREATE_STREAM", "DELETE_STREAM", "SPLIT_SHARD", "MERGE_SHARDS")
    values = {f"{name}_DURATION": "0ms" for name in durations}
    values.update(
        KINESIS_MOCK_PLAIN_PORT=str(port), KINESIS_MOCK_TLS_PORT=str(tls_port), LOG_LEVEL=log_level
    )
    return values
