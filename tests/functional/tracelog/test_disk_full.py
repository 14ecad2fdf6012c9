"""A full disk loses nothing and counts nothing twice: minutes that cannot be written
are kept, the state is not saved past them, and the next run writes them."""

from __future__ import annotations

from pathlib import Path

from graphmetrics.rrd.schema import POOL
from tests.disk import small_disk
from tests.functional.tracelog.conftest import known, minutes, run_once
from tests.functional.tracelog.tracelog_lines import epoch, request

A1 = "app1 acme inst1"
A2 = "app2 acme inst2"


def lines_for(instance: str, minute: str, count: int, first_id: int) -> list[str]:
    out: list[str] = []
    for i in range(count):
        out += request(instance, first_id + i, minute, 2 * i, wait=0.0, busy=0.5)
    return out


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def rows(rrd_dir: Path, instance: str) -> dict[int, tuple[float | None, ...]]:
    path = rrd_dir / "tracelog" / (instance.replace(" ", "__") + ".rrd")
    return known(minutes(path, epoch("2024-05-01 10:00"), epoch("2024-05-01 10:10")))


def pool_rows(rrd_dir: Path) -> dict[int, tuple[float | None, ...]]:
    start, end = epoch("2024-05-01 10:00"), epoch("2024-05-01 10:10")
    return known(minutes(rrd_dir / "pool" / "acme.rrd", start, end, ds=POOL.data_sources))


def test_full_disk_then_space_again_gives_every_minute_once(tmp_path: Path) -> None:
    first = lines_for(A1, "2024-05-01 10:00", 3, 1) + lines_for(A1, "2024-05-01 10:01", 2, 10)
    second = lines_for(A1, "2024-05-01 10:02", 4, 20) + lines_for(A2, "2024-05-01 10:02", 5, 1)
    second += lines_for(A1, "2024-05-01 10:03", 1, 40) + lines_for(A2, "2024-05-01 10:03", 1, 40)

    # The reference: every line in one run on a roomy disk.
    ref_logs, ref_rrds = tmp_path / "ref-logs", tmp_path / "ref-rrd"
    ref_logs.mkdir()
    append(ref_logs / "a.log", first + second)
    run_once(ref_logs, ref_rrds)

    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    # a tracelog file (18 data sources) is about 4 MB, the customer's pool file 3.2 MB:
    # room for all three when not filled
    with small_disk(tmp_path / "disk", size="13m") as disk:
        rrds = disk.path
        append(logs / "a.log", first)
        run_once(
            logs, rrds, "--state-dir", str(state), "--min-free-disk", "0"
        )  # inst1's file exists now

        append(logs / "a.log", second)
        disk.fill()  # inst1 updates in place; inst2's new file cannot be created
        full = run_once(logs, rrds, "--state-dir", str(state), "--min-free-disk", "0", returncode=1)
        assert "keeping 1 samples of tracelog/app2__acme__inst2 to retry" in full.stderr
        assert "the next run reads those lines again" in full.stderr
        assert not (rrds / "tracelog" / "app2__acme__inst2.rrd").exists()

        disk.free()
        again = run_once(logs, rrds, "--state-dir", str(state), "--min-free-disk", "0")
        assert "failed_files=0 write_retries=0" in again.stderr
        for instance in (A1, A2):
            assert rows(rrds, instance) == rows(ref_rrds, instance), instance
        assert pool_rows(rrds) == pool_rows(ref_rrds)
        assert rows(rrds, A2)  # not vacuous: inst2 has its minutes


#: The creation journal would be on the full disk too (then the minutes are held).
NO_CAP = ("--max-new-files-per-minute", "0")


def test_state_that_cannot_be_saved_is_saved_by_the_next_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    first = lines_for(A1, "2024-05-01 10:00", 3, 1)
    second = lines_for(A1, "2024-05-01 10:01", 2, 10) + lines_for(A1, "2024-05-01 10:02", 1, 20)
    rrds = tmp_path / "rrd"
    with small_disk(tmp_path / "disk", size="64k") as disk:
        state = disk.path  # only the state is on the small disk
        append(logs / "a.log", first)
        run_once(logs, rrds, "--state-dir", str(state), "--min-free-disk", "0", *NO_CAP)
        saved = (state / "tracelog.json").read_text()

        append(logs / "a.log", second)
        disk.fill()  # the minutes are written; the new state file has no room
        full = run_once(
            logs, rrds, "--state-dir", str(state), "--min-free-disk", "0", *NO_CAP, returncode=1
        )
        assert "cannot save" in full.stderr and "retrying at the next checkpoint" in full.stderr
        assert (state / "tracelog.json").read_text() == saved
        assert not [p for p in state.iterdir() if p.name.endswith(".tmp")]

        disk.free()
        again = run_once(logs, rrds, "--state-dir", str(state), "--min-free-disk", "0", *NO_CAP)
        # 10:00 and 10:01 were written by the run whose state was not saved: re-read
        # from the older state, they are recomputed and skipped, never written twice.
        # (two minutes of inst1, two of its customer's pool)
        assert " written=0 skipped_old=4" in again.stderr
        assert (state / "tracelog.json").read_text() != saved
        assert rows(rrds, A1) == {
            epoch("2024-05-01 10:00") + 60: (3.0, 0.0, 0.0, 120.0, 0.0),
            epoch("2024-05-01 10:01") + 60: (2.0, 0.0, 0.0, 120.0, 0.0),
        }
