"""Writes through rrdcached are confirmed from the file (issue #9 item 3).

rrdcached answers FLUSH with success when its own write failed, and LAST from its
cache: here another process holds the file's lock while rrdcached writes, so the
write is lost behind a successful flush.  The store reads ``last_update`` from the
file, hands the samples back, and writes them once the lock is gone.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.backend import EARLY_FLUSH_LINES, Rrdcached
from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore, RRDWriteError, Unverified
from tests.disk import locked_by_another_process
from tests.helpers import wait_for
from tests.rrdcached import running_rrdcached, wait_listening

T0 = 1_700_000_100


def file_last(path: Path) -> int:
    return int(rrdtool.info(str(path))["last_update"])


def values(path: Path) -> list[tuple[int, float]]:
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 600), "-e", str(T0 + 3000)
    )
    return [(start + step * (i + 1), r[0]) for i, r in enumerate(rows) if r[0] is not None]


def test_a_write_rrdcached_lost_behind_a_lock_is_handed_back_and_written_once(
    tmp_path: Path,
) -> None:
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        store = RRDStore(rrd, rrdcached=address)
        store.write("metrics/a", METRICS, [(T0, (1.0,))])
        store.write("metrics/b", METRICS, [(T0, (5.0,))])
        assert store.flush() == []
        path = rrd / "metrics/a.rrd"
        assert file_last(path) == T0

        with locked_by_another_process(path):
            # rrdcached knows the file: it accepts the update, then cannot write it
            assert store.write("metrics/a", METRICS, [(T0 + 300, (2.0,)), (T0 + 600, (3.0,))]) == 2
            store.write("metrics/b", METRICS, [(T0 + 300, (6.0,))])
            assert store.unflushed == 3  # kept until the flush has checked them
            lost = store.flush()
            assert store.unflushed == 0
            assert [(u.relative, u.samples) for u in lost] == [
                ("metrics/a", [(T0 + 300, (2.0,)), (T0 + 600, (3.0,))])
            ]
            assert "rrdcached" in lost[0].reason
            assert (store.stats.unverified, store.stats.written) == (1, 3)
        assert file_last(path) == T0  # the samples are not in the file
        assert file_last(rrd / "metrics/b.rrd") == T0 + 300

        # the lock is gone: written again, once (rrdcached no longer refuses them)
        retry: Unverified = lost[0]
        assert store.write(retry.relative, METRICS, retry.samples) == 2
        assert store.flush() == []
        assert file_last(path) == T0 + 600
        assert values(path) == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]
        assert store.stats.written == 5


def test_a_file_replaced_behind_rrdcached_is_not_taken_as_written(tmp_path: Path) -> None:
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        store = RRDStore(rrd, rrdcached=address)
        store.write("metrics/a", METRICS, [(T0, (1.0,))])
        assert store.flush() == []
        store.write("metrics/a", METRICS, [(T0 + 300, (2.0,))])
        path = rrd / "metrics/a.rrd"
        # Replaced by a copy already past the pending sample: rrdcached's write fails.
        newer = rrd / "newer.rrd"
        rrdtool.create(str(newer), "--start", str(T0 + 900), *METRICS.create_args())
        newer.replace(path)
        (lost,) = store.flush()
        assert lost.samples == [(T0 + 300, (2.0,))]
        assert "not" in lost.reason and str(T0 + 900) in lost.reason
        # Written again: the file now says those times are past, so they are skipped.
        assert store.write("metrics/a", METRICS, lost.samples) == 0
        assert store.stats.skipped_old == 1
        assert store.flush() == []


def test_without_rrdcached_flush_has_nothing_to_check(tmp_path: Path) -> None:
    store = RRDStore(tmp_path)
    store.write("metrics/a", METRICS, [(T0, (1.0,))])
    assert store.flush() == []


def test_only_the_samples_the_file_lacks_are_handed_back(tmp_path: Path) -> None:
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        backend = Rrdcached(address)
        store = RRDStore(rrd, backend=backend)
        store.write("metrics/a", METRICS, [(T0, (1.0,))])
        assert store.flush() == []
        path = rrd / "metrics/a.rrd"
        # rrdcached writes on its own timer too (once the updates reached it, in a
        # BATCH): one write goes through, one is lost
        store.write("metrics/a", METRICS, [(T0 + 300, (2.0,))])
        backend.send()
        rrdtool.flushcached("--daemon", address, str(path))
        with locked_by_another_process(path):
            store.write("metrics/a", METRICS, [(T0 + 600, (3.0,))])
            backend.send()
            rrdtool.flushcached("--daemon", address, str(path))
        (lost,) = store.flush()
        assert lost.samples == [(T0 + 600, (3.0,))]
        assert f"last update is {T0 + 300}, not {T0 + 600}" in lost.reason
        assert store.stats.written == 2  # T0 and T0 + 300 are in the file
        assert store.write("metrics/a", METRICS, lost.samples) == 1
        assert store.flush() == []
        assert values(path) == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]
        assert (store.stats.written, store.stats.skipped_old) == (3, 0)


def test_rrdcached_killed_before_the_flush_loses_nothing(tmp_path: Path) -> None:
    rrd, journal = tmp_path / "rrd", tmp_path / "journal"
    rrd.mkdir()
    journal.mkdir()
    sock = tmp_path / "rrdcached.sock"
    cmd = ["rrdcached", "-g", "-l", f"unix:{sock}", "-b", str(rrd), "-B", "-j", str(journal)]
    cmd += ["-p", str(tmp_path / "rrdcached.pid"), "-w", "3600", "-z", "1"]

    def start() -> subprocess.Popen[bytes]:
        sock.unlink(missing_ok=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(sock)
        return proc

    cached = start()
    try:
        store = RRDStore(rrd, rrdcached=f"unix:{sock}")
        store.write("metrics/a", METRICS, [(T0, (1.0,))])
        assert store.flush() == []
        store.write("metrics/a", METRICS, [(T0 + 300, (2.0,))])
        cached.kill()  # the sample is in its journal only
        cached.wait()
        (lost,) = store.flush()
        assert lost.samples == [(T0 + 300, (2.0,))]
        with pytest.raises(RRDWriteError) as down:  # kept for later, not dropped
            store.write("metrics/a", METRICS, lost.samples)
        assert down.value.transient

        cached = start()  # replays its journal into the file
        store.write("metrics/a", METRICS, lost.samples)
        assert store.flush() == []
        assert values(rrd / "metrics/a.rrd") == [(T0, 1.0), (T0 + 300, 2.0)]
    finally:
        cached.terminate()
        cached.wait(timeout=10)


def test_a_backfill_longer_than_one_rrdcached_command_line_is_all_written(
    tmp_path: Path,
) -> None:
    """librrd's client drops an update whose command line passes 4096 bytes without an
    error (rrdcached never sees it); the store sends long writes in pieces."""
    rrd = tmp_path / "rrd"
    samples = [(T0 + 300 * i, (i + 0.125,)) for i in range(1000)]  # about 17 KB of values
    with running_rrdcached(rrd, tmp_path) as address:
        store = RRDStore(rrd, rrdcached=address)
        assert store.write("metrics/deep/backfill", METRICS, samples) == 1000
        assert store.flush() == []
        path = rrd / "metrics/deep/backfill.rrd"
        assert file_last(path) == samples[-1][0]
        (start, _, step), _, rows = rrdtool.fetch(
            str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 300), "-e", str(samples[-1][0])
        )
        got = [(start + step * (i + 1), r[0]) for i, r in enumerate(rows) if r[0] is not None]
        assert got == [(t, v[0]) for t, v in samples]
        assert (store.stats.written, store.stats.unverified) == (1000, 0)


def test_a_round_that_ends_with_a_flush_writes_its_files_early_and_verifies_all(
    tmp_path: Path,
) -> None:
    """In a flushing round the files of each BATCH are FLUSHed while the round goes on
    (rrdcached's own timer here is an hour): on disk before the flush is asked; a file
    updated again after its early FLUSH is flushed again, and every file is checked."""
    rrd = tmp_path / "rrd"
    names = [f"metrics/m{i:03d}" for i in range(EARLY_FLUSH_LINES + 20)]
    with running_rrdcached(rrd, tmp_path) as address:
        store = RRDStore(rrd, rrdcached=address)
        for name in names:
            store.write(name, METRICS, [(T0, (1.0,))])
        assert store.flush() == []

        store.prepare_flush(True)
        for name in names:
            store.write(name, METRICS, [(T0 + 300, (2.0,))])
        first = rrd / f"{names[0]}.rrd"
        # the first BATCH's files reach the disk without a flush being asked
        wait_for(lambda: file_last(first) == T0 + 300, timeout=60, what="the early FLUSH")
        store.write(names[0], METRICS, [(T0 + 600, (3.0,))])  # after its early FLUSH
        last = rrd / f"{names[-1]}.rrd"
        assert file_last(last) == T0  # the last BATCH is not sent yet
        assert store.flush() == []
        assert file_last(first) == T0 + 600
        assert all(file_last(rrd / f"{name}.rrd") == T0 + 300 for name in names[1:])
        assert store.stats.unverified == 0

        # the next round does not flush: nothing is pushed before its flush
        store.prepare_flush(False)
        for name in names:
            store.write(name, METRICS, [(T0 + 900, (4.0,))])
        time.sleep(0.5)
        assert file_last(first) == T0 + 600
        assert store.flush() == []
        assert file_last(first) == T0 + 900
