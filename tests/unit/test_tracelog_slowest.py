"""The slowest requests of each minute: exact on a hand-written log, query strings,
bounds, and the store (never a minute twice, old days dropped, torn lines), with a log
fed in pieces through a checkpoint and a kill -9 giving the files of one pass."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from graphmetrics.collect.slowest_store import (
    SlowestStore,
    day_of,
    instance_dir,
    read_lines,
)
from graphmetrics.tracelog.aggregate import Aggregator, MinuteClock, SlowRow
from graphmetrics.tracelog.parser import Parser
from graphmetrics.tracelog.slowest import REQUEST_CHARS, describe, describe_stored, minute_json

from .test_tracelog_aggregate import INST, epoch

LOG = """
B 1 2024-01-01 12:00:01 GET /shop/item/123?session=abc
I 1 2024-01-01 12:00:01 0
C 1 2024-01-01 12:00:01.500000
A 1 2024-01-01 12:00:04.500000 200 OK 2048
E 1 2024-01-01 12:00:05
B 2 2024-01-01 12:00:02 POST /cart
I 2 2024-01-01 12:00:02 10
C 2 2024-01-01 12:00:02.250000
A 2 2024-01-01 12:00:03 500 12
E 2 2024-01-01 12:00:03.250000
B 3 2024-01-01 12:00:10 GET /fast
I 3 2024-01-01 12:00:10 0
C 3 2024-01-01 12:00:10
A 3 2024-01-01 12:00:10.100000 200 5
E 3 2024-01-01 12:00:10.100000
B 4 2024-01-01 12:00:20 GET /report
I 4 2024-01-01 12:00:20 0
A 4 2024-01-01 12:00:27 Error: timed out
E 4 2024-01-01 12:00:27
B 5 2024-01-01 12:00:30 GET /not-counted
C 5 2024-01-01 12:00:30
A 5 2024-01-01 12:00:50 200 1
E 5 2024-01-01 12:00:50
B 6 2024-01-01 12:00:40 GET /no-end
I 6 2024-01-01 12:00:40 0
C 6 2024-01-01 12:00:40
A 6 2024-01-01 12:00:46 200 7
B 7 2024-01-01 12:01:30 GET /next
B 8 2024-01-01 12:02:30 GET /later
"""


def feed(text: str, agg: Aggregator, general: bool = False) -> dict[str, list[SlowRow]]:
    parser = Parser()
    lines = ["app1 acme inst1 : " + line.strip() for line in text.strip().splitlines()]
    if general:
        for line in lines:
            agg.feed(parser.parse_general(line))
    else:
        assert agg.feed_lines(parser, lines) == []
    agg.take_rows()
    agg.take_latency()
    return agg.take_slowest()


def described(rows: dict[str, list[SlowRow]]) -> list[tuple[int, list[dict[str, Any]]]]:
    return [(start, [describe(e) for e in entries]) for start, entries in rows[INST]]


@pytest.mark.parametrize("general", [False, True])
def test_top_n_of_a_hand_written_minute(general: bool) -> None:
    rows = described(feed(LOG, Aggregator(MinuteClock("UTC"), slowest=3), general))
    noon, next_minute = epoch("2024-01-01 12:00"), epoch("2024-01-01 12:01")
    assert [start for start, _ in rows] == [noon, next_minute]
    first = rows[0][1]
    # 4: 7 s (no C), 1: 4 s, 3: 0.1 s, 2: 1.25 s -> the three slowest; 5 had no I
    assert first == [
        {"total": 7.0, "app": None, "wait": None, "id": "4", "method": "GET",
         "url": "/report", "status": "Error", "size": None},
        {"total": 4.0, "app": 3.0, "wait": 0.5, "id": "1", "method": "GET",
         "url": "/shop/item/123", "status": "200", "size": 2048},
        {"total": 1.25, "app": 0.75, "wait": 0.25, "id": "2", "method": "POST",
         "url": "/cart", "status": "500", "size": 12},
    ]  # fmt: skip
    # 6 was answered without an E: B -> A, in the next minute
    assert rows[1][1] == [
        {"total": 6.0, "app": 6.0, "wait": 0.0, "id": "6", "method": "GET",
         "url": "/no-end", "status": "200", "size": 7},
    ]  # fmt: skip


def test_the_query_string_is_kept_on_request() -> None:
    rows = described(feed(LOG, Aggregator(MinuteClock("UTC"), keep_query=True)))
    urls = [r["url"] for r in rows[0][1]]
    assert "/shop/item/123?session=abc" in urls
    assert len(rows[0][1]) == 4  # fewer than the default 10


def test_none_kept_with_zero() -> None:
    agg = Aggregator(MinuteClock("UTC"), slowest=0)
    assert feed(LOG, agg) == {}
    # requests in flight keep their begin time only
    in_flight = [p for st in agg.instances.values() if st.lat for p in st.lat.began.values()]
    assert all(not p.request and p.app == -1.0 for p in in_flight)


def test_bounds_url_length_n_and_requests_in_flight() -> None:
    lines = []
    for rid in range(50):
        lines += [
            f"B {rid} 2024-01-01 12:00:00 GET /{'x' * 1000}/{rid}",
            f"I {rid} 2024-01-01 12:00:00 0",
            f"C {rid} 2024-01-01 12:00:00",
            f"A {rid} 2024-01-01 12:00:{rid:02d} 200 {'9' * 500}",
            f"E {rid} 2024-01-01 12:00:{rid:02d}",
        ]
    lines += [f"B never{n} 2024-01-01 12:00:59 GET /stuck" for n in range(20)]
    # a jump of an hour, confirmed by six records, and the minute after it closes
    lines += [f"B j{n} 2024-01-01 13:05:00 GET /" for n in range(6)]
    lines.append("B last 2024-01-01 13:06:00 GET /")
    agg = Aggregator(MinuteClock("UTC"), slowest=5)
    rows = feed("\n".join(lines), agg)[INST]
    assert [len(entries) for _, entries in rows] == [5]
    assert [e[0] for e in rows[0][1]] == [49.0, 48.0, 47.0, 46.0, 45.0]
    assert all(len(e[4]) == REQUEST_CHARS for e in rows[0][1])
    assert describe(rows[0][1][0])["size"] is None  # the size was cut: not a number
    lat = agg.instances[INST].lat
    # the stuck ones are forgotten an hour after their B
    assert lat is not None and set(lat.began) == {"last", *(f"j{n}" for n in range(6))}


def request_lines(rng: random.Random, n: int) -> list[str]:
    lines = []
    for rid in range(n):
        b = rng.uniform(0, 600)
        c = b + rng.expovariate(5)
        a = c + rng.expovariate(1)

        def at(t: float) -> str:
            return f"2024-01-01 12:{int(t // 60):02d}:{t % 60:09.6f}"

        url = f"/p/{rng.randint(1, 30)}?q={rid}"
        lines += [
            f"B {rid} {at(b)} GET {url}",
            f"I {rid} {at(b)} 0",
            f"C {rid} {at(c)}",
            f"A {rid} {at(a)} 200 {rid}",
        ]
        if rng.random() < 0.9:
            lines.append(f"E {rid} {at(a + 0.01)}")
    lines.sort(key=lambda line: line.split()[3])
    return ["app1 acme inst1 : " + line for line in lines]


def stored(root: Path) -> dict[str, list[str]]:
    folder = instance_dir(root, INST)
    return {p.name: p.read_text().splitlines() for p in sorted(folder.glob("*.jsonl"))}


def run(lines: list[str], agg: Aggregator, store: SlowestStore) -> None:
    parser = Parser()
    assert agg.feed_lines(parser, lines) == []
    agg.take_rows()
    store.write(agg.take_slowest())


NOW = float(epoch("2024-01-02 00:00"))


@pytest.mark.parametrize("cuts", [(700, 1500), (37, 2900), (1800, 1801)])
def test_pieces_checkpoint_and_kill_9_store_what_one_pass_stores(
    tmp_path: Path, cuts: tuple[int, int]
) -> None:
    lines = request_lines(random.Random(sum(cuts)), 700)
    clock = lambda: NOW  # noqa: E731
    one = tmp_path / "one"
    run(lines, Aggregator(MinuteClock("UTC"), slowest=4), SlowestStore(one, clock=clock))
    expected = stored(one)
    assert sum(len(v) for v in expected.values()) >= 9
    # in pieces: a checkpoint at cuts[0]; lines to cuts[1] are stored, then kill -9,
    # and a new process starts from the checkpoint and reads everything after it again
    pieces = tmp_path / "pieces"
    agg = Aggregator(MinuteClock("UTC"), slowest=4)
    run(lines[: cuts[0]], agg, SlowestStore(pieces, clock=clock))
    checkpoint = json.dumps(agg.dump())
    lost = SlowestStore(pieces, clock=clock)
    run(lines[cuts[0] : cuts[1]], agg, lost)
    again = Aggregator(MinuteClock("UTC"), slowest=4)
    again.load(json.loads(checkpoint))
    restarted = SlowestStore(pieces, clock=clock)
    run(lines[cuts[0] :], again, restarted)
    assert stored(pieces) == expected
    assert restarted.counters.stored == lost.counters.minutes  # replayed, not stored again


def test_a_minute_is_never_stored_twice(tmp_path: Path) -> None:
    store = SlowestStore(tmp_path, clock=lambda: NOW)
    entry = (2.0, 1.0, 0.5, "1", "GET /a", "200 3")
    start = epoch("2024-01-01 12:00")
    store.write({INST: [(start, [entry]), (start + 60, [entry])]})
    store.write({INST: [(start + 60, [entry]), (start + 120, [entry])]})
    SlowestStore(tmp_path, clock=lambda: NOW).write({INST: [(start + 60, [entry])]})
    got = [p[0] for p in read_lines(instance_dir(tmp_path, INST) / "2024-01-01.jsonl") if p]
    assert got == [start, start + 60, start + 120]
    assert store.counters.stored == 1 and store.counters.minutes == 3


def test_old_days_are_deleted_and_not_written(tmp_path: Path) -> None:
    now = float(epoch("2024-01-10 12:00"))
    folder = instance_dir(tmp_path, INST)
    folder.mkdir(parents=True)
    for day in ("2024-01-01", "2024-01-03", "2024-01-04", "2024-01-09"):
        (folder / f"{day}.jsonl").write_text("")
    (tmp_path / "slowest" / "app1__acme__gone").mkdir()
    (tmp_path / "slowest" / "app1__acme__gone" / "2024-01-02.jsonl").write_text("")
    store = SlowestStore(tmp_path, keep_days=7, clock=lambda: now)
    entry = (2.0, 1.0, 0.5, "1", "GET /a", "200 3")
    store.write(
        {INST: [(epoch("2024-01-03 23:59"), [entry]), (epoch("2024-01-10 11:00"), [entry])]}
    )
    assert sorted(p.name for p in folder.iterdir()) == [
        "2024-01-04.jsonl",
        "2024-01-09.jsonl",
        "2024-01-10.jsonl",
    ]
    assert not (tmp_path / "slowest" / "app1__acme__gone").exists()
    assert store.counters.expired == 1 and store.counters.deleted_files == 3
    assert day_of(epoch("2024-01-03 23:59")) == "2024-01-03"


def test_a_torn_line_is_ended_and_skipped(tmp_path: Path) -> None:
    store = SlowestStore(tmp_path, clock=lambda: NOW)
    entry = (2.0, 1.0, 0.5, "1", "GET /a", "200 3")
    start = epoch("2024-01-01 12:00")
    store.write({INST: [(start, [entry])]})
    path = instance_dir(tmp_path, INST) / "2024-01-01.jsonl"
    with open(path, "a") as f:
        f.write(f'{{"t":{start + 60},"r":[[1.2')  # kill -9 mid-write
    again = SlowestStore(tmp_path, clock=lambda: NOW)
    again.write({INST: [(start + 60, [entry]), (start + 120, [entry])]})
    parsed = list(read_lines(path))
    assert [p[0] if p else None for p in parsed] == [start, None, start + 60, start + 120]
    assert again.counters.torn == 1


def test_a_full_day_file_stops_growing(tmp_path: Path) -> None:
    store = SlowestStore(tmp_path, max_day_bytes=400, clock=lambda: NOW)
    entry = (2.0, 1.0, 0.5, "1", "GET /a", "200 3")
    start = epoch("2024-01-01 12:00")
    store.write({INST: [(start + 60 * i, [entry]) for i in range(10)]})
    path = instance_dir(tmp_path, INST) / "2024-01-01.jsonl"
    assert path.stat().st_size <= 400
    assert store.counters.minutes + store.counters.full == 10 and store.counters.full > 0


def test_a_stored_line_reads_back() -> None:
    entry = (1.5, -1.0, 0.25, "7", "GET /a HTTP/1.1", "200 OK 12")
    line = json.loads(minute_json(1700000040, [entry]))
    assert line == {
        "t": 1700000040,
        "r": [[1500000, None, 250000, "7", "GET /a HTTP/1.1", "200 OK 12"]],
    }
    assert describe_stored(line["r"][0]) == {
        "total": 1.5, "app": None, "wait": 0.25, "id": "7", "method": "GET", "url": "/a",
        "status": "200", "size": 12,
    }  # fmt: skip
    bad_items = (
        [1.5],
        "x",
        [True, None, None, "1", "", ""],
        [1, None, None, 1, "", ""],
        [1.5, None, None, "1", "", ""],
        [-1, None, None, "1", "", ""],
    )
    for bad in bad_items:
        assert describe_stored(bad) is None
    rng = random.Random(11)
    words = ["GET", "/a/1", 'x"y', "a\\b", "é", "\t", "", "?", "HTTP/1.1", "Error:", "200", "12"]

    def text() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(0, 4)))

    for _ in range(300):
        entries = [
            (
                rng.uniform(0, 100),
                rng.choice([-1.0, rng.uniform(0, 10)]),
                -1.0,
                text(),
                text(),
                text(),
            )
            for _ in range(rng.randint(0, 3))
        ]
        stored = json.loads(minute_json(60, entries))["r"]
        for entry, item in zip(entries, stored, strict=True):
            got = describe_stored(item)
            assert got is not None and got == describe(entry)
            assert got["total"] == pytest.approx(entry[0], abs=1e-6)
            assert (got["app"] is None) is (entry[1] < 0) and got["wait"] is None
            assert item[3:] == list(entry[3:])
