"""New RRD files made by graphmetrics.rrd.create, against ``rrdtool create`` itself."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.rrd import create, header
from graphmetrics.rrd.backend import LocalFiles
from graphmetrics.rrd.schema import CARBON, METRICS, POOL, TRACELOG, Archive, Schema

SCHEMAS = {
    "tracelog": TRACELOG,
    "pool": POOL,
    "metrics": METRICS,
    "carbon": CARBON,
    # what carbon's storage-schemas.conf and storage-aggregation.conf can ask for
    "carbon 10s:6h,1m:7d,10m:5y last": Schema(
        10, ("value",), 20, (Archive(1, 2160), Archive(6, 10080), Archive(60, 262800)),
        minimum=None, xff=0.3, consolidations=("LAST",),
    ),
    "carbon min/max/sum of 3": Schema(
        7, ("a", "b", "c"), 14, (Archive(1, 5), Archive(3, 1)), minimum=None, xff=0.0,
        consolidations=("MIN", "MAX", "AVERAGE"),
    ),
}  # fmt: skip
STARTS = [1_700_000_000, 1_700_000_017, 1_000_000_007, 1_800_000_059, 1_700_003_599]


def pointers(path: Path, schema: Schema) -> tuple[int, int]:
    """Where the ``rra_ptr`` array (cur_row of each archive) starts and ends."""
    size = path.stat().st_size
    rows = sum(a.rows for a in schema.archives) * len(schema.consolidations)
    end = size - rows * len(schema.data_sources) * 8
    return end - 8 * len(schema.consolidations) * len(schema.archives), end


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("start", STARTS)
def test_the_file_rrdtool_makes_but_for_the_random_starting_rows(
    tmp_path: Path, name: str, start: int
) -> None:
    schema = SCHEMAS[name]
    ours, theirs = tmp_path / "ours.rrd", tmp_path / "theirs.rrd"
    create.create(str(ours), start, schema)
    rrdtool.create(str(theirs), "--start", str(start), *schema.create_args())
    mine, reference = ours.read_bytes(), theirs.read_bytes()
    assert len(mine) == len(reference)
    first, end = pointers(theirs, schema)
    assert mine[:first] == reference[:first]
    assert mine[end:] == reference[end:]
    info, expected = rrdtool.info(str(ours)), rrdtool.info(str(theirs))
    for key, value in expected.items():
        if key == "filename" or key.endswith(".cur_row"):
            continue
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(info[key]), key
        else:
            assert info[key] == value, key
    archives = [a for _ in schema.consolidations for a in schema.archives]
    for i, archive in enumerate(archives):
        assert 0 <= info[f"rra[{i}].cur_row"] < archive.rows
    assert header.last_update(str(ours)) == start


def test_updates_and_fetches_as_rrdtool_s_own_file(tmp_path: Path) -> None:
    start = 1_700_000_000
    ours, theirs = tmp_path / "ours.rrd", tmp_path / "theirs.rrd"
    create.create(str(ours), start, TRACELOG)
    rrdtool.create(str(theirs), "--start", str(start), *TRACELOG.create_args())
    width = len(TRACELOG.data_sources)
    updates = [f"{start + 60 * k}:" + ":".join(str(k + d / 8) for d in range(width))
               for k in range(1, 400)]  # fmt: skip
    for path in (ours, theirs):
        rrdtool.update(str(path), *updates)
    for cf, resolution in (("AVERAGE", 60), ("MAX", 300), ("AVERAGE", 3600)):
        span = ["-r", str(resolution), "-s", str(start), "-e", str(start + 400 * 60)]
        got = rrdtool.fetch(str(ours), cf, *span)
        assert got == rrdtool.fetch(str(theirs), cf, *span)  # unknowns are None
        assert any(v is not None for row in got[2] for v in row)


def test_a_layout_not_understood_is_left_to_rrdtool(tmp_path: Path) -> None:
    """A small file that is not :func:`create.one_row` of the schema (another layout,
    another librrd): no header is made from it, and create() falls back to librrd."""
    small = tmp_path / "small.rrd"
    rrdtool.create(str(small), "--start", "1700000000", *create.one_row(METRICS).create_args())
    assert create.full_header(small.read_bytes(), METRICS) is not None
    assert create.full_header(small.read_bytes(), TRACELOG) is None  # other DS count
    assert create.full_header(small.read_bytes()[:200], METRICS) is None  # cut short
    assert create.full_header(b"RRD\x000009\x00" + small.read_bytes()[10:], METRICS) is None


def test_the_backend_creates_atomically_with_it(tmp_path: Path) -> None:
    backend = LocalFiles()
    key = str(tmp_path / "a" / "b.rrd")
    assert backend.create(key, 1_700_000_000, POOL)
    assert backend.last_update(key) == 1_700_000_000
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.rrd"]  # no temporary left
    assert rrdtool.info(key)["ds[requests].type"] == "GAUGE"
