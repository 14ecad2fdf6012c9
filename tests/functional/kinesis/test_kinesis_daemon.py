"""The real ``graphmetrics-kinesis`` process on kinesalite: --once, the AWS CLI,
kill -9 and restart, SIGTERM, bad records, path escapes, rrdcached, settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rrdtool

from tests.conftest import REPO
from tests.functional.kinesis.conftest import (
    DAEMON,
    T0,
    daemon_env,
    fetch,
    put_all,
    record,
    run_once,
    series,
    summary,
)
from tests.helpers import wait_for

AWS = str(REPO / ".venv" / "bin" / "aws")


def test_aws_cli_record_is_written_once(
    kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(2)
    data = (
        '{"timestamp": "2014-12-13T16:14:47.820000", '
        '"name": "//host.example/cfg/section#metric", "value": 99, "units": "rpm"}'
    )
    # awscli v1 sends --data as it is (v2 would need --cli-binary-format raw-in-base64-out).
    put = subprocess.run(
        [AWS, "--endpoint-url", kinesalite, "kinesis", "put-record", "--stream-name", stream]
        + ["--partition-key", "host.example", "--data", data],
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert put.returncode == 0, put.stderr
    rrd, checkpoints = tmp_path / "rrd", tmp_path / "cp"
    first = summary(run_once(kinesalite, stream, rrd, checkpoints))
    assert (first["records"], first["written"], first["bad"]) == (1, 1, 0)
    path = rrd / "metrics" / "host.example" / "cfg" / "section" / "metric.rrd"
    last = rrdtool.lastupdate(str(path))
    assert last["ds"]["data"] == 99
    assert int(last["date"].timestamp()) == 1418487287
    put_result = json.loads(put.stdout)
    saved = json.loads((checkpoints / stream / f"{put_result['ShardId']}.json").read_text())
    assert saved["sequence_number"] == put_result["SequenceNumber"]
    assert len(list((checkpoints / stream).glob("*.json"))) == 1  # the empty shard needs none
    mtime = path.stat().st_mtime_ns
    second = summary(run_once(kinesalite, stream, rrd, checkpoints))
    assert (second["records"], second["written"]) == (0, 0)
    assert path.stat().st_mtime_ns == mtime


def test_bad_records_and_path_escapes_are_counted_and_skipped(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    bad = [
        b"not json",
        b'{"name": "//h#m", "value": 1}',
        b'{"timestamp": "2023-11-14T22:15:00", "name": "//h#m", "value": true}',
        b'{"timestamp": "2023-11-14T22:15:00", "name": "//h#m", "value": "12"}',
        record("//../../../escaped", T0, 1),
        record("//h/..#..", T0, 1),
        record("//h/a\x00b#m", T0, 1),
        record("//h#:", T0, 1),
    ]
    good = [record("//h#m", T0, 5), record("//h#m", T0 + 300, 6)]
    put_all(kinesis, stream, [("k", d) for d in [good[0], *bad, good[1]]])
    rrd = tmp_path / "deep" / "rrd"
    log = run_once(kinesalite, stream, rrd, tmp_path / "cp")
    counts = summary(log)
    assert (counts["records"], counts["written"], counts["bad"]) == (10, 2, 8)
    for reason, n in [("bad_name", 4), ("bad_value", 2), ("missing_timestamp", 1)]:
        assert f"{reason}: {n}" in log
    assert "not_json: 1" in log
    assert "bad record skipped (bad_name): shard shardId-000000000000 sequence number 4968" in log
    assert fetch(rrd / "metrics" / "h" / "m.rrd") == [(T0, 5.0), (T0 + 300, 6.0)]
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert [f for f in files if not f.startswith("cp/")] == ["deep/rrd/metrics/h/m.rrd"]


@pytest.fixture
def daemon_factory(
    kinesalite: str, tmp_path: Path
) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(stream: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [DAEMON, "--stream", stream, "--endpoint-url", kinesalite]
            + ["--rrd-dir", str(tmp_path / "rrd"), "--checkpoint-dir", str(tmp_path / "cp")],
            env=daemon_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def checkpointed(cp_dir: Path) -> int:
    return sum(1 for p in cp_dir.rglob("*.json")) if cp_dir.exists() else 0


def test_kill_9_and_restart_loses_nothing_and_counts_nothing_twice(
    kinesis: Any,
    kinesalite: str,
    make_stream: Callable[[int], str],
    daemon_factory: Callable[[str], subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    stream = make_stream(3)
    names = [f"web{i}" for i in range(20)]
    rrd, cp = tmp_path / "rrd", tmp_path / "cp"
    put_all(kinesis, stream, series(names, range(0, 4)))
    daemon = daemon_factory(stream)
    wait_for(lambda: checkpointed(cp) == 3, timeout=20, what="first checkpoints")
    put_all(kinesis, stream, series(names, range(4, 8)))
    first = rrd / "metrics" / names[0] / "v.rrd"
    wait_for(lambda: rrdtool.last(str(first)) >= T0 + 300 * 4, timeout=20, what="second batch")
    os.kill(daemon.pid, signal.SIGKILL)  # wherever it is: reading, writing or checkpointing
    assert daemon.wait(timeout=10) == -signal.SIGKILL
    put_all(kinesis, stream, series(names, range(8, 10)))

    run_once(kinesalite, stream, rrd, cp)
    want = {n: [(T0 + 300 * s, float(s * 100 + i)) for s in range(10)] for i, n in enumerate(names)}
    got = {n: fetch(rrd / "metrics" / n / "v.rrd") for n in names}
    assert got == want

    # A crash between the RRD write and the checkpoint means re-reading a batch: here
    # every batch, by forgetting all checkpoints.  The RRD timestamps make it a no-op.
    for path in cp.rglob("*.json"):
        path.unlink()
    mtimes = {n: (rrd / "metrics" / n / "v.rrd").stat().st_mtime_ns for n in names}
    again = summary(run_once(kinesalite, stream, rrd, cp))
    assert (again["records"], again["written"], again["skipped_old"]) == (200, 0, 200)
    assert {n: fetch(rrd / "metrics" / n / "v.rrd") for n in names} == want
    assert {n: (rrd / "metrics" / n / "v.rrd").stat().st_mtime_ns for n in names} == mtimes


def test_sigterm_finishes_the_batch_checkpoints_and_exits_0(
    kinesis: Any,
    kinesalite: str,
    make_stream: Callable[[int], str],
    daemon_factory: Callable[[str], subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    stream = make_stream(2)
    daemon = daemon_factory(stream)
    put_all(kinesis, stream, series(["a", "b"], range(3)))
    wait_for(lambda: checkpointed(tmp_path / "cp") == 2, timeout=20, what="checkpoints")
    daemon.send_signal(signal.SIGTERM)
    _, log = daemon.communicate(timeout=10)
    assert daemon.returncode == 0, log
    assert summary(log)["written"] == 6
    again = summary(run_once(kinesalite, stream, tmp_path / "rrd", tmp_path / "cp"))
    assert again["records"] == 0


def test_rrdcached_and_settings_from_config_file_and_environment(
    kinesis: Any, kinesalite: str, make_stream: Callable[[int], str], tmp_path: Path
) -> None:
    stream = make_stream(1)
    put_all(kinesis, stream, series(["c"], range(3)))
    rrd = tmp_path / "rrd"
    rrd.mkdir()
    sock = tmp_path / "rrdcached.sock"
    journal = tmp_path / "journal"
    journal.mkdir()
    cached = subprocess.Popen(
        ["rrdcached", "-g", "-l", f"unix:{sock}", "-b", str(rrd), "-B", "-j", str(journal)]
        + ["-p", str(tmp_path / "rrdcached.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(sock.exists, what="rrdcached socket")
        config = tmp_path / "graphmetrics.conf"
        config.write_text(
            f"[graphmetrics]\nrrd_dir = {rrd}\ncheckpoint_dir = %(here)s/cp\nstream = wrong\n"
        )
        proc = subprocess.run(
            [DAEMON, "--once", "--config", str(config), "--rrdcached", f"unix:{sock}"],
            env=daemon_env(
                {"GRAPHMETRICS_STREAM": stream, "GRAPHMETRICS_ENDPOINT_URL": kinesalite}
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert summary(proc.stderr)["written"] == 3
        path = rrd / "metrics" / "c" / "v.rrd"
        assert fetch(path, f"unix:{sock}") == [(T0 + 300 * s, float(s * 100)) for s in range(3)]
        assert (tmp_path / "cp" / stream / "shardId-000000000000.json").exists()
    finally:
        cached.terminate()
        cached.wait(timeout=10)


def test_unknown_stream_and_missing_options_are_clear_errors(
    kinesalite: str, tmp_path: Path
) -> None:
    args = ["--rrd-dir", str(tmp_path), "--checkpoint-dir", str(tmp_path), "--once"]
    env = daemon_env()
    missing = subprocess.run([DAEMON, *args], env=env, capture_output=True, text=True)
    assert missing.returncode == 2 and "stream is required" in missing.stderr
    unknown = subprocess.run(
        [DAEMON, *args, "--stream", "nope", "--endpoint-url", kinesalite],
        env=env,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 1
    assert "cannot list the shards of stream 'nope'" in unknown.stderr
