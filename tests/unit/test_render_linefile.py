"""A Graphite line's values written straight into an RRD file read back by rrdtool as
through ``rrdtool update`` (graphmetrics.render.linefile)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.render import graph, linefile
from tests.pngs import same_image

STEP = 60
FIRST = 1_700_000_040  # on the step
VALUES: list[float | None] = [
    None if i % 7 == 3 else (math.nan if i % 11 == 5 else 100 + (i * 37) % 53 / 3)
    for i in range(500)
]


def fetched(path: Path, first: int, count: int) -> tuple[tuple[int, int, int], list[float | None]]:
    span, _, rows = rrdtool.fetch(
        str(path), "AVERAGE", "--start", str(first - STEP), "--end", str(first + count * STEP)
    )
    return span, [row[0] for row in rows]


def by_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linefile, "_HEADERS", {})
    monkeypatch.setattr(linefile, "_rows_written", lambda *args: False)


@pytest.mark.parametrize("first", [FIRST, FIRST + 17])  # on the step, and between
def test_rows_written_directly_read_back_as_updates_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int
) -> None:
    linefile.write(str(tmp_path / "direct.rrd"), first, STEP, VALUES)
    direct = fetched(tmp_path / "direct.rrd", first, len(VALUES))
    with monkeypatch.context() as patch:
        by_updates(patch)
        linefile.write(str(tmp_path / "updated.rrd"), first, STEP, VALUES)
    updated = fetched(tmp_path / "updated.rrd", first, len(VALUES))
    assert direct[0] == updated[0]
    assert [v is None for v in direct[1]] == [v is None for v in updated[1]]
    assert [v for v in direct[1] if v is not None] == pytest.approx(
        [v for v in updated[1] if v is not None], rel=1e-12
    )
    assert (
        rrdtool.info(str(tmp_path / "direct.rrd"))["last_update"]
        == rrdtool.info(str(tmp_path / "updated.rrd"))["last_update"]
    )


def test_a_graph_of_directly_written_lines_is_the_same_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [("a", FIRST, STEP, VALUES), ("b", FIRST, STEP, [v and v / 2 for v in VALUES])]
    end = FIRST + len(VALUES) * STEP
    direct = graph.draw_lines(lines, FIRST - STEP, end, 600, 200)
    by_updates(monkeypatch)
    assert same_image(direct, graph.draw_lines(lines, FIRST - STEP, end, 600, 200))


def test_no_values_is_an_empty_file(tmp_path: Path) -> None:
    linefile.write(str(tmp_path / "empty.rrd"), FIRST, STEP, [])
    assert rrdtool.info(str(tmp_path / "empty.rrd"))["last_update"] == FIRST - STEP


def test_values_on_the_step_skip_the_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(rrdtool, "update", lambda *args: calls.append(len(args)))
    linefile.write(str(tmp_path / "on.rrd"), FIRST, STEP, VALUES)
    assert calls == []
    linefile.write(str(tmp_path / "off.rrd"), FIRST + 1, STEP, VALUES)
    assert calls == [1 + len(VALUES)]  # one call: fewer than 1000 values


def test_a_kept_header_makes_the_same_file_without_rrdtool_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linefile, "_HEADERS", {})
    linefile.write(str(tmp_path / "created.rrd"), FIRST, STEP, VALUES)
    monkeypatch.setattr(rrdtool, "create", lambda *args: pytest.fail("rrdtool create called"))
    linefile.write(str(tmp_path / "kept.rrd"), FIRST, STEP, VALUES)
    assert (tmp_path / "kept.rrd").read_bytes() == (tmp_path / "created.rrd").read_bytes()
    later = [1.0, 2.0, None] * (len(VALUES) // 3) + [4.0] * (len(VALUES) % 3)
    linefile.write(str(tmp_path / "later.rrd"), FIRST + 3600, STEP, later)
    span, rows = fetched(tmp_path / "later.rrd", FIRST + 3600, len(later))
    assert span[0] == FIRST + 3600 - STEP and rows[: len(later)] == later
