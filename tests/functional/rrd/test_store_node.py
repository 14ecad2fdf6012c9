"""A collector writing to a storage node over TCP needs no local disk (issue #13 item 2).

The node is a real rrdcached on 127.0.0.1 (``-B -R -O``, writes only on FLUSH); the
store's root does not exist on this host, and nothing is created in the working
directory (librrd falls back to local files of the same name when it cannot reach
its daemon: the store must not use those paths).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.limits import CreateLimits, DiskFloor
from graphmetrics.rrd.node import NodeFiles
from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.rrd.store import RRDCreateRefused, RRDStore, RRDWriteError
from graphmetrics.rrd.writer import RRDWriter
from tests.disk import locked_by_another_process
from tests.rrdcached import node_writing_over_tcp

T0 = 1_700_000_100


def file_last(path: Path) -> int:
    return int(rrdtool.info(str(path))["last_update"])


def values(path: Path, end: int) -> list[tuple[int, float]]:
    (start, _, step), _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "-r", "300", "-s", str(T0 - 600), "-e", str(end)
    )
    return [(start + step * (i + 1), r[0]) for i, r in enumerate(rows) if r[0] is not None]


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """(the node's base directory, its TCP write address); the test runs in an empty
    working directory, checked empty afterwards."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    with node_writing_over_tcp(tmp_path / "node", tmp_path) as address:
        yield tmp_path / "node", address
    assert list(work.iterdir()) == []


def test_nested_files_are_created_written_and_verified_on_the_node(
    node: tuple[Path, str], tmp_path: Path
) -> None:
    base, address = node
    nowhere = tmp_path / "no-such-dir"
    store = RRDStore(nowhere, rrdcached=address)
    assert store.remote and store.path_for("metrics/a/b/c") == Path("metrics/a/b/c.rrd")
    backfill = [(T0 + 300 * i, (float(i),)) for i in range(1000)]  # many command lines
    assert store.write("metrics/a/b/c", METRICS, backfill) == 1000
    store.write("tracelog/h__c__i", TRACELOG, [(T0, (1, 2, 3, 4, 5))])
    assert store.flush() == []
    path = base / "metrics/a/b/c.rrd"
    assert file_last(path) == T0 + 300 * 999
    assert values(path, T0 + 300 * 1000) == [(t, v) for t, (v,) in backfill]
    assert file_last(base / "tracelog/h__c__i.rrd") == T0
    assert (store.stats.created, store.stats.written) == (2, 1001)
    assert not nowhere.exists()

    # a new store (a restart) reads the last update from the node: old samples skipped
    again = RRDStore(nowhere, rrdcached=address)
    assert again.write("metrics/a/b/c", METRICS, backfill[-2:] + [(T0 + 300_000, (7.0,))]) == 1
    assert again.flush() == [] and again.stats.skipped_old == 2
    assert file_last(path) == T0 + 300_000


def test_a_write_lost_behind_the_node_is_handed_back_and_written_once(
    node: tuple[Path, str], tmp_path: Path
) -> None:
    base, address = node
    writer = RRDWriter(RRDStore(tmp_path / "no-such-dir", rrdcached=address))
    writer.write_batch(METRICS, {"metrics/a": [(T0, (1.0,))], "metrics/b": [(T0, (5.0,))]})
    path = base / "metrics/a.rrd"
    assert file_last(path) == T0

    with locked_by_another_process(path):
        # the node knows the file: it accepts the update, then cannot write it
        a = [(T0 + 300, (2.0,)), (T0 + 600, (3.0,))]
        result = writer.write_batch(METRICS, {"metrics/a": a, "metrics/b": [(T0 + 300, (6.0,))]})
        assert result.retry == {"metrics/a": a}
        assert (result.unverified, result.written) == (1, 1)
    assert file_last(path) == T0

    # the lock is gone: written again, once (FORGET made the node take the file's time)
    result = writer.write_batch(METRICS, {})
    assert (result.retry, result.written, result.skipped_old) == ({}, 2, 0)
    assert values(path, T0 + 900) == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]
    assert file_last(base / "metrics/b.rrd") == T0 + 300


def test_a_file_another_writer_created_is_taken_as_existing(
    node: tuple[Path, str], tmp_path: Path
) -> None:
    base, address = node
    other = RRDStore(tmp_path / "elsewhere", rrdcached=address)
    other.write("metrics/shared", METRICS, [(T0, (1.0,)), (T0 + 300, (2.0,))])
    assert other.flush() == []

    class LateLook(NodeFiles):
        """This writer looked before the other created the file (the race's loser)."""

        looked = False

        def last_update(self, key: str) -> int | None:
            if not self.looked:
                self.looked = True
                return None
            return super().last_update(key)

    store = RRDStore(tmp_path / "no-such-dir", backend=LateLook(address))
    samples = [(T0 + 300, (9.0,)), (T0 + 600, (3.0,))]
    assert store.write("metrics/shared", METRICS, samples) == 1  # CREATE refused: -O
    assert store.flush() == []
    assert (store.stats.created, store.stats.skipped_old) == (0, 1)
    path = base / "metrics/shared.rrd"
    assert values(path, T0 + 900) == [(T0, 1.0), (T0 + 300, 2.0), (T0 + 600, 3.0)]


def test_an_unreachable_node_is_a_write_to_retry(tmp_path: Path) -> None:
    with node_writing_over_tcp(tmp_path / "node", tmp_path) as address:
        pass  # stopped: nothing listens there now
    store = RRDStore(tmp_path / "no-such-dir", rrdcached=address)
    with pytest.raises(RRDWriteError) as caught:
        store.write("metrics/a", METRICS, [(T0, (1.0,))])
    assert caught.value.transient and address in str(caught.value)
    assert not (tmp_path / "no-such-dir").exists()


def test_a_path_the_node_could_not_keep_inside_is_refused_here(tmp_path: Path) -> None:
    store = RRDStore(tmp_path, backend=NodeFiles("127.0.0.1:1"))
    for bad in ("../x", "/abs", "metrics/a b", "metrics/./x", "metrics//x"):
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_the_free_disk_floor_cannot_be_checked_on_the_node_and_says_so_once(
    node: tuple[Path, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base, address = node
    floor = CreateLimits(max_per_minute=1, min_free=DiskFloor(percent=99.9))
    with caplog.at_level(logging.INFO, logger="graphmetrics.rrd.store"):
        store = RRDStore(tmp_path / "no-such-dir", rrdcached=address, limits=floor)
        store.write("metrics/a", METRICS, [(T0, (1.0,))])  # a 99.9 % floor would refuse it here
        with pytest.raises(RRDCreateRefused, match="max new files per minute"):
            store.write("metrics/b", METRICS, [(T0, (1.0,))])  # the per-minute cap holds
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "min_free_disk" in w] == [
        f"rrdcached {address} is on another host: its free disk cannot be checked from here, "
        "so min_free_disk (99.9%) does not apply; watch the node's disk"
    ]
    assert store.flush() == [] and (base / "metrics/a.rrd").exists()


@pytest.mark.parametrize("where", ["node", "local"])
def test_a_file_of_the_older_layout_gets_its_data_sources_until_upgraded(
    node: tuple[Path, str], tmp_path: Path, where: str
) -> None:
    """A tracelog file of the five original data sources, not upgraded yet (a storage
    node cannot be tuned over TCP): full rows are written to its five, none dropped."""
    from tests.original import original_tracelog_rrd

    base, address = node
    root = base if where == "node" else tmp_path / "local"
    original_tracelog_rrd(root / "tracelog/h__c__i.rrd", T0 - 60, 0)
    store = RRDStore(root, rrdcached=address if where == "node" else None)
    width = len(TRACELOG.data_sources)
    rows = [(T0 + 60 * i, (10.0 + i, 1.0, 2.0, 3.0, 0.0) + (0.5,) * (width - 5)) for i in range(3)]
    assert RRDWriter(store).write_batch(TRACELOG, {"tracelog/h__c__i": rows}).written == 3
    assert store.stats.failed == 0
    info = rrdtool.info(str(root / "tracelog/h__c__i.rrd"))
    assert sum(k.endswith("].index") for k in info) == 5 and info["last_update"] == T0 + 120
    (start, _, step), names, fetched = rrdtool.fetch(
        str(root / "tracelog/h__c__i.rrd"), "AVERAGE", "-s", str(T0 - 60), "-e", str(T0 + 120)
    )
    got = [r[0] for r in fetched if r[0] is not None]
    assert names[0] == "rpm" and got == [10.0, 11.0, 12.0]
