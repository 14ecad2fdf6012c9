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
    agg = Aggregator(MinuteClock("UTC"), max_gap_minutes=2, jump_seconds=0)
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


def test_a_future_record_is_skipped_and_holds_nothing(agg: Aggregator) -> None:
    agg.future_limit = epoch("2024-01-01 13:00")
    rows = feed(
        agg,
        """
        I 1 2024-01-01 12:00:01 0
        B 9 2099-01-01 12:00:01 GET /
        B 9 9999-12-31 23:59:59 GET /
        C 1 2024-01-01 12:00:01
        A 1 2024-01-01 12:00:02 200 1
        B 2 2024-01-01 12:01:00 GET /
        """,
    )
    assert rows == {INST: [(epoch("2024-01-01 12:01"), (1, 0, 0, 60.0, 0))]}
    assert (agg.future, agg.late) == (2, 0)
    agg.update_hosts(epoch("2024-01-01 12:01"))
    assert agg.hosts["app1"][0] == epoch("2024-01-01 12:01")


def test_a_future_minute_saved_by_an_older_version_is_dropped(agg: Aggregator) -> None:
    feed(agg, "B 9 2099-01-01 12:00:01 GET /")
    agg.future_limit = epoch("2024-01-01 13:00")
    agg.drop_future()
    assert feed(agg, "B 1 2024-01-01 12:00:01 GET /\nB 2 2024-01-01 12:01:00 GET /")[INST]
    assert (agg.future, agg.late) == (1, 0)


def two_instances(agg: Aggregator, lines: list[str]) -> dict[str, list[Row]]:
    parser = Parser()
    for line in lines:
        agg.feed(parser.parse(line))
    return agg.take_rows()


def test_a_quiet_minute_closes_by_its_hosts_clock_not_the_wall_clock(agg: Aggregator) -> None:
    """Old input read today: the wall clock says nothing; another instance of the host
    that is ``grace`` past the minute's end closes it, one of another host does not."""
    wall = epoch("2026-01-01 00:00")
    two_instances(
        agg, ["h1 c quiet I 1 2024-01-01 12:00:01 0", "h2 c other B 1 2024-01-01 12:05:00 x"]
    )
    agg.update_hosts(wall)
    agg.close_quiet(now=wall + 3600, grace=2, silence=3600)
    assert agg.take_rows() == {}  # paused replay: silent for an hour, and nothing closes
    two_instances(agg, ["h1 c busy B 1 2024-01-01 12:01:01.5 x"])
    agg.update_hosts(wall + 3600)
    agg.close_quiet(now=wall + 3600, grace=2, silence=0)
    assert agg.take_rows() == {}
    two_instances(agg, ["h1 c busy B 2 2024-01-01 12:01:02 x"])
    agg.update_hosts(wall + 3601)
    agg.close_quiet(now=wall + 3601, grace=2, silence=0)
    assert agg.take_rows() == {"h1__c__quiet": [(epoch("2024-01-01 12:01"), (0, 0, 1, None, 0))]}


def test_silence_moves_a_live_hosts_clock_on_later_by_its_lag(agg: Aggregator) -> None:
    """Input read 30 s after it was written, then silence: its minute closes at its end
    plus grace plus those 30 s."""
    two_instances(agg, ["h1 c i1 B 1 2024-01-01 12:00:10 x"])
    agg.update_hosts(epoch("2024-01-01 12:00") + 40)

    def rows_at(offset: int) -> dict[str, list[Row]]:
        now = epoch("2024-01-01 12:01") + offset
        agg.close_quiet(now=now, grace=5, silence=now - epoch("2024-01-01 12:00") - 40)
        return agg.take_rows()

    assert rows_at(34) == {}
    assert rows_at(35) == {"h1__c__i1": [(epoch("2024-01-01 12:01"), (0, 0, 0, None, 0))]}


def test_closing_quiet_minutes_early_gives_the_rows_of_one_pass() -> None:
    """Closing quiet minutes as the input goes on, gaps beyond the limit included, gives
    exactly the rows of the same records fed with no closing at all."""
    lines = [
        "h1 c a I 1 2024-01-01 12:00:01 0",
        "h1 c b B 1 2024-01-01 12:03:00 x",
        "h1 c a I 2 2024-01-01 12:06:01 0",
        "h1 c b B 2 2024-01-01 12:09:00 x",
        "h1 c a A 2 2024-01-01 12:09:30 200 1",
        "h1 c b B 3 2024-01-01 13:30:00 x",
        "h1 c a B 4 2024-01-01 13:31:00 x",
    ]
    one_pass = Aggregator(MinuteClock(), max_gap_minutes=3)
    expected = two_instances(one_pass, lines)
    closing = Aggregator(MinuteClock(), max_gap_minutes=3)
    got: dict[str, list[Row]] = {}
    for n, line in enumerate(lines):
        for name, rows in two_instances(closing, [line]).items():
            got.setdefault(name, []).extend(rows)
        closing.update_hosts(float(n))
        closing.close_quiet(now=1e10, grace=60, silence=0)
        for name, rows in closing.take_rows().items():
            got.setdefault(name, []).extend(rows)
    for name, rows in expected.items():
        assert got[name][: len(rows)] == rows
    assert closing.late == 0


def test_host_clocks_survive_a_restart() -> None:
    first = Aggregator(MinuteClock())
    two_instances(first, ["h1 c a I 1 2024-01-01 12:00:01 0", "h1 c b B 1 2024-01-01 12:00:30 x"])
    wall = epoch("2026-01-01 00:00")
    first.update_hosts(wall)
    second = Aggregator(MinuteClock())
    second.load(json.loads(json.dumps(first.dump())))
    assert second.hosts == first.hosts
    two_instances(second, ["h1 c b B 2 2024-01-01 12:01:02 x"])
    second.update_hosts(wall + 100)
    second.close_quiet(now=wall + 100, grace=1, silence=0)
    assert second.take_rows() == {"h1__c__a": [(epoch("2024-01-01 12:01"), (0, 0, 1, None, 0))]}


def requests_at(*minutes: str) -> list[str]:
    lines = []
    for rid, minute in enumerate(minutes, 1):
        lines += [
            f"B {rid} {minute}:01 GET /",
            f"I {rid} {minute}:01 0",
            f"C {rid} {minute}:02",
            f"A {rid} {minute}:03 200 1",
            f"E {rid} {minute}:03",
        ]
    return lines


def feed_all(agg: Aggregator, lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        rows += feed(agg, line).get(INST, [])
    return rows


def test_one_line_far_ahead_of_its_neighbours_is_future_and_costs_nothing() -> None:
    """In an old log replayed (the wall clock says nothing), a line 55 min ahead of its
    instance's neighbours is held, then dropped when the next lines are not."""
    lines = requests_at(*(f"2024-01-01 10:0{m}" for m in range(6)))
    bogus = lines[:12] + ["B 99 2024-01-01 10:57:00 GET /"] + lines[12:]
    agg, reference = Aggregator(MinuteClock("UTC")), Aggregator(MinuteClock("UTC"))
    assert feed_all(agg, bogus) == feed_all(reference, lines)
    assert (agg.future, agg.late) == (1, 0)
    assert agg.instances[INST].epoch == epoch("2024-01-01 10:05")


def test_a_genuine_quiet_hour_is_confirmed_by_the_records_after_it() -> None:
    lines = requests_at("2024-01-01 10:00", "2024-01-01 10:01", "2024-01-01 11:00")
    lines += requests_at("2024-01-01 11:01", "2024-01-01 11:02")
    agg, plain = Aggregator(MinuteClock("UTC")), Aggregator(MinuteClock("UTC"), jump_seconds=0)
    got = feed_all(agg, lines)
    assert got == feed_all(plain, lines) and agg.future == 0
    assert [ts for ts, _ in got][:3] == [
        epoch("2024-01-01 10:01"),
        epoch("2024-01-01 10:02"),
        epoch("2024-01-01 10:03"),
    ]


def test_records_held_for_a_jump_are_saved_with_the_state() -> None:
    lines = requests_at("2024-01-01 10:00", "2024-01-01 11:00", "2024-01-01 11:01")
    agg = Aggregator(MinuteClock("UTC"))
    first = feed_all(agg, lines[:8])  # 3 records past the jump held
    assert agg.instances[INST].jump
    restarted = Aggregator(MinuteClock("UTC"))
    restarted.load(json.loads(json.dumps(agg.dump())))
    rows = first + feed_all(restarted, lines[8:])
    assert rows == feed_all(Aggregator(MinuteClock("UTC"), jump_seconds=0), lines)
