"""``make demo``: the whole stack on local defaults, under supervisord.

    python -m graphmetrics.demo [--port 6543] [--var-dir var] [--backfill-hours 24]

Starts supervisord with ``etc/demo-supervisord.conf``: kinesalite on 127.0.0.1, the
Kinesis and tracelog load generators, both collectors and the web app, all keeping
their files under ``var/`` (RRDs, SQLite, logs, checkpoints).  Prints the URL once
the web app answers; Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from graphmetrics.demo.engines import SetupError, Supervisor, port_free, repo_root, wait_for_http
from graphmetrics.demo.seed import seed_when_data_arrives

STREAM = "graphmetrics-demo"


def demo_environment(root: Path, var: Path, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GM_ROOT=str(root),
        GM_BIN=str(Path(sys.executable).parent),
        GM_VAR=str(var),
        GM_CONFIG=str(root / "etc" / "development.ini"),
        GM_WEB_HOST="127.0.0.1",
        GM_WEB_PORT=str(args.port),
        GM_KINESIS_PORT=str(args.kinesis_port),
        GM_BACKFILL_HOURS=str(args.backfill_hours),
        GRAPHMETRICS_CARBON_LINE_PORT=str(args.carbon_port),
        GRAPHMETRICS_CARBON_PICKLE_PORT="off",
        GRAPHMETRICS_RRD_DIR=str(var / "rrd"),
        GRAPHMETRICS_LOG_DIR=str(var / "tracelog"),
        GRAPHMETRICS_STATE_DIR=str(var / "state"),
        GRAPHMETRICS_CHECKPOINT_DIR=str(var / "checkpoints"),
        GRAPHMETRICS_DB_URL=f"sqlite:///{var / 'graphmetrics.sqlite'}",
        GRAPHMETRICS_STREAM=STREAM,
        GRAPHMETRICS_ENDPOINT_URL=f"http://127.0.0.1:{args.kinesis_port}",
        GRAPHMETRICS_REGION="us-east-1",
        # kinesalite accepts any credentials; these never leave this machine
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphmetrics.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=6543, help="web app port on 127.0.0.1")
    parser.add_argument("--kinesis-port", type=int, default=4567, help="kinesalite port")
    parser.add_argument(
        "--carbon-port", type=int, default=2003, help="carbon plaintext receiver port"
    )
    parser.add_argument("--var-dir", type=Path, default=None, help="state folder (default var/)")
    parser.add_argument("--backfill-hours", type=float, default=24.0, help="tracelog history")
    args = parser.parse_args(argv)
    try:
        root = repo_root()
    except SetupError as exc:
        raise SystemExit(str(exc)) from None
    var = (args.var_dir or root / "var").resolve()
    for port in (args.port, args.kinesis_port, args.carbon_port):
        if not port_free(port):
            print(
                f"port {port} on 127.0.0.1 is in use: stop what uses it or pick another "
                "(--port / --kinesis-port / --carbon-port)",
                file=sys.stderr,
            )
            return 2
    for sub in ("log", "rrd", "tracelog", "state", "checkpoints"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    env = demo_environment(root, var, args)
    supervisor = Supervisor(root / "etc" / "demo-supervisord.conf", env)
    alive = supervisor.alive
    url = f"http://127.0.0.1:{args.port}/"
    if wait_for_http(url, alive, timeout=60):
        seed_when_data_arrives(var / "rrd", env["GRAPHMETRICS_DB_URL"], alive)
        print(
            f"\ngraphmetrics demo is up: {url}\n"
            f"  sign in (development login): {url}login?user=demo\n"
            f"  graph builder for metrics:    {url}metrics/\n"
            f"  (user demo starts with a few graphs; any other name starts empty)\n"
            f"  logs and data under {var}; Ctrl-C stops everything\n",
            flush=True,
        )
    else:
        print(f"the web app did not answer on {url}: see {var / 'log'}", file=sys.stderr)
        supervisor.stop()
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
