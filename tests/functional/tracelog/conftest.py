"""Run the real ``graphmetrics-tracelog`` against temporary directories with real rrdtool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.schema import TRACELOG, TRACELOG_BASE_DS
from tests.helpers import wait_for

Values = tuple[float | None, ...]


def collector_cmd(log_dir: Path, rrd_dir: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "graphmetrics.cli.tracelog",
        "--log-dir",
        str(log_dir),
        "--rrd-dir",
        str(rrd_dir),
        *args,
    ]


def run_once(
    log_dir: Path, rrd_dir: Path, *args: str, returncode: int = 0
) -> subprocess.CompletedProcess[str]:
    """``--once`` over ``log_dir``, which must exit with ``returncode``."""
    result = subprocess.run(
        collector_cmd(log_dir, rrd_dir, "--once", *args),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == returncode, result.stderr
    return result


#: the original's data sources, which most tests check
BASE_DS = TRACELOG_BASE_DS
#: every data source, response times included (replays must give all of them alike)
ALL_DS = TRACELOG.data_sources


def minutes(
    rrd: Path, start: int, end: int, cf: str = "AVERAGE", ds: Sequence[str] = BASE_DS
) -> dict[int, Values]:
    """Per-minute rows (by default rpm, epm, bl, spr, start) of a tracelog RRD, keyed by
    minute end."""
    (first, _, step), names, rows = rrdtool.fetch(
        str(rrd), cf, "-r", "60", "-s", str(start - 60), "-e", str(end)
    )
    assert step == 60
    columns = [names.index(name) for name in ds]
    return {first + step * (i + 1): tuple(row[c] for c in columns) for i, row in enumerate(rows)}


def known(rows: dict[int, Values]) -> dict[int, Values]:
    return {ts: row for ts, row in rows.items() if any(v is not None for v in row)}


@dataclass
class Daemon:
    """A live collector process; its log is kept for assertions."""

    cmd: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> Daemon:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                self.cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 20) -> None:
        wait_for(lambda: text in self.log(), timeout, what=f"{text!r} in the daemon log")

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
    rrds.mkdir()
    return logs, rrds


@pytest.fixture
def daemon(tmp_path: Path, dirs: tuple[Path, Path]) -> Iterator[Daemon]:
    """A live collector with fast polling and checkpoints and no idle flushing."""
    logs, rrds = dirs
    d = Daemon(
        collector_cmd(
            logs,
            rrds,
            "--idle-flush",
            "0",
            "--poll-interval",
            "0.2",
            "--checkpoint-interval",
            "0.2",
            "--status-interval",
            "0.5",
        ),
        tmp_path / "daemon.log",
    )
    yield d
    d.stop()
