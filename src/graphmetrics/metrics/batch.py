"""One batch of Kinesis records: decoded, checked and grouped per RRD file.

The consumer feeds every record of a batch to :meth:`MetricBatch.add_records` and hands
its ``samples`` to a writer (:mod:`graphmetrics.metrics.writer`, which runs the
collectors' :class:`~graphmetrics.rrd.writer.RRDWriter`); the store then makes one
``rrdtool.update`` per file, keeping the last of equal timestamps and skipping
timestamps at or before the file's last update, which is what makes a re-read batch
a no-op.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphmetrics.metrics.records import Bad, decode
from graphmetrics.rrd.layout import METRICS_DIR, BadMetricName, metric_relative, real_inside
from graphmetrics.rrd.store import RRDPathError, RRDStore, Sample

log = logging.getLogger(__name__)

#: Samples more than this far ahead of the wall clock are refused (``future_timestamp``):
#: one would push the file's last update into the future, and the genuine samples
#: until then would be skipped.  One metrics step: a clock a little fast is tolerated
#: and costs at most the one genuine sample of that step.
FUTURE_TOLERANCE = 300.0
#: Bad records logged at WARNING per reason between two status lines; the rest at DEBUG.
WARN_PER_REASON = 10


class PathCache:
    """Metric name → store path, checked once per name: the naming rules, then the disk.

    The store already refuses paths leaving its root; here the file must also stay in
    ``metrics/``, which only a symlink below it could defeat once the name is valid
    (not checked for a store on a storage node: no local disk to look at).
    """

    def __init__(self, store: RRDStore, limit: int = 200_000) -> None:
        self.store = store
        self.limit = limit
        #: name → store path or the reason it has none; read directly by hot loops.
        self.verdicts: dict[str, str | BadMetricName] = {}
        self._real_root: str | None = None

    def relative(self, name: str) -> str:
        """The store path for ``name``; raises :class:`BadMetricName`."""
        known = self.verdict(name)
        if isinstance(known, BadMetricName):
            raise known
        return known

    def verdict(self, name: str) -> str | BadMetricName:
        """The store path for ``name``, or why it has none (the hot path: no raising)."""
        known = self.verdicts.get(name)
        if known is None:
            known = self._check(name)
            if len(self.verdicts) >= self.limit:
                self.verdicts.clear()
            self.verdicts[name] = known
        return known

    def _check(self, name: str) -> str | BadMetricName:
        # One ``except`` per exception variable: mypyc types a variable shared by
        # two clauses as the first clause's class, and the second then fails.
        try:
            relative = metric_relative(name)
        except BadMetricName as bad_name:
            return bad_name
        try:
            path = str(self.store.path_for(relative))
        except RRDPathError as bad_path:
            return BadMetricName(str(bad_path))
        if self.store.remote:  # on a storage node: its -B keeps paths in its directory
            return relative
        if self._real_root is None:
            self._real_root = os.path.realpath(self.store.root / METRICS_DIR)
        if not real_inside(self._real_root, path):
            return BadMetricName(f"{relative!r} leaves {self._real_root} through a symlink")
        return relative


@dataclass
class BadRecords:
    """Bad records per reason, and how many of each were logged at WARNING."""

    counts: Counter[str] = field(default_factory=Counter)
    warned: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, detail: str, shard_id: str, sequence_number: str) -> None:
        self.counts[reason] += 1
        level = logging.WARNING if self.warned[reason] < WARN_PER_REASON else logging.DEBUG
        if level == logging.WARNING:
            self.warned[reason] += 1
        log.log(
            level,
            "bad record skipped (%s): shard %s sequence number %s: %s",
            reason,
            shard_id,
            sequence_number,
            detail,
        )

    def reset_warnings(self) -> None:
        self.warned.clear()


@dataclass
class MetricBatch:
    """Samples of one batch grouped per file; ``now`` is the wall clock in epoch seconds."""

    paths: PathCache
    bad: BadRecords
    now: float
    future_tolerance: float = FUTURE_TOLERANCE
    records: int = 0
    samples: defaultdict[str, list[Sample]] = field(default_factory=lambda: defaultdict(list))
    ahead: dict[str, float] = field(default_factory=dict)
    """Per shard, the furthest a sample was ahead of ``now`` (seconds; only when ahead):
    the producers' clock skew, reported in the status line."""

    def add(self, data: bytes, shard_id: str, sequence_number: str) -> None:
        """Decode one record; bad ones are counted and logged, never raised."""
        self.add_records(shard_id, ({"Data": data, "SequenceNumber": sequence_number},))

    def add_records(self, shard_id: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Decode GetRecords' records (``Data``, ``SequenceNumber``) of one shard.

        The hot loop of the collector: names are bound to locals once per call.
        """
        samples, verdict, bad = self.samples, self.paths.verdict, self.bad
        verdicts = self.paths.verdicts
        now = self.now
        tolerance = self.future_tolerance
        count = 0
        for record in records:
            count += 1
            for item in decode(record["Data"]):
                if isinstance(item, Bad):
                    bad.add(item.reason, item.detail, shard_id, record["SequenceNumber"])
                    continue
                name, timestamp, value, _ = item
                if timestamp > now:
                    ahead = timestamp - now
                    if ahead > self.ahead.get(shard_id, 0.0):
                        self.ahead[shard_id] = ahead
                    if ahead > tolerance:
                        detail = (
                            f"timestamp {timestamp:.0f} is {ahead:.0f} s ahead of the clock "
                            f"(future tolerance {tolerance:.0f} s)"
                        )
                        bad.add("future_timestamp", detail, shard_id, record["SequenceNumber"])
                        continue
                relative = verdicts.get(name) or verdict(name)
                if type(relative) is str:
                    samples[relative].append((int(timestamp), (value,)))
                else:
                    detail = f"{name!r}: {relative}"
                    bad.add("bad_name", detail, shard_id, record["SequenceNumber"])
        self.records += count
