"""carbon's ``storage-schemas.conf`` and ``storage-aggregation.conf`` as RRD layouts.

A carbon series gets its RRD layout when its file is created, from the first rule
of each file whose ``pattern`` (a Python regular expression searched in the metric
name, as carbon does) matches:

- ``storage-schemas.conf``: ``retentions = 10s:6h,1m:7d,10m:5y``; each archive is
  ``precision:duration`` or ``precision:points`` (precision ``10s``, ``1m``, ``1h``,
  ``1d``, ``1w``, ``1y`` or plain seconds; duration with the same units, points a
  plain number).  The first precision is the RRD step; each archive becomes an RRA
  of ``precision / step`` steps per row and ``duration / precision`` rows.  Every
  precision must be a multiple of the first, as whisper requires too.
- ``storage-aggregation.conf``: ``aggregationMethod`` ``average``, ``min``, ``max``,
  ``last`` become RRA consolidation functions AVERAGE, MIN, MAX, LAST, beside an
  AVERAGE RRA (what the Graphite API reads); ``sum`` is stored as AVERAGE (RRD has
  no sum: a coarse row holds the mean per step, multiply by the row's steps for the
  sum); ``xFilesFactor`` is the RRAs' xff (capped below 1, as rrdtool wants).

Without a matching rule the default is :data:`~graphmetrics.rrd.schema.CARBON`.  An
existing file is never reshaped: a changed rule applies to files created after it
(whisper-resize's job in carbon; ``rrdtool tune``/``resize`` here, by hand).
The heartbeat is ``max(2 × step, 600)`` s, so agents sending every few minutes into
a one-minute step still draw a line (carbon's whisper would show gaps).
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from graphmetrics.rrd.schema import CARBON, Archive, Schema

UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_AMOUNT = re.compile(r"^(\d+)([a-z]*)$")
CONSOLIDATIONS = {
    "average": "AVERAGE",
    "sum": "AVERAGE",
    "min": "MIN",
    "max": "MAX",
    "last": "LAST",
}
MIN_HEARTBEAT = 600
MAX_ROWS = 10_000_000


class SchemaConfigError(ValueError):
    """A rule that cannot be used; the message names the file and section."""


def _seconds(text: str, where: str) -> int:
    match = _AMOUNT.match(text.strip().lower())
    unit = match.group(2) if match else ""
    if match is None or (unit and unit not in UNITS and unit.rstrip("s") not in UNITS):
        raise SchemaConfigError(f"{where}: {text!r} is not an amount like 60, 60s, 5m, 1h, 2y")
    factor = UNITS.get(unit) or UNITS.get(unit.rstrip("s"), 1)
    return int(match.group(1)) * factor


def parse_retentions(text: str, where: str = "retentions") -> tuple[int, tuple[Archive, ...]]:
    """``60s:1d,5m:30d`` → (step 60, archives (1 step × 1440 rows, 5 × 8640))."""
    archives: list[Archive] = []
    step = 0
    for part in text.split(","):
        precision_text, colon, size = part.strip().partition(":")
        if not colon:
            raise SchemaConfigError(f"{where}: {part.strip()!r} is not precision:duration")
        precision = _seconds(precision_text, where)
        if precision < 1:
            raise SchemaConfigError(f"{where}: precision must be at least 1 second")
        rows = int(size) if size.strip().isdigit() else _seconds(size, where) // precision
        if not 1 <= rows <= MAX_ROWS:
            raise SchemaConfigError(f"{where}: {part.strip()!r} makes {rows} rows")
        step = step or precision
        if precision % step:
            raise SchemaConfigError(
                f"{where}: precision {precision}s is not a multiple of the first ({step}s)"
            )
        archives.append(Archive(precision // step, rows))
    return step, tuple(archives)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class RetentionRule(Rule):
    step: int
    archives: tuple[Archive, ...]


@dataclass(frozen=True)
class AggregationRule(Rule):
    consolidation: str
    xff: float | None


def _sections(path: Path) -> list[tuple[str, dict[str, str]]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, configparser.Error, UnicodeDecodeError) as exc:
        raise SchemaConfigError(f"{path}: {exc}") from exc
    return [(name, dict(parser.items(name))) for name in parser.sections()]


def _pattern(path: Path, name: str, items: dict[str, str]) -> re.Pattern[str]:
    if "pattern" not in items:
        raise SchemaConfigError(f"{path} [{name}]: no pattern")
    try:
        return re.compile(items["pattern"])
    except re.error as exc:
        raise SchemaConfigError(f"{path} [{name}]: bad pattern: {exc}") from exc


def load_retentions(path: Path) -> list[RetentionRule]:
    rules = []
    for name, items in _sections(path):
        if "retentions" not in items:
            raise SchemaConfigError(f"{path} [{name}]: no retentions")
        step, archives = parse_retentions(items["retentions"], f"{path} [{name}]")
        rules.append(RetentionRule(name, _pattern(path, name, items), step, archives))
    return rules


def load_aggregations(path: Path) -> list[AggregationRule]:
    rules = []
    for name, items in _sections(path):
        method = items.get("aggregationmethod", "average").strip().lower()
        if method not in CONSOLIDATIONS:
            raise SchemaConfigError(
                f"{path} [{name}]: aggregationMethod {method!r} is not one of "
                + ", ".join(CONSOLIDATIONS)
            )
        xff_text = items.get("xfilesfactor")
        try:
            xff = None if xff_text is None else float(xff_text)
        except ValueError:
            raise SchemaConfigError(f"{path} [{name}]: xFilesFactor {xff_text!r}") from None
        if xff is not None and not 0 <= xff <= 1:
            raise SchemaConfigError(f"{path} [{name}]: xFilesFactor must be in 0..1")
        rules.append(
            AggregationRule(name, _pattern(path, name, items), CONSOLIDATIONS[method], xff)
        )
    return rules


@dataclass(frozen=True)
class CarbonSchemas:
    """Metric name → RRD layout, by the two files' rules (first match wins in each)."""

    retentions: tuple[RetentionRule, ...] = ()
    aggregations: tuple[AggregationRule, ...] = ()
    default: Schema = CARBON

    @classmethod
    def load(cls, schemas: Path | None, aggregation: Path | None) -> CarbonSchemas:
        return cls(
            tuple(load_retentions(schemas)) if schemas else (),
            tuple(load_aggregations(aggregation)) if aggregation else (),
        )

    def for_name(self, name: str) -> Schema:
        """The layout a new file for metric ``name`` gets."""
        return self._layout(*self._rules(name))

    def _rules(self, name: str) -> tuple[RetentionRule | None, AggregationRule | None]:
        retention = next((r for r in self.retentions if r.pattern.search(name)), None)
        aggregation = next((r for r in self.aggregations if r.pattern.search(name)), None)
        return retention, aggregation

    @lru_cache(maxsize=256)  # noqa: B019 - a few rules, one instance per daemon
    def _layout(
        self, retention: RetentionRule | None, aggregation: AggregationRule | None
    ) -> Schema:
        schema = self.default
        if retention is not None:
            schema = replace(
                schema,
                step=retention.step,
                archives=retention.archives,
                heartbeat=max(2 * retention.step, MIN_HEARTBEAT),
            )
        if aggregation is not None:
            cfs = ("AVERAGE",) + (
                (aggregation.consolidation,) if aggregation.consolidation != "AVERAGE" else ()
            )
            xff = schema.xff if aggregation.xff is None else min(aggregation.xff, 0.99)
            schema = replace(schema, consolidations=cfs, xff=xff)
        return schema
