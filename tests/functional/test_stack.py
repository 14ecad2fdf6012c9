"""The demo stack under a real supervisord: every process starts, data flows end to end,
and SIGTERM stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from tests.helpers import free_port, wait_for


def test_demo_stack_under_supervisord(tmp_path: Path) -> None:
    web, kinesis, carbon = free_port(), free_port(), free_port()
    var = tmp_path / "var"
    out = open(tmp_path / "demo.out", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graphmetrics.demo",
            "--port",
            str(web),
            "--kinesis-port",
            str(kinesis),
            "--carbon-port",
            str(carbon),
            "--var-dir",
            str(var),
            "--backfill-hours",
            "1",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{web}"
    try:
        wait_for(
            lambda: b"demo is up" in (tmp_path / "demo.out").read_bytes(),
            timeout=90,
            what="the demo banner",
        )
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        opener.open(f"{base}/login?user=demo").close()

        def series(q: str) -> list[str]:
            with opener.open(f"{base}/series?q={q}") as resp:
                return [s["name"] for s in json.load(resp)["series"]]

        tracelog = wait_for(lambda: series("glob:tracelog/*"), timeout=90, what="tracelog RRDs")
        wait_for(lambda: series("glob:metrics/**"), timeout=90, what="metric RRDs from Kinesis")
        wait_for(
            lambda: "carbon/servers/web1/cpu/user" in series("servers.web1.cpu.user"),
            timeout=90,
            what="RRDs from the carbon receiver",
        )
        with opener.open(f"{base}/render?series={tracelog[0]}:rpm&start=-1h&format=json") as resp:
            data = json.load(resp)
        assert any(row[1] for row in data["rows"]), "the backfilled hour has requests"
        with opener.open(f"{base}/") as resp:
            assert resp.status == 200
        # the demo user starts with dashboards, and every starter graph renders
        # tracelog: 6 pool views (the customer's pool response time and apdex among
        # them), p99 compared, the first instance's response time and traffic: 9 graphs
        for section, least, most in (("tracelog", 9, 9), ("metrics", 1, 1)):
            with opener.open(f"{base}/api/pages/{section}/demo/default") as resp:
                graphs = json.load(resp)["graphs"]
            assert least <= len(graphs) <= most
            for graph in graphs:
                query = urllib.parse.urlencode(
                    {"graph": json.dumps(graph["definition"]), "trail": "1", "format": "json"}
                )
                with opener.open(f"{base}/render?{query}") as resp:
                    assert json.load(resp)["rows"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        out.close()
    log = (tmp_path / "demo.out").read_text(errors="replace")
    assert code == 0, log
    for program in ("tracelog", "kinesis", "kinesalite", "web", "carbon"):
        assert f"stopped: {program} (exit status 0)" in log
    # the tracelog collector read the generator's backfill while it was written: its
    # last status line (logged as it stops) counts no late record
    status = (var / "log" / "tracelog.log").read_text().rsplit("status:", 1)[-1]
    assert " late=0 future=0 pool_late=0 " in status, status
