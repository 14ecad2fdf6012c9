"""The limits on new RRD files: parsing the settings, the per-minute window, the floor."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd.limits import CreateLimits, CreationGate, DiskFloor, file_bytes
from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.settings import parse_byte_size


@pytest.mark.parametrize(
    ("text", "floor"),
    [
        ("0", DiskFloor()),
        ("1048576", DiskFloor(bytes=1 << 20)),
        ("512K", DiskFloor(bytes=512 << 10)),
        ("1.5G", DiskFloor(bytes=3 << 29)),
        ("2gb", DiskFloor(bytes=2 << 30)),
        ("5%", DiskFloor(percent=5.0)),
        (" 0.5% ", DiskFloor(percent=0.5)),
    ],
)
def test_disk_floors_parse(text: str, floor: DiskFloor) -> None:
    assert DiskFloor.parse(text) == floor


@pytest.mark.parametrize("text", ["lots", "-1", "100%", "-3%", "nan", "1X", ""])
def test_bad_disk_floors_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        DiskFloor.parse(text)


def test_byte_sizes() -> None:
    assert parse_byte_size("3T") == 3 << 40
    assert parse_byte_size("7") == 7


def test_file_sizes_are_about_what_rrdtool_makes() -> None:
    assert 190_000 < file_bytes(METRICS) < 210_000
    assert 4_000_000 < file_bytes(TRACELOG) < 4_150_000  # 18 DS (1.1 MB with the first 5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_files_per_minute_is_a_sliding_window(tmp_path: Path) -> None:
    clock = Clock()
    gate = CreationGate(CreateLimits(max_per_minute=2), clock)
    path = tmp_path / "metrics/a.rrd"
    for _ in range(2):
        assert gate.admit(path, METRICS) is None
        clock.now += 20
    refusal = gate.admit(path, METRICS)
    assert refusal is not None and refusal.rate and "2 new files in the last 60 s" in refusal
    assert gate.wait() == pytest.approx(20.0)
    clock.now += 20.5  # the first creation is more than a minute old
    assert gate.wait() == 0 and gate.admit(path, METRICS) is None
    assert CreationGate(CreateLimits(max_per_minute=0), clock).admit(path, METRICS) is None


def test_the_budget_is_in_the_journal_shared_and_kept_across_restarts(tmp_path: Path) -> None:
    clock = Clock()
    limits = CreateLimits(max_per_minute=3, window=10, journal=tmp_path / "state/creations")
    path = tmp_path / "metrics/a.rrd"
    first = CreationGate(limits, clock)
    assert first.admit(path, METRICS) is None
    other = CreationGate(limits, clock)  # another process, or the next run
    assert other.admit(path, METRICS) is None
    assert first.admit(path, METRICS) is None
    assert other.admit(path, METRICS) is not None and first.admit(path, METRICS) is not None
    first.close()
    restarted = CreationGate(limits, clock)
    assert restarted.wait() == pytest.approx(10.0)
    clock.now += 10.5
    assert restarted.admit(path, METRICS) is None


def test_a_clock_set_back_does_not_block_creations_past_a_window(tmp_path: Path) -> None:
    clock = Clock()
    limits = CreateLimits(max_per_minute=1, window=10, journal=tmp_path / "creations")
    gate = CreationGate(limits, clock)
    assert gate.admit(tmp_path / "a.rrd", METRICS) is None
    clock.now -= 3600
    later = CreationGate(limits, clock)
    assert later.wait() == pytest.approx(10.0)
    clock.now += 10.5
    assert later.admit(tmp_path / "a.rrd", METRICS) is None


def test_the_journal_is_cut_back_to_the_window(tmp_path: Path) -> None:
    clock = Clock()
    journal = tmp_path / "creations"
    gate = CreationGate(CreateLimits(max_per_minute=10, window=1, journal=journal), clock)
    for _ in range(30_000):
        assert gate.admit(tmp_path / "a.rrd", METRICS) is None
        clock.now += 0.2
    assert journal.stat().st_size < 300 * 1024
    assert CreationGate(gate.limits, clock).wait() == 0


def test_the_floor_counts_the_new_file_and_looks_at_an_existing_directory(
    tmp_path: Path,
) -> None:
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    deep = tmp_path / "not/yet/there/a.rrd"
    room = DiskFloor(bytes=max(free - file_bytes(METRICS) - (64 << 20), 0))
    assert CreationGate(CreateLimits(min_free=room)).admit(deep, METRICS) is None
    tight = DiskFloor(bytes=free - file_bytes(METRICS) + (64 << 20))
    reason = CreationGate(CreateLimits(min_free=tight)).admit(deep, METRICS)
    assert reason is not None and "below the floor" in reason and str(tmp_path) in reason


@pytest.mark.parametrize("text", ["0", "5%", "2.5%", "2G", "1048576"])
def test_a_floor_handed_on_as_a_setting_reads_back_the_same(text: str) -> None:
    floor = DiskFloor.parse(text)
    assert DiskFloor.parse(floor.setting()) == floor


def test_kcl_record_processors_get_the_creation_limits() -> None:
    from graphmetrics.cli.kcl import ProcessorSettings, processor_values

    config = ProcessorSettings(
        rrd_dir=Path("/r"), max_new_files_per_minute=7, min_free_disk=DiskFloor.parse("5%")
    )
    values = processor_values(config)
    assert values["max_new_files_per_minute"] == "7" and values["min_free_disk"] == "5%"
    assert ProcessorSettings(rrd_dir=Path("/r")).create_limits() == CreateLimits(
        1000, DiskFloor(percent=5)
    )


def test_the_writer_holds_refused_files_oldest_first_bounded_and_saved(tmp_path: Path) -> None:
    from graphmetrics.rrd.held import Held
    from graphmetrics.rrd.store import RRDStore
    from graphmetrics.rrd.writer import RRDWriter

    limits = CreateLimits(max_per_minute=1, window=0.3, max_held=3)
    writer = RRDWriter(RRDStore(tmp_path, limits=limits))
    t0 = 1_700_000_100
    first = writer.write_batch(METRICS, {"metrics/a": [(t0, (1.0,))], "metrics/b": [(t0, (2.0,))]})
    assert (first.created, first.held_files, first.held_samples) == (1, 1, 1)
    assert 0 < first.creation_wait <= 0.3
    # b's next samples queue behind the held one; c waits too; d does not fit the bound
    second = writer.write_batch(
        METRICS,
        {
            "metrics/b": [(t0 + 300, (3.0,))],
            "metrics/c": [(t0, (4.0,))],
            "metrics/d": [(t0, (5.0,)), (t0 + 300, (6.0,))],
        },
    )
    assert (second.held_files, second.held_samples) == (2, 3)
    assert (second.refused_files, second.refused_samples) == (1, 2)
    saved = Held(3)
    saved.load(json.loads(json.dumps(writer.held.dump())))
    assert list(saved.files) == ["metrics/b", "metrics/c"] and saved.samples == 3
    time.sleep(0.35)
    third = writer.write_batch(METRICS, {})
    assert (third.created, third.written, third.held_files) == (1, 2, 1)  # b, oldest first
    assert rrdtool.last(str(tmp_path / "metrics/b.rrd")) == t0 + 300


@pytest.mark.parametrize("minimum", [0.0, None])
def test_held_samples_keep_their_schema_through_a_save(
    tmp_path: Path, minimum: float | None
) -> None:
    """Every schema round-trips, carbon's with no minimum (``U``) too."""
    from dataclasses import replace

    from graphmetrics.rrd.held import Held, load_held_file, save_held_file

    schema = replace(METRICS, minimum=minimum, xff=0.5, consolidations=("AVERAGE",))
    held = Held(100)
    held.add("carbon/a/b", schema, [(1_700_000_040, (1.5,)), (1_700_000_100, (None,))])
    save_held_file(held, tmp_path / "held.state")
    again = Held(100)
    load_held_file(again, tmp_path / "held.state")
    assert again.files == held.files and again.samples == 2
