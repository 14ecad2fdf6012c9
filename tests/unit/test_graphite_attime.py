"""Graphite's from/until syntax, against values worked out by hand (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graphmetrics.graphite.attime import TimeError, parse_attime, parse_offset

NOW = int(datetime(2023, 11, 15, 10, 30, 15, tzinfo=UTC).timestamp())


def at(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-1h", NOW - 3600),
        ("now-1d", NOW - 86400),
        ("-2hours30min", NOW - 9000),
        ("-1w", NOW - 7 * 86400),
        ("-1mon", NOW - 30 * 86400),
        ("1700000000", 1700000000),
        ("20231114", at(2023, 11, 14)),
        ("12:45_20231114", at(2023, 11, 14, 12, 45)),
        ("yesterday", at(2023, 11, 14)),
        ("today", at(2023, 11, 15)),
        ("noon yesterday", at(2023, 11, 14, 12)),
        ("6pm", at(2023, 11, 15, 18)),
        ("midnight+1h", at(2023, 11, 15, 1)),
        ("11/13/23", at(2023, 11, 13)),
        ("nov10", at(2023, 11, 10)),
        ("monday", at(2023, 11, 13)),
    ],
)
def test_parse_attime(text: str, expected: int) -> None:
    assert parse_attime(text, NOW) == expected


def test_offsets() -> None:
    assert parse_offset("1h") == 3600
    assert parse_offset("-5min") == -300
    with pytest.raises(TimeError, match="invalid offset unit 'x'"):
        parse_offset("-5x")


@pytest.mark.parametrize("text", ["soon", "12:xx", "-5x"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_attime(text, NOW)
