"""start/end/trail parsing: epoch, ISO 8601, AT-style, and the bounds."""

from __future__ import annotations

import pytest

from graphmetrics.render.timespec import TimeSpec, TimeSpecError, parse_time, resolve_range

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z
ISO_EPOCH = 1_248_968_400  # 2009-07-30T15:40:00Z


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("now", TimeSpec("now", 0)),
        ("NOW", TimeSpec("now", 0)),
        ("-1d", TimeSpec("now", -86400)),
        ("-2h30min", TimeSpec("now", -9000)),
        ("-5m", TimeSpec("now", -300)),
        ("now-1w", TimeSpec("now", -604800)),
        ("-1mon", TimeSpec("now", -30 * 86400)),
        ("end-2h", TimeSpec("end", -7200)),
        ("e-2h", TimeSpec("end", -7200)),
        ("start+90min", TimeSpec("start", 5400)),
        ("end 2h", TimeSpec("end", 7200)),  # an unencoded '+' arrives as a space
        ("-1d+6h", TimeSpec("now", -86400 + 21600)),
        (str(ISO_EPOCH), TimeSpec("abs", 0, ISO_EPOCH)),
        (f"{ISO_EPOCH}+1h", TimeSpec("abs", 3600, ISO_EPOCH)),
        ("2009-07-30T15:40:00Z", TimeSpec("abs", 0, ISO_EPOCH)),
        ("2009-07-30T17:40:00+02:00", TimeSpec("abs", 0, ISO_EPOCH)),
        ("2009-07-30T15:40:00", TimeSpec("abs", 0, ISO_EPOCH)),
        ("2009-07-30", TimeSpec("abs", 0, ISO_EPOCH - 15 * 3600 - 40 * 60)),
        ("2009-07-30T15:40:00Z-2h", TimeSpec("abs", -7200, ISO_EPOCH)),
    ],
)
def test_parse_time(text: str, spec: TimeSpec) -> None:
    assert parse_time(text) == spec


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("yesterday", "cannot parse"),
        ("-1x", "unknown time unit 'x'"),
        ("now-", "cannot parse"),
        ("2009-13-01", "month must be in 1..12"),
        ("1;rm -rf /", "cannot parse"),
        ("-1d:LINE1:a", "cannot parse"),
        ("1" * 65, "longer than 64"),
        ("12345678901234", "cannot parse"),
    ],
)
def test_parse_time_errors(text: str, reason: str) -> None:
    with pytest.raises(TimeSpecError, match=reason):
        parse_time(text)


def test_defaults_are_the_last_day() -> None:
    assert resolve_range(None, None, NOW) == (NOW - 86400, NOW)


def test_relative_to_each_other() -> None:
    assert resolve_range("end-2h", "2009-07-30T15:40:00Z", NOW) == (ISO_EPOCH - 7200, ISO_EPOCH)
    assert resolve_range(str(ISO_EPOCH), "start+1d", NOW) == (ISO_EPOCH, ISO_EPOCH + 86400)
    assert resolve_range("-6h", None, NOW) == (NOW - 21600, NOW)


def test_trail_hours() -> None:
    assert resolve_range(None, None, NOW, trail_hours=6) == (NOW - 21600, NOW)
    assert resolve_range(None, None, NOW, trail_hours=0.5) == (NOW - 1800, NOW)


@pytest.mark.parametrize(
    ("start", "end", "trail", "reason"),
    [
        ("now", "-1h", None, "end must be after start"),
        ("-1h", "-1h", None, "end must be after start"),
        ("end-1h", "start+1h", None, "refer to each other"),
        ("start-1h", None, None, "start cannot refer to start"),
        ("-10y", None, None, "longer than 1830 days"),
        ("1970-01-02", "1970-01-03", None, "start is before 1980"),
        ("now", "+2y", None, "end is more than a year in the future"),
        ("-1h", None, 2, "trail cannot be combined"),
        (None, None, 0, "trail must be > 0"),
        (None, None, 1e9, "trail must be > 0 and at most"),
        ("bogus", None, None, "start: cannot parse"),
        (None, "bogus", None, "end: cannot parse"),
    ],
)
def test_range_errors(start: str | None, end: str | None, trail: float | None, reason: str) -> None:
    with pytest.raises(TimeSpecError, match=reason):
        resolve_range(start, end, NOW, trail_hours=trail)
