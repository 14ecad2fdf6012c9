"""A round's updates go to rrdcached as one BATCH: a line it refuses belongs to one
file, whose samples are kept for the next round while the others are written."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
import rrdtool

from graphmetrics.rrd import backend, cached
from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore, Sample
from graphmetrics.rrd.updates import Formatted
from graphmetrics.rrd.writer import RRDWriter
from tests.rrdcached import running_rrdcached

T0 = 1_700_000_100
FILES = ["metrics/a", "metrics/b c", "metrics/d"]  # a space: escaped in the BATCH


def last(path: Path) -> int:
    return int(rrdtool.info(str(path))["last_update"])


def values(path: Path) -> list[tuple[int, float]]:
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 600), "-e", str(T0 + 3000)
    )
    return [(start + step * (i + 1), r[0]) for i, r in enumerate(rows) if r[0] is not None]


def test_a_file_deleted_under_rrdcached_keeps_its_samples_the_others_are_written(
    tmp_path: Path,
) -> None:
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        writer = RRDWriter(RRDStore(rrd, rrdcached=address))
        first = writer.write_batch(METRICS, {f: [(T0, (1.0,))] for f in FILES})
        assert (first.created, first.written, first.retry) == (3, 3, {})
        gone = rrd / "metrics/b c.rrd"
        # deleted, and rrdcached no longer caches it (it would take the update, and
        # only the check after the flush would find the file gone): the store still
        # knows its last update, so its line goes in the BATCH, which refuses it
        cached.forget(address, str(gone))
        gone.unlink()

        second = writer.write_batch(METRICS, {f: [(T0 + 300, (2.0,))] for f in FILES})
        assert second.retry == {"metrics/b c": [(T0 + 300, (2.0,))]}
        assert "rrdcached refused" in second.error and "No such file" in second.error
        assert (second.written, second.unverified, second.failed_files) == (2, 1, 0)
        for name in ("metrics/a", "metrics/d"):
            assert last(rrd / f"{name}.rrd") == T0 + 300
        assert not gone.exists()

        third = writer.write_batch(METRICS, {})  # the kept samples, into a new file
        assert (third.created, third.written, third.retry, third.error) == (1, 1, {}, "")
        assert values(gone) == [(T0 + 300, 2.0)]
        assert values(rrd / "metrics/a.rrd") == [(T0, 1.0), (T0 + 300, 2.0)]
        assert writer.counters.written == 6


def test_a_time_rrdcached_already_has_is_refused_for_that_file_only(tmp_path: Path) -> None:
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        writer = RRDWriter(RRDStore(rrd, rrdcached=address))
        writer.write_batch(METRICS, {f: [(T0, (1.0,))] for f in FILES})
        # another client of the daemon updated metrics/d meanwhile, beyond our samples
        other = cached.Connection(address)
        status, _ = other.ask(f"UPDATE {rrd / 'metrics/d.rrd'} {T0 + 900}:9")
        assert status.startswith("0"), status
        other.close()

        result = writer.write_batch(METRICS, {f: [(T0 + 300, (2.0,))] for f in FILES})
        assert "illegal attempt to update" in result.error
        assert list(result.retry) == ["metrics/d"]
        assert (result.written, result.unverified) == (2, 1)
        assert last(rrd / "metrics/a.rrd") == T0 + 300
        assert last(rrd / "metrics/d.rrd") == T0 + 900  # flushed: the file is past them

        again = writer.write_batch(METRICS, {})  # the file says those times are past
        assert (again.written, again.skipped_old, again.retry) == (0, 1, {})


def test_later_batches_in_order_or_not_write_the_same(tmp_path: Path) -> None:
    """A batch in order after the file's last update is formatted in one pass
    (``ordered_updates``); one out of order, repeating a time or reaching back is
    arranged first: each file holds the same values either way, all verified."""
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        writer = RRDWriter(RRDStore(rrd, rrdcached=address))
        writer.write_batch(METRICS, {f: [(T0, (1.0,))] for f in FILES})
        batches = {
            "metrics/a": [(T0 + 300, (2.0,)), (T0 + 600, (3.0,))],  # in order
            "metrics/b c": [(T0 + 600, (3.0,)), (T0 + 300, (2.0,))],  # out of order
            "metrics/d": [(T0, (9.0,)), (T0 + 300, (2.0,)), (T0 + 600, (5.0,)), (T0 + 600, (3.0,))],
        }
        result = writer.write_batch(METRICS, batches)
        assert (result.written, result.skipped_old, result.unverified, result.retry) == (
            6,
            1,
            0,
            {},
        )
        for name in FILES:
            assert values(rrd / f"{name}.rrd") == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]


def test_formatted_samples_are_written_as_they_are_unless_arranged(tmp_path: Path) -> None:
    """The carbon receiver hands each file's samples as update arguments with the
    values as they were sent (``Formatted``): sent as they are for a batch in order,
    made samples and formatted again for one to arrange."""
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        writer = RRDWriter(RRDStore(rrd, rrdcached=address))
        writer.write_batch(METRICS, {f: [(T0, (1.0,))] for f in FILES})
        in_order, out_of_order = Formatted(), Formatted()
        in_order.add(T0 + 300, f"{T0 + 300}:2.00")
        in_order.add(T0 + 600, f"{T0 + 600}:003")
        out_of_order.add(T0 + 600, f"{T0 + 600}:3")
        out_of_order.add(T0 + 300, f"{T0 + 300}:2")
        batches = {"metrics/a": in_order, "metrics/b c": out_of_order}
        result = writer.write_batch(METRICS, cast(dict[str, list[Sample]], batches))
        assert (result.written, result.unverified, result.retry) == (4, 0, {})
        for name in FILES[:2]:
            assert values(rrd / f"{name}.rrd") == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]


def test_samples_of_a_batch_lost_are_handed_back_though_a_later_one_arrived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check after the flush compares the file's last update with the last sample
    written: a BATCH that failed before a later one of the same file arrived is found
    by the lines it carried, not by the file's last update."""
    rrd = tmp_path / "rrd"
    with running_rrdcached(rrd, tmp_path) as address:
        writer = RRDWriter(RRDStore(rrd, rrdcached=address))
        writer.write_batch(METRICS, {"metrics/a": [(T0, (1.0,))]})
        batch = cached.Connection.batch
        calls: list[int] = []

        def first_fails(self: cached.Connection, lines: list[str]) -> dict[int, str]:
            calls.append(len(lines))
            if len(calls) == 1:
                raise cached.DaemonError("rrdcached: connection reset")
            return batch(self, lines)

        monkeypatch.setattr(cached.Connection, "batch", first_fails)
        monkeypatch.setattr(backend, "BATCH_LINES", 1)  # each file's lines sent at once
        writer.write_batch(METRICS, {"metrics/a": [(T0 + 300, (2.0,))]}, flush=False)
        result = writer.write_batch(METRICS, {"metrics/a": [(T0 + 600, (3.0,))]})
        assert calls == [1, 1]
        assert last(rrd / "metrics/a.rrd") == T0 + 600
        assert (result.written, result.unverified) == (0, 1)
        assert result.retry == {"metrics/a": [(T0 + 300, (2.0,))]}
        assert "connection reset" in result.error

        again = writer.write_batch(METRICS, {})  # the file is past it: never written
        assert (again.written, again.skipped_old, again.retry) == (0, 1, {})
        assert writer.counters.written == 2
