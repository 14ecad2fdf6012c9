"""The RRD layouts graphmetrics creates (see docs/storage.md, "RRD schemas")."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Archive:
    steps: int
    rows: int


@dataclass(frozen=True)
class Schema:
    """One RRD layout: step, GAUGE data sources, archives of the same shapes per
    consolidation function (AVERAGE and MAX unless told)."""

    step: int
    data_sources: tuple[str, ...]
    heartbeat: int
    archives: tuple[Archive, ...]
    minimum: float | None = 0.0
    """The data sources' minimum; None: none (``U``, carbon's values may be negative)."""
    xff: float = 0.99
    consolidations: tuple[str, ...] = ("AVERAGE", "MAX")

    def create_args(self) -> list[str]:
        """The rrdtool create arguments after the file name and ``--start``."""
        return ["--step", str(self.step), *self.definitions()]

    def definitions(self) -> list[str]:
        """The ``DS:`` and ``RRA:`` definitions (also rrdcached's ``CREATE``'s)."""
        minimum = "U" if self.minimum is None else repr(self.minimum)
        args = [f"DS:{ds}:GAUGE:{self.heartbeat}:{minimum}:U" for ds in self.data_sources]
        args += [
            f"RRA:{cf}:{self.xff}:{a.steps}:{a.rows}"
            for cf in self.consolidations
            for a in self.archives
        ]
        return args

    @cached_property
    def template(self) -> str:
        """The data source names for ``rrdtool update --template``."""
        return ":".join(self.data_sources)


#: the original's tracelog data sources (files it wrote have these alone)
TRACELOG_BASE_DS = ("rpm", "epm", "bl", "spr", "start")
#: response times in seconds (p50, p90, p99, max of B -> E; of C -> A as ``app``; of
#: B -> C as ``wait``) and apdex, per minute: graphmetrics.tracelog.latency
LATENCY_DS = (
    "p50",
    "p90",
    "p99",
    "pmax",
    "app50",
    "app90",
    "app99",
    "appmax",
    "wait50",
    "wait90",
    "wait99",
    "waitmax",
    "apdex",
)

TRACELOG = Schema(
    step=60,
    data_sources=TRACELOG_BASE_DS + LATENCY_DS,
    heartbeat=300,
    archives=(Archive(1, 1600), Archive(5, 2880), Archive(60, 9600)),
)

#: A customer's pool: its instances' response times merged (graphmetrics.tracelog.pools),
#: after ``requests``, the requests timed B -> E in the minute.
POOL = Schema(
    step=60,
    data_sources=("requests", *LATENCY_DS),
    heartbeat=300,
    archives=TRACELOG.archives,
)

METRICS = Schema(
    step=300,
    data_sources=("data",),
    heartbeat=600,
    archives=(Archive(1, 2880), Archive(12, 9600)),
)

#: The default layout of a carbon series (``graphmetrics-carbon``) when no
#: storage-schemas.conf rule applies: carbon's own default retention (60s:1d) and more,
#: ``60s:2d,5m:30d,1h:2y``; values may be negative (docs/inputs.md, "Carbon").
CARBON = Schema(
    step=60,
    data_sources=("value",),
    heartbeat=600,
    archives=(Archive(1, 2880), Archive(5, 8640), Archive(60, 17520)),
    minimum=None,
    xff=0.5,
    consolidations=("AVERAGE",),
)
