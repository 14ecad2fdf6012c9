from __future__ import annotations

import calendar
import json

import pytest

from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock, Row
from graphmetrics.tracelog.parser import Parser

INST = "app1__acme__inst1"


def epoch(text: str) -> int:
    """UTC ``YYYY-MM-DD HH:MM`` as epoch seconds."""
    return calendar.timegm(
        tuple(int(x) for x in text.replace("-", " ").replace(":", " ").split()) + (0, 0, 0, 0)
    )  # type: ignore[arg-type]


def feed(agg: Aggregator, text: str) -> dict[str, list[Row]]:
    parser = Parser()
    for line in text.strip().splitlines():
        agg.feed(parser.parse("app1 acme inst1 : " + line.strip()))
    return agg.take_rows()


@pytest.fixture
def agg() -> Aggregator:
    return Aggregator(MinuteClock("UTC"))


def test_one_request_counts_and_times(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        B 1 2024-01-01 12:00:01.000000 GET /
        I 1 2024-01-01 12:00:01.100000 0
        C 1 2024-01-01 12:00:01.250000
        A 1 2024-01-01 12:00:01.750000 200 1234
        E 1 2024-01-01 12:00:01.800000
        B 2 2024-01-01 12:01:00.000000 GET /
        """,
    )
    # minute 12:00 is written at its end, 12:01:00; spr = 60 * 1 / 0.5 s
    assert rows == {INST: [(epoch("2024-01-01 12:01"), (1, 0, 0, 120.0, 0))]}


def test_spr_averages_over_timed_requests_and_errors(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        I 2 2024-01-01 12:00:01 0
        I 3 2024-01-01 12:00:01 0
        I 4 2024-01-01 12:00:01 0
        C 1 2024-01-01 12:00:02
        C 2 2024-01-01 12:00:02
        C 3 2024-01-01 12:00:02
        A 1 2024-01-01 12:00:03 500 10
        A 2 2024-01-01 12:00:05 200 OK 10
        A 3 2024-01-01 12:00:04 Error: database gone
        I 5 2024-01-01 12:01:00 0
        """,
    )
    # 3 timed requests took 1 + 3 + 2 = 6 s: 60 * 3 / 6 = 30; two errors; request 4 waits
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (3, 2, 1, 30.0, 0))]


def test_backlog_is_a_running_gauge_and_idle_minutes_are_filled(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:10 0
        I 2 2024-01-01 12:00:20 0
        I 2 2024-01-01 12:00:21 0
        C 1 2024-01-01 12:00:30
        B 3 2024-01-01 12:03:00 GET /
        C 2 2024-01-01 12:03:01
        A 2 2024-01-01 12:03:02 200 1
        B 4 2024-01-01 12:04:00 GET /
        """,
    )
    assert rows[INST] == [
        (epoch("2024-01-01 12:01"), (0, 0, 1, None, 0)),
        (epoch("2024-01-01 12:02"), (0, 0, 1, None, 0)),
        (epoch("2024-01-01 12:03"), (0, 0, 1, None, 0)),
        (epoch("2024-01-01 12:04"), (1, 0, 0, 60.0, 0)),
    ]


def test_requests_without_input_record_are_ignored(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        C 7 2024-01-01 12:00:01
        A 7 2024-01-01 12:00:02 500 1
        E 7 2024-01-01 12:00:02
        A 8 2024-01-01 12:00:02 200 1
        B 9 2024-01-01 12:01:00 GET /
        """,
    )
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (0, 0, 0, None, 0))]


def test_end_without_app_done_leaves_the_backlog(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        I 2 2024-01-01 12:00:01 0
        E 1 2024-01-01 12:00:02 Error: client went away
        B 3 2024-01-01 12:01:00 GET /
        """,
    )
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (0, 0, 1, None, 0))]


def test_app_done_without_thread_start_counts_untimed(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        A 1 2024-01-01 12:00:02 503 1
        B 3 2024-01-01 12:01:00 GET /
        """,
    )
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (1, 1, 0, None, 0))]


def test_start_keeps_completed_forgets_inflight(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        C 1 2024-01-01 12:00:01
        A 1 2024-01-01 12:00:02 200 1
        I 2 2024-01-01 12:00:03 0
        I 3 2024-01-01 12:00:03 0
        C 3 2024-01-01 12:00:04
        S 0 2024-01-01 12:00:30 0.0.0.0:8080
        A 3 2024-01-01 12:00:31 200 1
        I 1 2024-01-01 12:00:40 0
        B 9 2024-01-01 12:01:00 GET /
        """,
    )
    # request 1 completed before the restart stays; 2 and 3 were in flight: forgotten;
    # id 1 reused after the restart waits: backlog 1
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (1, 0, 1, 60.0, 1))]


def test_stop_forgets_inflight_without_start_flag(agg: Aggregator) -> None:
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        X 0 2024-01-01 12:00:02
        A 1 2024-01-01 12:00:03 200 1
        B 9 2024-01-01 12:01:00 GET /
        """,
    )
    assert rows[INST] == [(epoch("2024-01-01 12:01"), (0, 0, 0, None, 0))]


def test_time_going_backwards_is_late_and_resets_inflight(agg: Aggregator) -> None:
    text = """
        I 1 2024-01-01 12:00:01 0
        C 1 2024-01-01 12:00:01
        A 1 2024-01-01 12:00:02 200 1
        I 2 2024-01-01 12:01:01 0
        """
    first = feed(agg, text)
    assert first[INST] == [(epoch("2024-01-01 12:01"), (1, 0, 0, 60.0, 0))]
    assert feed(agg, "A 1 2024-01-01 12:00:59 200 1") == {}
    assert agg.late == 1
    rows = feed(agg, "B 3 2024-01-01 12:02:00 GET /")
    # request 2 was in flight when time went backwards: forgotten, backlog 0
    assert rows[INST] == [(epoch("2024-01-01 12:02"), (0, 0, 0, None, 0))]


def test_reading_lines_twice_counts_them_once(agg: Aggregator) -> None:
    text = """
        I 1 2024-01-01 12:00:01 0
        C 1 2024-01-01 12:00:01
        A 1 2024-01-01 12:00:02 200 1
        I 2 2024-01-01 12:01:01 0
        """
    first = feed(agg, text)
    assert feed(agg, text) == {}
    assert agg.late == 3
    rows = feed(agg, "B 3 2024-01-01 12:02:00 GET /")
    assert first[INST] == [(epoch("2024-01-01 12:01"), (1, 0, 0, 60.0, 0))]
    assert rows[INST] == [(epoch("2024-01-01 12:02"), (0, 0, 1, None, 0))]


def test_gap_filling_is_bounded() -> None:
    agg = Aggregator(MinuteClock("UTC"), max_gap_minutes=2)
    rows = feed(agg, "B 1 2024-01-01 12:00:00 GET /\nB 2 2024-01-01 13:00:00 GET /")
    assert [ts for ts, _ in rows[INST]] == [epoch("2024-01-01 12:01") + 60 * i for i in range(3)]


def test_dst_fall_back_keeps_the_repeated_hour() -> None:
    # US/Eastern 2024-11-03: 01:00-01:59 happens twice (EDT, then EST)
    agg = Aggregator(MinuteClock("America/New_York"))
    lines = []
    hours = ["00:59", "01:00", "01:30", "01:59", "01:00", "01:30", "01:59", "02:00", "02:01"]
    for rid, hhmm in enumerate(hours, 1):
        day = f"2024-11-03 {hhmm}"
        lines.append(f"I {rid} {day}:10 0\nC {rid} {day}:10\nA {rid} {day}:11 200 1")
    rows = feed(agg, "\n".join(lines))[INST]
    times = [ts for ts, _ in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert agg.late == 0
    assert sum(v[0] for _, v in rows) == 8  # every request but the last, still pending
    assert times[-1] - times[0] == 121 * 60  # 00:59 EDT .. 02:00 EST is 2 h 1 min


def test_dst_spring_forward_does_not_crash() -> None:
    agg = Aggregator(MinuteClock("America/New_York"))
    rows = feed(
        agg,
        "B 1 2024-03-10 01:59:00 GET /\nB 2 2024-03-10 03:00:00 GET /\nB 3 2024-03-10 03:01:00 x",
    )
    assert [ts for ts, _ in rows[INST]][-1] - rows[INST][0][0] == 60
    assert agg.late == 0


def test_state_round_trip_gives_the_same_minutes() -> None:
    text = [
        "I 1 2024-01-01 12:00:01 0",
        "C 1 2024-01-01 12:00:02",
        "I 2 2024-01-01 12:00:03 0",
        "A 1 2024-01-01 12:00:04 200 1",
        "C 2 2024-01-01 12:01:05",
        "A 2 2024-01-01 12:01:07 500 1",
        "B 3 2024-01-01 12:02:00 GET /",
    ]
    whole = Aggregator(MinuteClock())
    expected = feed(whole, "\n".join(text))
    first = Aggregator(MinuteClock())
    got = feed(first, "\n".join(text[:3]))
    second = Aggregator(MinuteClock())
    second.load(json.loads(json.dumps(first.dump())))
    for inst, rows in feed(second, "\n".join(text[3:])).items():
        got.setdefault(inst, []).extend(rows)
    assert got == expected


def test_close_quiet_writes_a_quiet_minute_once(agg: Aggregator) -> None:
    """Live input (read as it happens) that goes silent: the minute closes ``grace``
    seconds after its end, once."""
    feed(agg, "I 1 2024-01-01 12:00:01 0\nC 1 2024-01-01 12:00:01\nA 1 2024-01-01 12:00:02 200 1")
    read_at = epoch("2024-01-01 12:00") + 2
    agg.update_hosts(read_at)

    def close_at(now: float) -> None:
        agg.close_quiet(now=now, grace=120, silence=now - read_at)

    close_at(epoch("2024-01-01 12:01") + 119)
    assert agg.take_rows() == {}
    close_at(epoch("2024-01-01 12:01") + 120)
    close_at(epoch("2024-01-01 12:30"))
    assert agg.take_rows() == {INST: [(epoch("2024-01-01 12:01"), (1, 0, 0, 60.0, 0))]}
    rows = feed(agg, "B 1 2024-01-01 12:03:00 GET /")
    assert rows[INST] == [
        (epoch("2024-01-01 12:02"), (0, 0, 0, None, 0)),
        (epoch("2024-01-01 12:03"), (0, 0, 0, None, 0)),
    ]


def test_instances_are_independent() -> None:
    agg = Aggregator(MinuteClock())
    parser = Parser()
    for line in [
        "h1 c1 i1 I 1 2024-01-01 12:00:01 0",
        "h2 c1 i1 I 1 2024-01-01 12:00:01 0",
        "h1 c1 i1 A 1 2024-01-01 12:00:02 200 1",
        "h1 c1 i1 B 2 2024-01-01 12:01:00 GET /",
    ]:
        agg.feed(parser.parse(line))
    rows = agg.take_rows()
    assert rows == {"h1__c1__i1": [(epoch("2024-01-01 12:01"), (1, 0, 0, None, 0))]}
    assert agg.instances["h2__c1__i1"].backlog == 1
