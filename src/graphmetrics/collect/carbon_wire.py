"""carbon's wire formats decoded into samples per RRD file; pure, never raises on bad input.

- **plaintext** (TCP and UDP): ``name value [timestamp]\\n``; a missing timestamp
  or ``-1`` means now (carbon takes ``-1``; agents such as Icinga omit it).
- **pickle** (TCP): a 4-byte big-endian length, then a pickled list of
  ``(name, (timestamp, value))``.  Unpickled by :func:`safe_loads`, which refuses
  every class and callable (carbon's ``SafeUnpickler`` allows none either), so the
  payload can only build lists, tuples, strings and numbers — never
  ``pickle.loads`` on the wire.

:class:`Intake` checks each point (name, finite value, timestamp not more than a day
ahead), rounds its timestamp down to its file's step as carbon does (a second point
in the same step replaces the first), maps the name to its file once
(:func:`~graphmetrics.rrd.layout.carbon_relative`, then the store's path rules) and
groups the samples per file; every point refused is counted by reason
(:class:`BadPoints`), with the peer in the log.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphmetrics.collect.carbon_lines import LineParser, Samples, Verdict
from graphmetrics.collect.carbon_schemas import CarbonSchemas
from graphmetrics.rrd.layout import CARBON_DIR, BadMetricName, carbon_relative, real_inside
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.store import RRDPathError, RRDStore

log = logging.getLogger(__name__)

MAX_FUTURE_SECONDS = 24 * 3600
WARN_PER_REASON = 10
MAX_NAMES_CACHED = 200_000


class _NoClasses(pickle.Unpickler):
    """An unpickler that finds no class or function at all."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"pickle refers to {module}.{name}: no class is allowed")


def safe_loads(data: bytes) -> Any:
    """Unpickle ``data`` allowing only builtin containers, strings and numbers.

    Raises :class:`pickle.UnpicklingError` for a class or callable reference and
    whatever a corrupt payload makes the unpickler raise (the caller counts it).
    """
    return _NoClasses(io.BytesIO(data)).load()


@dataclass
class BadPoints:
    """Refused points (or lines, messages) per reason, a few logged per status interval."""

    counts: Counter[str] = field(default_factory=Counter)
    warned: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, detail: str, peer: str, count: int = 1) -> None:
        self.counts[reason] += count
        if self.warned[reason] < WARN_PER_REASON:
            self.warned[reason] += 1
            log.warning("refused (%s) from %s: %s", reason, peer, detail[:200])

    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Intake:
    """Samples per file waiting to be written, from every connection."""

    store: RRDStore
    schemas: CarbonSchemas
    clock: Callable[[], float]
    bad: BadPoints = field(default_factory=BadPoints)
    samples: Samples = field(default_factory=dict)
    schema_of: dict[str, Schema] = field(default_factory=dict)
    points: int = 0
    """Points accepted (now waiting in :attr:`samples` or handed to the writer)."""
    buffered: int = 0
    """Points in :attr:`samples`."""
    _verdicts: dict[bytes, Verdict] = field(default_factory=dict, repr=False)
    _real_root: str | None = field(default=None, repr=False)

    def take(self) -> tuple[Samples, dict[str, Schema]]:
        """Everything waiting, and each file's schema; the intake starts empty again."""
        samples, schemas = self.samples, self.schema_of
        self.samples, self.schema_of, self.buffered = {}, {}, 0
        return samples, schemas

    # -- names ----------------------------------------------------------------------

    def verdict(self, raw: bytes) -> Verdict:
        known = self._verdicts.get(raw)
        if known is None:
            known = self._check(raw)
            if len(self._verdicts) >= MAX_NAMES_CACHED:
                self._verdicts.clear()
            self._verdicts[raw] = known
        return known

    def _check(self, raw: bytes) -> Verdict:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            return BadMetricName("name is not UTF-8")
        try:
            relative = carbon_relative(name)
        except BadMetricName as bad_name:
            return bad_name
        try:
            path = str(self.store.path_for(relative))
        except RRDPathError as bad_path:
            return BadMetricName(str(bad_path))
        if not self.store.remote:
            if self._real_root is None:
                self._real_root = os.path.realpath(self.store.root / CARBON_DIR)
            if not real_inside(self._real_root, path):
                return BadMetricName(f"{relative!r} leaves {self._real_root} through a symlink")
        return relative, self.schemas.for_name(name)

    # -- points ---------------------------------------------------------------------

    def add_lines(self, data: bytes, peer: str) -> None:
        """Whole plaintext lines (``data`` split at ``\\n``; blank lines ignored)."""
        now = self.clock()
        bad = self.bad

        def refuse(reason: str, detail: str) -> None:
            bad.add(reason, detail, peer)

        lines = LineParser(
            now,
            now + MAX_FUTURE_SECONDS,
            self._verdicts,
            self.verdict,
            self.samples,
            self.schema_of,
            refuse,
        )
        accepted = lines.parse(data)
        self.points += accepted
        self.buffered += accepted

    def add_pickle(self, payload: bytes, peer: str) -> None:
        """One pickle message: a list of ``(name, (timestamp, value))``."""
        try:
            doc = safe_loads(payload)
        except Exception as exc:  # noqa: BLE001 - anything a hostile payload raises
            self.bad.add("bad_pickle", f"{type(exc).__name__}: {exc}", peer)
            return
        if not isinstance(doc, (list, tuple)):
            self.bad.add("bad_pickle", f"a {type(doc).__name__}, not a list", peer)
            return
        lines = []
        for item in doc:
            line = _pickled_line(item)
            if isinstance(line, bytes):
                lines.append(line)
            else:
                self.bad.add(line, f"an item of type {type(item).__name__}", peer)
        self.add_lines(b"\n".join(lines), peer)


def _pickled_line(item: Any) -> bytes | str:
    """``(name, (timestamp, value))`` as a plaintext line, or the reason it is not one."""
    try:
        name, (timestamp, value) = item
    except (TypeError, ValueError):
        return "bad_pickle_point"
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogatepass")
    if not isinstance(name, bytes) or not name:
        return "bad_pickle_point"
    if name.split() != [name]:
        return "bad_name"
    try:
        return b"%s %r %r" % (name, float(value), float(timestamp))
    except (TypeError, ValueError, OverflowError):
        return "bad_number"
