"""An RRD file's last update from its header, checked against librrd on real files."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd import header
from graphmetrics.rrd.backend import Rrdcached
from graphmetrics.rrd.schema import CARBON, METRICS, TRACELOG

START = 1_700_000_000


def many_definitions() -> list[str]:
    """40 data sources of every type and 36 archives: a header past one read."""
    types = ["GAUGE:600:U:U", "COUNTER:600:0:U", "DERIVE:600:U:U", "ABSOLUTE:600:0:U"]
    args = [f"DS:d{i}:{types[i % 4]}" for i in range(40)]
    args += [
        f"RRA:{cf}:0.5:{n}:{100 + n}" for cf in ("AVERAGE", "MIN", "MAX") for n in range(1, 13)
    ]
    return args


LAYOUTS = {
    "carbon": ["--step", "60", *CARBON.definitions()],
    "tracelog": TRACELOG.create_args(),
    "metrics": METRICS.create_args(),
    "many": ["--step", "10", *many_definitions()],
    "collectd": ["--step", "10", "DS:rx:DERIVE:20:0:U", "DS:tx:DERIVE:20:0:U"]
    + [f"RRA:{cf}:0.1:1:1200" for cf in ("AVERAGE", "MIN", "MAX")],
    "dcounter (version 5)": ["--step", "300", "DS:c:DCOUNTER:600:0:U", "RRA:LAST:0.5:1:10"],
    "holt-winters (version 4)": ["--step", "60", "DS:v:GAUGE:120:U:U"]
    + ["RRA:AVERAGE:0.5:1:100", "RRA:MHWPREDICT:600:0.1:0.0035:288"],
}


def make(path: Path, args: list[str], updates: list[str]) -> Path:
    rrdtool.create(str(path), "--start", str(START), *args)
    for update in updates:
        rrdtool.update(str(path), update)
    return path


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_last_update_librrd_reads(tmp_path: Path, layout: str) -> None:
    args = LAYOUTS[layout]
    path = make(tmp_path / "a.rrd", args, [])
    width = sum(arg.startswith("DS:") for arg in args)
    assert header.last_update(str(path)) == rrdtool.info(str(path))["last_update"] == START
    for ts in (START + 300, START + 3600, START + 3600 * 24 + 17):
        rrdtool.update(str(path), f"{ts}:" + ":".join(["1"] * width))
        assert header.last_update(str(path)) == ts
        assert rrdtool.info(str(path))["last_update"] == ts == rrdtool.last(str(path))


def test_the_versions_librrd_wrote(tmp_path: Path) -> None:
    versions = set()
    for i, args in enumerate(LAYOUTS.values()):
        info = rrdtool.info(str(make(tmp_path / f"{i}.rrd", args, [])))
        versions.add(info["rrd_version"])
    assert {"0003", "0004", "0005"} <= versions  # what these files test, as this librrd writes them


def test_the_seconds_of_a_fractional_update(tmp_path: Path) -> None:
    path = make(tmp_path / "a.rrd", LAYOUTS["carbon"], [f"{START + 60}.75:2.5"])
    assert header.last_update(str(path)) == START + 60 == rrdtool.info(str(path))["last_update"]


def test_a_header_longer_than_one_read(tmp_path: Path) -> None:
    path = make(tmp_path / "a.rrd", LAYOUTS["many"], [])
    offset = header.live_head_offset(path.read_bytes())
    assert offset is not None and offset > header.READ_BYTES
    assert header.last_update(str(path)) == START


def altered(tmp_path: Path, at: int, data: bytes) -> Path:
    path = make(tmp_path / "a.rrd", LAYOUTS["carbon"], [f"{START + 60}:1"])
    content = bytearray(path.read_bytes())
    content[at : at + len(data)] = data
    path.write_bytes(bytes(content))
    return path


@pytest.mark.parametrize(
    ("at", "data"),
    [
        (0, b"XRD\0"),  # not an RRD
        (4, b"0002\0"),  # an old version (another live_head)
        (4, b"0006\0"),  # a version librrd does not know yet
        (16, struct.pack(">d" if sys.byteorder == "little" else "<d", header.FLOAT_COOKIE)),
        (24, bytes(8)),  # no data source: corrupt
        (32, b"\xff" * 8),  # absurd number of archives
    ],
    ids=["cookie", "old version", "new version", "other architecture", "no DS", "absurd"],
)
def test_a_header_it_does_not_know_is_left_to_librrd(tmp_path: Path, at: int, data: bytes) -> None:
    assert header.last_update(str(altered(tmp_path, at, data))) is None


def test_a_file_cut_short_or_missing(tmp_path: Path) -> None:
    path = make(tmp_path / "a.rrd", LAYOUTS["carbon"], [])
    offset = header.live_head_offset(path.read_bytes())
    assert offset is not None
    for size in (0, 100, offset + 4):
        cut = tmp_path / f"cut{size}.rrd"
        cut.write_bytes(path.read_bytes()[:size])
        assert header.last_update(str(cut)) is None
    with pytest.raises(FileNotFoundError):
        header.last_update(str(tmp_path / "missing.rrd"))


def test_the_rrdcached_check_falls_back_to_librrd(tmp_path: Path) -> None:
    """What the flush's check reads: the header, or librrd's answer (and its error)."""
    backend = Rrdcached(f"unix:{tmp_path}/none.sock")
    path = make(tmp_path / "a.rrd", LAYOUTS["carbon"], [f"{START + 120}:1"])
    assert backend._file_last(str(path)) == {"last_update": START + 120}
    old = tmp_path / "old"
    old.mkdir()
    assert backend._file_last(str(altered(old, 4, b"0002\0"))) == {"last_update": START + 60}
    (tmp_path / "b.rrd").write_bytes(path.read_bytes()[:64])
    with pytest.raises(rrdtool.OperationalError):
        backend._file_last(str(tmp_path / "b.rrd"))
    with pytest.raises(rrdtool.OperationalError):
        backend._file_last(str(tmp_path / "missing.rrd"))
