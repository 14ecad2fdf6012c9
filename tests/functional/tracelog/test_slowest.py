"""The slowest requests through the real collector (``--once``): stored beside the RRDs,
query strings cut, the same minutes not stored again when the input is read again,
old days not stored, none with ``--slowest 0``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from graphmetrics.tracelog.slowest import describe_stored
from tests.functional.tracelog.conftest import run_once
from tests.functional.tracelog.tracelog_lines import request

A1 = "app1 acme inst1"
STEM = "app1__acme__inst1"


def minute_text(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def write_log(logs: Path, first: int) -> None:
    """Five requests in the minute ``first`` (busy 0.1 .. 0.5 s, URL /x?q), one in the
    next, and a record two minutes on that closes both."""
    lines = []
    for rid in range(1, 6):
        lines += request(A1, rid, minute_text(first), 10 * rid, wait=0.01, busy=0.1 * rid)
    lines += request(A1, 6, minute_text(first + 60), 5, wait=0.01, busy=2.0)
    lines.append(f"{A1} : B 99 {minute_text(first + 120)}:00.000000 GET /")
    (logs / "t.log").write_text("".join(line + "\n" for line in lines))


def stored(rrds: Path) -> list[dict[str, Any]]:
    folder = rrds / "slowest" / STEM
    lines = [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.open()]
    return [{"t": line["t"], "requests": [describe_stored(r) for r in line["r"]]} for line in lines]


def test_stored_once_whatever_the_replays(dirs: tuple[Path, Path]) -> None:
    logs, rrds = dirs
    first = int(time.time()) // 60 * 60 - 3600
    write_log(logs, first)
    run_once(logs, rrds, "--slowest", "3")
    lines = stored(rrds)
    assert [line["t"] for line in lines] == [first, first + 60]
    requests = lines[0]["requests"]
    assert isinstance(requests, list)
    assert [r["id"] for r in requests] == ["5", "4", "3"]
    assert {(r["method"], r["url"], r["status"], r["size"]) for r in requests} == {
        ("GET", "/x", "200", 12)
    }
    assert requests[0]["app"] == 0.5 and requests[0]["wait"] == 0.011  # B -> C
    before = {p: p.read_bytes() for p in (rrds / "slowest").rglob("*.jsonl")}
    # the state lost (moved away): everything is read again, nothing stored twice
    (rrds / ".state" / "tracelog.json").unlink()
    run_once(logs, rrds, "--slowest", "3")
    assert {p: p.read_bytes() for p in (rrds / "slowest").rglob("*.jsonl")} == before


def test_days_past_the_retention_and_none(tmp_path: Path) -> None:
    for name, args, expected in (
        ("old", ("--slowest-days", "2"), False),
        ("none", ("--slowest", "0"), False),
        ("kept", ("--slowest-days", "5"), True),
    ):
        logs, rrds = tmp_path / name / "logs", tmp_path / name / "rrd"
        logs.mkdir(parents=True)
        write_log(logs, int(time.time()) // 60 * 60 - 3 * 86400)
        run_once(logs, rrds, *args)
        assert (rrds / "tracelog" / f"{STEM}.rrd").exists()
        assert bool(stored(rrds)) is expected, name
