"""Per-instance, per-minute tracelog statistics (pure: records in, RRD rows out).

For every instance and minute (docs/inputs.md, "What is computed"):

* ``rpm``   requests completed (A records) in the minute,
* ``epm``   of those, errors (status 5xx or ``Error:``),
* ``bl``    backlog at the end of the minute: requests that read their input (I)
            and wait for an application thread (no C yet); a running gauge,
* ``spr``   estimated max requests/minute per thread: ``60 * n / sum(A - C)``
            over the n requests timed in the minute, UNKNOWN when none,
* ``start`` 1 in a minute where the server (re)started.

A request counts only when its I record was seen in the current server run.
A minute is emitted once a record of a later minute arrives for the instance, at
the minute's end.  Minutes without any record between two that have records are
emitted as idle (no requests, the backlog carried over), so an RRD never stretches
a busy minute over a quiet gap.  Records of a minute before the pending one (a
re-read, a clock jump back) cannot be written any more: they are counted as late,
and the in-flight requests are forgotten, as after a restart.  Records of a minute
more than a tolerance ahead of the wall clock (:attr:`Aggregator.future_limit`) are
counted as future and skipped, so one bad date cannot hold an instance.

A live daemon also closes the pending minute of a quiet instance
(:meth:`Aggregator.close_quiet`), judged by the input's own clock: the newest record
read from the same host, not the wall clock, so input that arrives late, in bursts
or in pieces is counted exactly as one pass over it would count it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from graphmetrics.rrd.layout import INSTANCE_SEP
from graphmetrics.tracelog.latency import ApdexTargets, LatencyState, LatencyValues
from graphmetrics.tracelog.parser import Parser
from graphmetrics.tracelog.pools import Pools
from graphmetrics.tracelog.records import MalformedLine, Record
from graphmetrics.tracelog.slowest import (
    DEFAULT_SLOWEST,
    SlowEntry,
    record_text,
)

Values = tuple[int, int, int, float | None, int]
Row = tuple[int, Values]
#: a minute's response times (latency.LATENCY_DS), written beside its Row
LatencyRow = tuple[int, LatencyValues]
#: a minute's slowest requests (its start, slowest first), written beside its Row
SlowRow = tuple[int, list[SlowEntry]]
#: a record held while a jump forward waits to be confirmed: code, id, minute, seconds,
#: status, text (the B or A arguments the slowest requests keep)
Held = tuple[int, str, str, float, int, str]

#: a record more than this many seconds past its instance's pending minute is a jump:
#: held until the following records confirm it (docs/inputs.md, "Clocks")
JUMP_SECONDS = 600
#: records past the jump that confirm it (more than one request's B I C A E)
CONFIRM_RECORDS = 6

#: an idle instance holds its customer's pool minute until its host's newest record is
#: this many seconds past the minute's end (docs/inputs.md, "Pools")
POOL_GRACE = 60

#: what ``InstanceState.inflight`` answers for a request whose I was not seen (its
#: values are None or a C record's epoch time, never negative)
NO_REQUEST: Final = -1.0

#: longest quiet gap (minutes) filled with idle rows; beyond it the RRD stays unknown
MAX_GAP_MINUTES = 24 * 60
_CACHE_LIMIT = 100_000
_SEP: Final = INSTANCE_SEP


class MinuteClock:
    """Converts local ``YYYY-MM-DD HH:MM`` minutes to epoch seconds in one time zone.

    Both readings of an ambiguous minute (the hour repeated when DST ends) are
    returned, earlier first, so the aggregator can keep time moving forward.
    """

    def __init__(self, timezone: str = "UTC") -> None:
        self.zone = ZoneInfo(timezone)
        self._cache: dict[str, tuple[int, int]] = {}

    def epochs(self, minute: str) -> tuple[int, int]:
        found = self._cache.get(minute)
        if found is None:
            naive = datetime.strptime(minute, "%Y-%m-%d %H:%M")
            first = int(naive.replace(tzinfo=self.zone, fold=0).timestamp())
            second = int(naive.replace(tzinfo=self.zone, fold=1).timestamp())
            found = (min(first, second), max(first, second))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[minute] = found
        return found


@dataclass(slots=True)
class InstanceState:
    """The pending minute of one instance and its requests in flight.

    ``inflight`` maps a request id to None while it waits for a thread (I seen,
    no C yet), then to the epoch time of its C record.
    """

    minute: str = ""
    epoch: int = 0
    rpm: int = 0
    epm: int = 0
    timed: int = 0
    busy: float = 0.0
    start: int = 0
    backlog: int = 0
    inflight: dict[str, float | None] = field(default_factory=dict)
    #: the pending minute was opened by :meth:`Aggregator.close_quiet`, not by a record
    idle: bool = False
    #: the seconds (within the minute) of the newest record fed since the last
    #: :meth:`Aggregator.close_quiet`, or -1.0 for none (not saved)
    last_seconds: float = -1.0
    #: response times (made at the instance's first B; saved by :meth:`Aggregator.dump`)
    lat: LatencyState | None = None
    #: records past a jump forward, held until confirmed (or found bogus)
    jump: list[Held] = field(default_factory=list)

    def values(self) -> Values:
        spr = 60.0 * self.timed / self.busy if self.timed and self.busy > 0 else None
        return (self.rpm, self.epm, self.backlog, spr, self.start)

    def forget_inflight(self) -> None:
        self.inflight.clear()
        self.backlog = 0
        if self.lat is not None:
            self.lat.forget()

    def dump(self) -> list[Any]:
        return [
            self.minute,
            self.epoch,
            self.rpm,
            self.epm,
            self.timed,
            self.busy,
            self.start,
            self.backlog,
            self.inflight,
            self.idle,
            [list(held) for held in self.jump],
        ]

    @classmethod
    def load(cls, data: list[Any]) -> InstanceState:
        minute, epoch, rpm, epm, timed, busy, start, backlog, inflight, idle = data[:10]
        saved = data[10] if len(data) > 10 else []
        jump: list[Held] = [
            (
                int(h[0]),
                str(h[1]),
                str(h[2]),
                float(h[3]),
                int(h[4]),
                str(h[5]) if len(h) > 5 else "",
            )
            for h in saved
        ]
        state = cls(
            str(minute),
            int(epoch),
            int(rpm),
            int(epm),
            int(timed),
            float(busy),
            int(start),
            int(backlog),
            dict(inflight),
            bool(idle),
        )
        state.jump = jump
        return state


class Aggregator:
    """Feeds records; completed minutes accumulate as rows until :meth:`take_rows`."""

    def __init__(
        self,
        clock: MinuteClock,
        max_gap_minutes: int = MAX_GAP_MINUTES,
        apdex: ApdexTargets | None = None,
        jump_seconds: int = JUMP_SECONDS,
        slowest: int = DEFAULT_SLOWEST,
        keep_query: bool = False,
    ) -> None:
        self.clock = clock
        self.apdex = apdex if apdex is not None else ApdexTargets()
        #: the slowest requests kept per instance and minute (0: none)
        self.slowest = slowest
        #: keep the query string of the slowest requests' URLs
        self.keep_query = keep_query
        #: per instance, the slowest requests of the minutes in :attr:`rows`
        self.slow_rows: dict[str, list[SlowRow]] = {}
        #: per instance, the response times of the minutes in :attr:`rows`
        self.latency_rows: dict[str, list[LatencyRow]] = {}
        self.max_gap = max_gap_minutes
        #: a record this far past the pending minute is held until confirmed (0: never)
        self.jump_seconds = jump_seconds
        self.instances: dict[str, InstanceState] = {}
        self.rows: dict[str, list[Row]] = {}
        self.late = 0
        self.future = 0
        #: records of a minute starting after this epoch are skipped as future
        self.future_limit = float("inf")
        #: per host: (newest record time, wall time when it was read), both epoch seconds
        self.hosts: dict[str, tuple[float, float]] = {}
        #: every customer's response times over all its instances
        self.pools = Pools()

    def feed_lines(
        self, parser: Parser, lines: list[str], first_lineno: int = 1
    ) -> list[tuple[int, MalformedLine]]:
        """Parse and feed ``lines``; returns (line number, error) of the lines skipped.

        This is the collector's hot loop; it lives here, next to :meth:`feed`, so that
        both compile together when the package is built with mypyc.  Lines the parser's
        fast path takes are fed from where their parts lie in the line, without a
        :class:`Record`; the id is cut out only for the codes that use it.
        """
        skipped: list[tuple[int, MalformedLine]] = []
        slowest = self.slowest > 0
        for index, line in enumerate(lines):
            instance, code, rid_at, rid_end, minute, _, _, rest_at, seconds = parser.scan(line)
            if instance:
                rid = line[rid_at:rid_end] if uses_rid(code) or code == 66 else ""
                status = ord(line[rest_at]) if code == 65 and rest_at < len(line) else 0
                if slowest:  # the arguments, cut only if the request is one of the slowest
                    self.feed_parts(instance, code, rid, minute, seconds, status, line, rest_at)
                else:
                    self.feed_parts(instance, code, rid, minute, seconds, status)
                continue
            try:
                rec = parser.parse_general(line)
            except MalformedLine as exc:
                skipped.append((first_lineno + index, exc))
                continue
            self.feed(rec)
        return skipped

    def feed(self, rec: Record) -> None:
        status = rec.status
        code = ord(rec.code)
        text = rec.rest if self.slowest > 0 else ""
        self.feed_parts(
            rec.instance,
            code,
            rec.rid,
            rec.minute,
            rec.seconds,
            ord(status) if status else 0,
            text,
        )

    def feed_parts(
        self,
        instance: str,
        code: int,
        rid: str,
        minute: str,
        seconds: float,
        status: int,
        text: str = "",
        at: int = 0,
    ) -> None:
        """Feed one record given by its parts: ``code`` and ``status`` (the first character
        of the arguments, or 0) as ``ord``; ``text[at:]`` its arguments, of which a B's
        and an A's are kept for the slowest requests (:mod:`~graphmetrics.tracelog.slowest`)."""
        st = self.instances.get(instance)
        if st is None:
            st = self.instances[instance] = InstanceState()
        if minute != st.minute:
            if (
                self.jump_seconds
                and st.minute
                and self._held_for_jump(instance, st, code, rid, minute, seconds, status, text, at)
            ):
                return
            if not self._advance(instance, st, minute):
                if not st.minute:
                    del self.instances[instance]
                return
        elif st.jump:
            self._bogus_jump(st)
        elif st.idle:
            st.idle = False
        st.last_seconds = seconds
        inflight = st.inflight
        # one lookup a record: a request's C time (>= 0) or None (waiting for a thread),
        # NO_REQUEST when its I was not seen
        if code == 73:  # I
            if inflight.get(rid, NO_REQUEST) is not None:
                inflight[rid] = None
                st.backlog += 1
        elif code == 67:  # C
            began = inflight.get(rid, NO_REQUEST)
            if began is None or began >= 0.0:
                if began is None:
                    st.backlog -= 1
                inflight[rid] = st.epoch + seconds
                if st.lat is not None:
                    st.lat.start(rid, st.epoch + seconds)
        elif code == 65:  # A
            began = inflight.get(rid, NO_REQUEST)
            if began is None or began >= 0.0:
                del inflight[rid]  # not pop(): a method call when compiled, del is not
                st.rpm += 1
                error = status == 53 or status == 69  # "5", "E"
                if error:
                    st.epm += 1
                app = -1.0
                if began is None:
                    st.backlog -= 1
                else:
                    app = st.epoch + seconds - began
                    st.timed += 1
                    st.busy += app
                if st.lat is not None:
                    st.lat.answer(rid, st.epoch + seconds, app, error, text, at)
        elif code == 69:  # E
            began = inflight.get(rid, NO_REQUEST)
            if began is None or began >= 0.0:
                if began is None:
                    st.backlog -= 1
                del inflight[rid]
            if st.lat is not None:
                st.lat.end(rid, st.epoch + seconds)
        elif code == 66:  # B
            lat = st.lat
            if lat is None:
                target = self.apdex.target(customer_of(instance))
                lat = st.lat = LatencyState(target, self.slowest, self.keep_query)
            lat.begin(rid, st.epoch + seconds, text, at)
        elif code == 83:  # S
            st.start = 1
            st.forget_inflight()
        elif code == 88:  # X
            st.forget_inflight()

    def _held_for_jump(
        self,
        instance: str,
        st: InstanceState,
        code: int,
        rid: str,
        minute: str,
        seconds: float,
        status: int,
        text: str,
        at: int,
    ) -> bool:
        """Judge a record of another minute against the input's own clock: one more
        than ``jump_seconds`` past the pending minute is held until ``CONFIRM_RECORDS``
        records past it confirm the jump (an instance busy again after a quiet spell);
        a record near the pending minute instead shows the held ones were ahead of
        their neighbours (a bad clock): they are counted as future and dropped.
        True when the record was held."""
        early, late = self.clock.epochs(minute)
        when = early if early > st.epoch else late  # as _advance reads it (DST)
        if when <= st.epoch + self.jump_seconds:
            if st.jump:
                self._bogus_jump(st)
            return False
        kept = record_text(code, text, at, self.keep_query) if self.slowest > 0 else ""
        st.jump.append((code, rid, minute, seconds, status, kept))
        if len(st.jump) >= CONFIRM_RECORDS:
            held, st.jump = st.jump, []
            if not self._advance(instance, st, held[0][2]):  # the jump, confirmed
                self.future += len(held) - 1  # ahead of the wall clock: one counted
                return True
            for h_code, h_rid, h_minute, h_seconds, h_status, h_text in held:
                self.feed_parts(instance, h_code, h_rid, h_minute, h_seconds, h_status, h_text)
        return True

    def _bogus_jump(self, st: InstanceState) -> None:
        self.future += len(st.jump)
        st.jump = []

    def _advance(self, name: str, st: InstanceState, minute: str) -> bool:
        """Move ``st`` to ``minute``; False (counted) when that minute is past or future."""
        early, late = self.clock.epochs(minute)
        if early > self.future_limit:
            self.future += 1
            return False
        if not st.minute:
            st.minute, st.epoch = minute, early
            return True
        if early > st.epoch:
            epoch = early
        elif late > st.epoch:
            epoch = late
        elif early == st.epoch:
            st.minute = minute
            return True
        else:
            st.forget_inflight()
            self.late += 1
            return False
        self._close_minute(name, st, epoch)
        st.minute, st.epoch, st.idle = minute, epoch, False
        return True

    def _close_minute(self, name: str, st: InstanceState, next_epoch: int) -> None:
        rows = self.rows.setdefault(name, [])
        # the gap is bounded from the last minute that had records, as if never closed early
        base = st.epoch - 60 if st.idle else st.epoch
        gap_end = min(next_epoch, base + 60 * (self.max_gap + 1))
        if not st.idle or st.epoch + 60 <= gap_end:
            rows.append((st.epoch + 60, st.values()))
            if st.lat is not None:
                minute = st.lat.close(st.epoch)
                if not minute.empty():
                    self.latency_rows.setdefault(name, []).append((st.epoch + 60, minute.values()))
                    self.pools.add(customer_of(name), st.epoch, minute)
                if minute.slowest.heap and self.slowest > 0:
                    slow = minute.slowest.ordered()[: self.slowest]
                    self.slow_rows.setdefault(name, []).append((st.epoch, slow))
        idle: Values = (0, 0, st.backlog, None, 0)
        rows.extend((end, idle) for end in range(st.epoch + 120, gap_end + 1, 60))
        st.rpm = st.epm = st.timed = st.start = 0
        st.busy = 0.0

    def close_quiet(self, now: float, grace: float, silence: float) -> None:
        """Close the pending minutes of quiet instances, judged by the input's own clock.

        ``now`` is the wall clock and ``silence`` how long no line at all has been read.
        A pending minute closes when the newest record from the instance's host (never
        counted past ``now``) is ``grace`` seconds past its end: the input shows the
        minute is over.  Only when the whole input has been silent does time go on
        without data: then each host's clock advances with the silence, once the
        silence is longer than ``grace`` plus how late that host's input was when last
        read; input replayed hours late, paused, waits for more input instead.

        A live daemon calls this after each read; ``--once`` never does, its minutes
        close by data alone.  A minute closed this way gives the same rows as if the
        instance's next record had closed it; the quiet minutes after it are written,
        as idle, when that record arrives.
        """
        self.update_hosts(now - silence)
        for name, st in self.instances.items():
            if not st.minute or st.idle:
                continue
            clock = self.hosts.get(host_of(name))
            if clock is None:
                continue
            newest, read_at = clock
            newest = min(newest, now)
            end = st.epoch + 60
            due = newest >= end + grace
            if not due and silence >= grace:
                lag = max(0.0, read_at - newest)
                due = silence >= grace + lag and newest + silence >= end + grace
            if due:
                self._close_minute(name, st, end)
                st.epoch, st.idle = end, True
                st.minute = datetime.fromtimestamp(end, self.clock.zone).strftime("%Y-%m-%d %H:%M")

    def update_hosts(self, read_at: float) -> None:
        """Fold the records fed since the last call into their hosts' clocks, as read at
        wall time ``read_at``."""
        hosts = self.hosts
        for name, st in self.instances.items():
            if st.last_seconds < 0.0:
                continue
            when = st.epoch + st.last_seconds
            st.last_seconds = -1.0
            host = host_of(name)
            known = hosts.get(host)
            if known is None or when > known[0]:
                hosts[host] = (when, read_at)

    def close_pools(self, host_wait: float = float("inf")) -> None:
        """Close the pool minutes no instance of their customer can add to any more.

        An instance holds its customer's pool from its pending minute on: what it
        counts there is added when it closes that minute.  An idle instance (its
        minute closed by :meth:`close_quiet`) holds only until its host's newest
        record is :data:`POOL_GRACE` seconds past the minute's end.  An instance
        whose host was last read ``host_wait`` wall seconds before the latest read
        host holds nothing (a host gone quiet while the others go on; when all the
        input pauses, nothing is gone).  An instance seen for the first time, or a
        host back after that, adds only to pool minutes still open (the rest is
        counted in ``pools.late``).
        """
        pools = self.pools
        if not pools.pending:
            return
        never = 2**62
        bounds = dict.fromkeys(pools.pending, never)
        hosts = self.hosts
        gone_before = float("-inf")
        if hosts and host_wait != float("inf"):
            gone_before = max(read_at for _, read_at in hosts.values()) - host_wait
        for name, st in self.instances.items():
            customer = customer_of(name)
            bound = bounds.get(customer)
            if bound is None or not st.minute:
                continue
            clock = hosts.get(host_of(name))
            if clock is not None and clock[1] < gone_before:
                continue
            held = st.epoch
            if st.idle and clock is not None:
                over = int(clock[0]) - 60 - POOL_GRACE  # minutes starting by then are over
                held = max(held, over - over % 60 + 60)
            if held < bound:
                bounds[customer] = held
        for customer, bound in bounds.items():
            pools.close(customer, bound)

    def take_pool_rows(self) -> dict[str, list[tuple[int, tuple[float | None, ...]]]]:
        """The pool minutes closed since the last call, per customer."""
        return self.pools.take_rows()

    def take_rows(self) -> dict[str, list[Row]]:
        rows, self.rows = self.rows, {}
        return rows

    def take_latency(self) -> dict[str, list[LatencyRow]]:
        """The response times of the rows taken by :meth:`take_rows` (take both)."""
        rows, self.latency_rows = self.latency_rows, {}
        return rows

    def take_slowest(self) -> dict[str, list[SlowRow]]:
        """The slowest requests of the minutes taken by :meth:`take_rows`, per instance:
        (minute start, entries slowest first)."""
        rows, self.slow_rows = self.slow_rows, {}
        return rows

    def drop_future(self) -> None:
        """Forget instances whose pending minute is beyond :attr:`future_limit` (a bad date
        saved by an older version would otherwise make every later record late)."""
        for name, st in list(self.instances.items()):
            if st.epoch > self.future_limit:
                del self.instances[name]
                self.future += 1
        for host, (newest, _) in list(self.hosts.items()):
            if newest > self.future_limit:
                del self.hosts[host]

    def dump(self) -> dict[str, Any]:
        return {
            "instances": {name: st.dump() for name, st in self.instances.items()},
            "late": self.late,
            "future": self.future,
            "hosts": {host: list(clock) for host, clock in self.hosts.items()},
            "latency": {
                name: st.lat.dump() for name, st in self.instances.items() if st.lat is not None
            },
            "pools": self.pools.dump(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.instances = {name: InstanceState.load(v) for name, v in data["instances"].items()}
        self.late = int(data.get("late", 0))
        self.future = int(data.get("future", 0))
        self.hosts = {
            str(host): (float(newest), float(read_at))
            for host, (newest, read_at) in data.get("hosts", {}).items()
        }
        self.pools = Pools()
        self.pools.load(data.get("pools"))
        for name, lat in data.get("latency", {}).items():
            st = self.instances.get(name)
            if st is not None:
                target = self.apdex.target(customer_of(name))
                st.lat = LatencyState.load(target, lat, self.slowest, self.keep_query)


def uses_rid(code: int) -> bool:
    """Whether records with ``code`` (its ``ord``) are matched by their id: I, C, A, E."""
    return code == 73 or code == 67 or code == 65 or code == 69


def customer_of(instance: str) -> str:
    """The customer part of ``host__customer__instance`` (apdex targets, pools)."""
    parts = instance.split(_SEP, 2)
    return parts[1] if len(parts) > 1 else ""


def host_of(instance: str) -> str:
    """The host part of ``host__customer__instance``: records of one host arrive in order."""
    return instance.split(_SEP, 1)[0]  # layout.instance_host, inlined
