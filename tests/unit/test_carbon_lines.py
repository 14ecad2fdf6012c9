"""Plaintext lines into samples and update arguments (a mypyc-compiled module), through
the :class:`~graphmetrics.collect.carbon_wire.Intake` that owns them."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.collect.carbon_lines import one_line_per_triple, plain_decimal
from graphmetrics.collect.carbon_schemas import CarbonSchemas
from graphmetrics.collect.carbon_wire import Intake
from graphmetrics.rrd.store import RRDStore

NOW = 1_700_000_050.0


def intake(tmp_path: Path, schemas: CarbonSchemas | None = None) -> Intake:
    return Intake(RRDStore(tmp_path), schemas or CarbonSchemas(), lambda: NOW)


def test_points_and_their_update_arguments(tmp_path: Path) -> None:
    lines = intake(tmp_path)
    lines.add_lines(
        b"a.b 1.5 1699999980\na.b -0.25 1700000040\nc 1e3 1700000040\nc +5 1700000041\n"
        b"c 1_0 -1\nd 007 1700000000",
        "peer",
    )
    assert lines.buffered == 6
    samples, schemas = lines.take()
    assert {name: list(points) for name, points in samples.items()} == {
        "carbon/a/b": [(1699999980, (1.5,)), (1700000040, (-0.25,))],
        "carbon/c": [(1700000040, (1000.0,)), (1700000040, (5.0,)), (1700000040, (10.0,))],
        "carbon/d": [(1699999980, (7.0,))],
    }
    # a plain decimal as it was sent, any other number formatted
    assert {name: points.updates for name, points in samples.items()} == {
        "carbon/a/b": ["1699999980:1.5", "1700000040:-0.25"],
        "carbon/c": ["1700000040:1000.0", "1700000040:5.0", "1700000040:10.0"],
        "carbon/d": ["1699999980:007"],
    }
    assert set(schemas) == set(samples)
    assert lines.points == 6 and not lines.bad.counts


def test_timestamps_are_rounded_to_each_files_step(tmp_path: Path) -> None:
    rules = tmp_path / "storage-schemas.conf"
    rules.write_text("[fast]\npattern = ^fast\\.\nretentions = 10s:1d\n")
    lines = intake(tmp_path / "rrd", CarbonSchemas.load(rules, None))
    lines.add_lines(b"fast.a 1 1700000015\nslow.a 2 1700000015\nfast.a 3 1700000025", "peer")
    samples, _ = lines.take()
    assert {name: points.updates for name, points in samples.items()} == {
        "carbon/fast/a": ["1700000010:1", "1700000020:3"],
        "carbon/slow/a": ["1699999980:2"],
    }


@pytest.mark.parametrize(
    ("data", "points", "bad"),
    [
        # six fields in two lines that are not three and three
        (b"a 1 1700000000 b\n2 1700000000", 1, {"bad_line": 1}),
        (b"a 1\n1700000000 b 2 1700000000", 1, {"bad_line": 1}),
        (b"a 1 1700000000 b 2 1700000000\n\n", 0, {"bad_line": 1}),
        # white space other than one space between fields
        (b"a  1 1700000000\nb\t2\t1700000000\r\n c 3 1700000000 ", 3, {}),
        (b"a 1 1700000000\n\n\nb 2 1700000000", 2, {}),
        (b"a x 1700000000\nb 1 1700000000\nc nan 1700000000\nd 1 2700000000", 1, {}),
    ],
)
def test_every_line_is_read_alone_however_the_fields_fall(
    tmp_path: Path, data: bytes, points: int, bad: dict[str, int]
) -> None:
    lines = intake(tmp_path)
    lines.add_lines(data, "peer")
    assert lines.points == points
    if bad:
        assert dict(lines.bad.counts) == bad


def test_refused_numbers_and_timestamps_whatever_came_before(tmp_path: Path) -> None:
    lines = intake(tmp_path)
    lines.add_lines(
        b"a 1 1700000000\nb x 1700000000\nc inf 1700000000\nd 1 2700000000\ne 1 2700000000\n"
        b"f 1 0\ng 1 1700000000\nh 1 y",
        "peer",
    )
    assert dict(lines.bad.counts) == {
        "bad_number": 2,
        "not_finite": 1,
        "future_timestamp": 2,
        "bad_timestamp": 1,
    }
    samples, _ = lines.take()
    assert {name: list(points) for name, points in samples.items()} == {
        "carbon/a": [(1699999980, (1.0,))],
        "carbon/g": [(1699999980, (1.0,))],
    }


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (b"12.5", True),
        (b"-0.25", True),
        (b"007", True),
        (b"1" * 24, True),
        (b"1" * 25, False),
        (b"1e3", False),
        (b"+5", False),
        (b"1_0", False),
        (b"0x10", False),
    ],
)
def test_plain_decimals(text: bytes, plain: bool) -> None:
    assert plain_decimal(text) is plain


def test_one_line_per_triple() -> None:
    def check(data: bytes) -> bool:
        return one_line_per_triple(data, data.split())

    assert check(b"a 1 2\nb 3 4")
    assert check(b"a\t1 2")
    assert not check(b"a 1 2 b\n3 4")
    assert not check(b"a 1\n2 b 3 4")
    assert not check(b"a  1 2")
    assert not check(b"a 1 2\n")
    assert not check(b" a 1 2")
