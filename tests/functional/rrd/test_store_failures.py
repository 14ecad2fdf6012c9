"""What the RRD store says when rrdtool cannot write: for now (retry) or never (skip).

Real conditions only: a full filesystem, a file locked by another process, a file
that is not an RRD, a file where a directory should be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore, RRDWriteError
from tests.disk import locked_by_another_process, small_disk

T0 = 1_700_000_100


def test_full_disk_is_transient_and_leaves_no_temporary(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        store = RRDStore(disk.path)
        disk.fill()
        with pytest.raises(RRDWriteError, match="cannot create") as failure:
            store.write("metrics/a", METRICS, [(T0, (1.0,))])
        assert failure.value.transient
        assert sorted(p.name for p in (disk.path / "metrics").iterdir()) == []
        disk.free()
        assert store.write("metrics/a", METRICS, [(T0, (1.0,)), (T0 + 300, (2.0,))]) == 2
        assert int(rrdtool.last(str(disk.path / "metrics/a.rrd"))) == T0 + 300


def test_file_locked_by_another_process_is_transient(tmp_path: Path) -> None:
    store = RRDStore(tmp_path)
    store.write("metrics/a", METRICS, [(T0, (1.0,))])
    with (
        locked_by_another_process(tmp_path / "metrics/a.rrd"),
        pytest.raises(RRDWriteError, match="update failed") as failure,
    ):
        store.write("metrics/a", METRICS, [(T0 + 300, (2.0,))])
    assert failure.value.transient
    assert store.write("metrics/a", METRICS, [(T0 + 300, (2.0,))]) == 1


def test_a_file_that_is_not_an_rrd_is_permanent(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/a.rrd").write_bytes(b"not an RRD file at all" * 100)
    with pytest.raises(RRDWriteError) as failure:
        RRDStore(tmp_path).write("metrics/a", METRICS, [(T0, (1.0,))])
    assert not failure.value.transient


def test_an_rrd_of_another_layout_is_permanent(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    path = tmp_path / "metrics/a.rrd"
    rrdtool.create(
        str(path), "--start", str(T0 - 300), "DS:other:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"
    )
    with pytest.raises(RRDWriteError, match="update failed") as failure:
        RRDStore(tmp_path).write("metrics/a", METRICS, [(T0, (1.0,))])
    assert not failure.value.transient


def test_a_file_where_a_directory_should_be_is_permanent(tmp_path: Path) -> None:
    (tmp_path / "metrics").write_text("a file")
    with pytest.raises(RRDWriteError, match="cannot create its directory") as failure:
        RRDStore(tmp_path).write("metrics/a", METRICS, [(T0, (1.0,))])
    assert not failure.value.transient
