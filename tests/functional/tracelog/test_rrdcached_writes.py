"""Through rrdcached, minutes lost behind its back (another process holds the file's
lock when rrdcached writes; FLUSH still answers success) are found from the file's own
last update, kept and retried; the state is not saved past them, and once the lock is
gone every minute is in the file once (issue #9 item 3)."""

from __future__ import annotations

from pathlib import Path

import rrdtool

from tests.disk import locked_by_another_process
from tests.functional.tracelog.conftest import Daemon, collector_cmd, known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request
from tests.helpers import wait_for
from tests.rrdcached import running_rrdcached

A1 = "app1 acme inst1"
KEEPING = "keeping 1 samples of tracelog/app1__acme__inst1 to retry"


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def minute(m: int) -> list[str]:
    """One request in minute 10:0m, and a later record that ends minute 10:0(m-1)."""
    return request(A1, m, f"2024-05-01 10:0{m}", 1, 0, 1.0)


def file_last(path: Path) -> int:
    """The file's own last update (INFO reads the file; LAST would ask rrdcached)."""
    return int(rrdtool.info(str(path))["last_update"]) if path.exists() else 0


def rows(rrd_dir: Path) -> dict[int, tuple[float | None, ...]]:
    path = rrd_dir / "tracelog" / "app1__acme__inst1.rrd"
    return known(minutes(path, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:09")))


def test_minutes_lost_behind_rrdcached_are_kept_retried_and_written_once(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    logs, rrds = dirs
    log = logs / "t.log"
    state = rrds / ".state" / "tracelog.json"
    rrd = rrds / "tracelog" / "app1__acme__inst1.rrd"
    with running_rrdcached(rrds, tmp_path) as address:
        args = ["--rrdcached", address, "--idle-flush", "0", "--poll-interval", "0.2"]
        args += ["--checkpoint-interval", "0.2", "--status-interval", "0.5"]
        daemon = Daemon(collector_cmd(logs, rrds, *args), tmp_path / "d.log")
        append(log, minute(0) + minute(1))
        daemon.start()
        try:
            wait_for(
                lambda: file_last(rrd) == epoch("2024-05-01 10:01") and state.exists(),
                what="10:00 written and the state saved",
            )
            saved = state.read_text()

            with locked_by_another_process(rrd):
                append(log, minute(2))  # ends 10:01, which rrdcached then loses
                daemon.wait_log(KEEPING)
                assert "lack samples rrdcached accepted" in daemon.log()
                wait_for(lambda: "unverified=1" in daemon.log(), what="the counter")
                assert state.read_text() == saved
            assert file_last(rrd) == epoch("2024-05-01 10:01")
            wait_for(
                lambda: file_last(rrd) == epoch("2024-05-01 10:02") and state.read_text() != saved,
                timeout=20,
                what="the kept minute written and the state saved",
            )

            # an obstacle lasting until the stop: exit 1, the state not saved past it
            saved = state.read_text()
            kept = daemon.log().count(KEEPING)
            with locked_by_another_process(rrd):
                append(log, minute(3))
                wait_for(lambda: daemon.log().count(KEEPING) > kept, what="kept again")
                assert daemon.terminate() == 1
            assert state.read_text() == saved
            assert "the next run reads those lines again" in daemon.log()
        finally:
            daemon.stop()

        again = run_once(logs, rrds, "--rrdcached", address)
        assert "failed_files=0 write_retries=0" in again.stderr and "unverified=0" in again.stderr

    reference = tmp_path / "reference"
    run_once(logs, reference)
    assert rows(rrds) == rows(reference)
    assert len(rows(rrds)) == 3  # 10:00 to 10:02; 10:03 waits for a later record
