"""``make demo-cluster``: a graphmetrics cluster on one machine, under supervisord.

    python -m graphmetrics.demo.cluster [--port 8080] [--first-port 17500] [--var-dir var/cluster]

Starts, on 127.0.0.1: kinesis-local (Kinesis) and moto server (DynamoDB), two KCL
workers (``graphmetrics-kcl``) sharing the stream's shards, one rrdcached storage
node (a unix socket for the tracelog collector on it, a TCP write socket for the KCL
workers, as from other hosts, a read-only TCP socket for the web tier), the tracelog
collector, two web processes sharing a PostgreSQL server (its
data in a temporary folder), haproxy in front of them, and the demo load
(etc/supervisor/demo.conf, as ``make demo``).  Prints the URL through haproxy once
it answers; Ctrl-C stops everything and removes the PostgreSQL folder.

The ports: ``--port`` for haproxy, the others from ``--first-port`` up (see
:data:`SERVICES`).  The configuration it writes, GM_VAR/cluster.ini, has one
``[app:main]`` for both web processes and one ``[graphmetrics]`` for the collectors.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graphmetrics.collect.kcl_daemon import SetupError as KCLSetupError
from graphmetrics.collect.kcl_daemon import find_jars, find_java
from graphmetrics.demo import engines
from graphmetrics.demo.engines import SetupError
from graphmetrics.demo.seed import seed_when_data_arrives

STREAM = "graphmetrics-demo"
APPLICATION = "graphmetrics-demo"
#: The services on ports from --first-port up, in this order.
SERVICES = ("web1", "web2", "postgres", "kinesis-local", "kinesis-local-tls", "moto",
            "rrdcached-read", "rrdcached-write")  # fmt: skip
DEV_USER = "demo"


@dataclass(frozen=True)
class Ports:
    haproxy: int
    web1: int
    web2: int
    postgres: int
    kinesis: int
    kinesis_tls: int
    moto: int
    rrdcached_read: int
    rrdcached_write: int

    @classmethod
    def from_first(cls, haproxy: int, first: int) -> Ports:
        return cls(haproxy, *range(first, first + len(SERVICES)))

    def named(self) -> dict[str, int]:
        """Each port by what uses it, with the option that moves it."""
        named = {"haproxy (--port)": self.haproxy}
        values = (self.web1, self.web2, self.postgres, self.kinesis, self.kinesis_tls, self.moto,
                  self.rrdcached_read, self.rrdcached_write)  # fmt: skip
        for service, port in zip(SERVICES, values, strict=True):
            named[f"{service} (--first-port)"] = port
        return named


CLUSTER_INI = """\
# Written by `make demo-cluster` (python -m graphmetrics.demo.cluster); rewritten on
# every start.  [app:main]: both web processes; [graphmetrics]: the KCL workers and the
# tracelog collector.

[app:main]
use = egg:graphmetrics
db_url = {db_url}
# two processes behind haproxy: one auth_secret for both (cookies signed by one are
# valid on the other), the pool sized for waitress's threads
web_processes = 2
auth_secret = {auth_secret}
db_pool_size = 4
db_max_overflow = 4
dev_login = true
static_max_age = 0
# >>> web reader backend: the ONE place that says where the web processes read RRDs.
# Through the storage node's read-only TCP socket (relative paths): the web tier needs
# no disk of its own (docs/deployment.md); rrd_dir is required but not read then.
# On one machine, reader = local with an empty rrdcached reads the folder directly.
reader = rrdcached
rrdcached = 127.0.0.1:{rrdcached_read}
rrd_dir = {rrd_dir}
# <<< web reader backend

[graphmetrics]
# The KCL workers write over the storage node's TCP write socket, as from another host
# (paths relative to its folder; rrd_dir is not read then).  The tracelog collector
# runs on the node and uses its unix socket (--rrdcached in etc/supervisor/cluster.conf).
rrd_dir = {rrd_dir}
rrdcached = 127.0.0.1:{rrdcached_write}
# graphmetrics-kcl (both workers; --worker-id on their command lines)
stream = {stream}
application_name = {application}
endpoint_url = http://127.0.0.1:{kinesis}
dynamodb_endpoint_url = http://127.0.0.1:{moto}
region = us-east-1
failover_time = 10
# graphmetrics-tracelog: the files syslog-ng would write on the storage node
log_dir = {log_dir}
state_dir = {state_dir}

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:6543
threads = 4

[loggers]
keys = root, graphmetrics

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_graphmetrics]
level = INFO
handlers =
qualname = graphmetrics

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)s [%(name)s] %(message)s
"""


def check_setup(root: Path, ports: Ports) -> Path:
    """Everything the cluster needs, before anything starts; returns kinesis-local's
    folder.  A :class:`SetupError` names what to fix."""
    engines.check_ports(ports.named())
    try:
        find_java("java")
        find_jars(None)
    except KCLSetupError as exc:
        raise SetupError(f"{exc} (make install-cluster installs both)") from exc
    engines.require_program("haproxy", "haproxy", "apt-get install haproxy")
    engines.require_program("rrdcached", "rrdcached", "apt-get install rrdcached")
    engines.require_program("node", "Node.js", "apt-get install nodejs npm")
    if not (engines.PG_BIN / "postgres").is_file():
        raise SetupError(f"PostgreSQL 15 not found ({engines.PG_BIN}): apt-get install postgresql")
    if os.geteuid() == 0:
        engines.require_program("runuser", "runuser", "apt-get install util-linux")
    for program, fix in (("supervisord", "make install"), ("moto_server", "make demo-cluster")):
        if not (Path(sys.executable).parent / program).is_file():
            raise SetupError(f"{program} not found in {Path(sys.executable).parent}: {fix}")
    return engines.kinesis_local_dir(root)


def write_config(var: Path, ports: Ports, db_url: str) -> Path:
    ini = var / "cluster.ini"
    ini.write_text(
        CLUSTER_INI.format(
            db_url=db_url,
            auth_secret=secrets.token_urlsafe(24),
            rrd_dir=var / "rrd",
            rrdcached_read=ports.rrdcached_read,
            rrdcached_write=ports.rrdcached_write,
            stream=STREAM,
            application=APPLICATION,
            kinesis=ports.kinesis,
            moto=ports.moto,
            log_dir=var / "tracelog",
            state_dir=var / "state" / "tracelog",
        )
    )
    return ini


def cluster_environment(
    root: Path, var: Path, pg_root: Path, ports: Ports, kinesis_local: Path, hours: float
) -> dict[str, str]:
    """supervisord's environment: the GM_* variables etc/supervisor/cluster.conf and
    demo.conf use; no GRAPHMETRICS_* but the load generators' two (the rest is in
    cluster.ini, so the caller's environment cannot change it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPHMETRICS_", "AWS_"))}
    postgres = engines.as_postgres(
        [str(engines.PG_BIN / "postgres"), "-D", str(pg_root / "data")]
        + shlex.split(engines.postgres_options(pg_root, ports.postgres))
    )
    rrdcached = engines.rrdcached_command(
        var / "rrd", var / "journal", var / "rrdcached.pid", var / "rrdcached.sock",
        ports.rrdcached_read, write_port=ports.rrdcached_write,
    )  # fmt: skip
    env.update(
        GM_ROOT=str(root),
        GM_BIN=str(Path(sys.executable).parent),
        GM_VAR=str(var),
        GM_CONFIG=str(var / "cluster.ini"),
        GM_POSTGRES_COMMAND=shlex.join(postgres),
        GM_RRDCACHED_COMMAND=shlex.join(rrdcached),
        GM_MOTO_COMMAND=shlex.join(engines.moto_command(ports.moto)),
        GM_HAPROXY_COMMAND=shlex.join(engines.haproxy_command(var / "haproxy.cfg")),
        GM_KINESIS_LOCAL_DIR=str(kinesis_local),
        GM_KINESIS_PORT=str(ports.kinesis),
        GM_KINESIS_TLS_PORT=str(ports.kinesis_tls),
        GM_WEB1_PORT=str(ports.web1),
        GM_WEB2_PORT=str(ports.web2),
        GM_BACKFILL_HOURS=str(hours),
        GRAPHMETRICS_STREAM=STREAM,
        GRAPHMETRICS_LOG_DIR=str(var / "tracelog"),
        # moto and kinesis-local accept any credentials; these never leave this machine
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def prepare(var: Path, ports: Ports) -> None:
    for sub in ("log", "rrd", "journal", "tracelog", "state/tracelog"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    for stale in ("rrdcached.sock", "rrdcached.pid"):
        (var / stale).unlink(missing_ok=True)
    config = engines.haproxy_config(ports.haproxy, [ports.web1, ports.web2], var / "haproxy.sock")
    (var / "haproxy.cfg").write_text(config)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m graphmetrics.demo.cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8080, help="haproxy's port: the URL to open")
    parser.add_argument(
        "--first-port",
        type=int,
        default=17500,
        help=f"first of {len(SERVICES)} ports for the services behind it ({', '.join(SERVICES)})",
    )
    parser.add_argument("--var-dir", type=Path, default=None, help="state (default var/cluster)")
    parser.add_argument("--backfill-hours", type=float, default=24.0, help="tracelog history")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ports = Ports.from_first(args.port, args.first_port)
    try:
        root = engines.repo_root()
        kinesis_local = check_setup(root, ports)
        var = (args.var_dir or root / "var" / "cluster").resolve()
        prepare(var, ports)
        pg_root = Path(tempfile.mkdtemp(prefix="graphmetrics-demo-pg-"))
    except SetupError as exc:
        print(f"make demo-cluster: {exc}", file=sys.stderr)
        return 2
    try:
        engines.init_postgres(pg_root)
        db_url = engines.postgres_url(ports.postgres)
        write_config(var, ports, db_url)
        env = cluster_environment(root, var, pg_root, ports, kinesis_local, args.backfill_hours)
        return supervise(root, var, env, ports, db_url, pg_root)
    except SetupError as exc:
        print(f"make demo-cluster: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(pg_root, ignore_errors=True)


def supervise(
    root: Path, var: Path, env: dict[str, str], ports: Ports, db_url: str, pg_root: Path
) -> int:
    supervisor = engines.Supervisor(root / "etc" / "demo-cluster-supervisord.conf", env)
    alive = supervisor.alive
    url = f"http://127.0.0.1:{ports.haproxy}/"
    # JVMs, PostgreSQL and the schema migration first: give a busy machine time
    if engines.wait_for_http(url + "healthz", alive, timeout=180, ok=(200,)):
        # the KCL workers take a while to get their leases (JVM start, the leader's rounds)
        seed_when_data_arrives(var / "rrd", db_url, alive, timeout=180)
        print(
            f"\ngraphmetrics cluster demo is up, through haproxy: {url}\n"
            f"  sign in (development login): {url}login?user={DEV_USER}\n"
            f"  graph builder for metrics:    {url}metrics/\n"
            f"  web processes: 127.0.0.1:{ports.web1} and :{ports.web2}; KCL workers kcl-1, "
            f"kcl-2 (leases in DynamoDB at 127.0.0.1:{ports.moto})\n"
            f"  configuration {var / 'cluster.ini'}; logs under {var / 'log'}\n"
            f"  PostgreSQL data in {pg_root} (removed on exit); Ctrl-C stops everything\n",
            flush=True,
        )
    elif alive():
        print(f"haproxy did not answer on {url}: see {var / 'log'}", file=sys.stderr)
        supervisor.stop()
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
