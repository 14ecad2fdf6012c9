"""The limits on new RRD files: parsing the settings, the per-minute window, the floor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
        assert gate.refusal(path, METRICS) is None
        gate.created()
        clock.now += 20
    assert "2 new files in the last minute" in (gate.refusal(path, METRICS) or "")
    clock.now += 20.5  # the first creation is more than a minute old
    assert gate.refusal(path, METRICS) is None
    assert CreationGate(CreateLimits(max_per_minute=0), clock).refusal(path, METRICS) is None


def test_the_floor_counts_the_new_file_and_looks_at_an_existing_directory(
    tmp_path: Path,
) -> None:
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    deep = tmp_path / "not/yet/there/a.rrd"
    room = DiskFloor(bytes=max(free - file_bytes(METRICS) - (64 << 20), 0))
    assert CreationGate(CreateLimits(min_free=room)).refusal(deep, METRICS) is None
    tight = DiskFloor(bytes=free - file_bytes(METRICS) + (64 << 20))
    reason = CreationGate(CreateLimits(min_free=tight)).refusal(deep, METRICS)
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
    assert ProcessorSettings(rrd_dir=Path("/r")).create_limits() == CreateLimits(1000, DiskFloor())
