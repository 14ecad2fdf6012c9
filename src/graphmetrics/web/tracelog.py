"""Tracelog instances found in the RRD directory, and the graph definitions drawn for them.

An instance file is ``<rrd_dir>/tracelog/<host>__<customer>__<instance>.rrd``; the menu
is customers → hosts → instances, answered a level at a time (:func:`menu_level`).
Each graph kind here yields a render definition (the JSON ``/render?graph=`` takes),
so the dashboard saves exactly what it draws.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmetrics.rrd.layout import (
    BLUE,
    GREEN,
    ORANGE,
    RED,
    RESTART_COLOR,
    RRD_SUFFIX,
    TRACELOG_DIR,
    TRACELOG_PALETTE,
    instance_name,
    parse_instance,
    pool_relative,
    tracelog_relative,
)

# Beyond the palette, lines differ by dash and then width: 10 x 3 x 2 distinct styles.
DASHES: tuple[Any, ...] = (False, [6, 3], [2, 2])
WIDTHS = (1, 2)
# Instances per comparison graph; a bigger pool is split over several graphs.
MAX_POOL = 40
# Instances in one pool-total graph (5 files read per instance).
MAX_TOTAL = 100
# entries one menu request answers at most (customers, hosts or instances)
MENU_LIMIT = 200

#: pool graphs read from the customer's own pool file (``pool/<customer>``, its requests'
#: merged sketches): per customer, not per host
CUSTOMER_POOL_KINDS = {
    "standard": "Standard graphs",
    "pool-response": "Pool response time",
    "pool-apdex": "Pool apdex and thread wait",
}
#: a customer's standard graphs (``kind=standard``, the menu's "Standard graphs")
STANDARD_KINDS = ("all", "pool-response", "pool-apdex", "compare-p99", "compare-rpm", "headroom")
POOL_KINDS = {
    "all": "All instances",
    **CUSTOMER_POOL_KINDS,
    "compare-rpm": "Compare requests/min",
    "compare-max": "Compare est. max rpm",
    "headroom": "Headroom %",
    "pool-headroom": "Pool headroom (%)",
    "compare-p99": "Compare p99 response time",
    "compare-apdex": "Compare apdex",
}
#: compare kinds: the DS each draws per instance, the vertical label, the y range
_COMPARE_DS = {
    "compare-rpm": ("rpm", "per minute", 0, None),
    "compare-max": ("spr", "per minute", 0, None),
    "headroom": ("headroom", "% headroom", None, None),
    "compare-p99": ("p99", "seconds", 0, None),
    "compare-apdex": ("apdex", "apdex", 0, 1),
}


class UnknownInstance(LookupError):
    """The request names an instance, host or customer with no tracelog RRD."""


@dataclass(frozen=True, order=True)
class Instance:
    customer: str
    host: str
    name: str

    @property
    def stem(self) -> str:
        return instance_name(self.host, self.customer, self.name)

    @property
    def path(self) -> str:
        return tracelog_relative(self.stem)

    @property
    def label(self) -> str:
        return f"{self.host}/{self.name}"


def parse_stem(stem: str) -> Instance | None:
    parts = parse_instance(stem)
    if parts is None:
        return None
    return Instance(customer=parts.customer, host=parts.host, name=parts.name)


def scan_instances(rrd_dir: Path) -> list[Instance]:
    """Every tracelog instance with an RRD file, sorted by customer, host, instance."""
    folder = rrd_dir / TRACELOG_DIR
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(RRD_SUFFIX) and entry.is_file():
            instance = parse_stem(entry.name[: -len(RRD_SUFFIX)])
            if instance is not None:
                found.append(instance)
    return sorted(found)


class InstanceIndex:
    """:func:`scan_instances`, done again only when the tracelog folder changes.

    Adding or removing a file changes the folder's mtime; updating one does not, so
    a dashboard load with 20 000 instances costs one ``stat``, not one scan.
    """

    def __init__(self, rrd_dir: Path) -> None:
        self.folder = rrd_dir / TRACELOG_DIR
        self.rrd_dir = rrd_dir
        self._stamp: tuple[int, int, int] | None = None
        self._instances: list[Instance] = []
        self._lock = threading.Lock()

    def instances(self) -> list[Instance]:
        try:
            st = os.stat(self.folder)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            return []
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._instances = scan_instances(self.rrd_dir)
                    self._stamp = stamp
        return self._instances


def menu_level(
    instances: list[Instance],
    *,
    customer: str | None = None,
    host: str | None = None,
    query: str | None = None,
    limit: int = MENU_LIMIT,
) -> dict[str, Any]:
    """One level of the instance menu, for the dashboard to load as it is opened.

    No argument: the customers; ``customer``: its hosts; ``customer`` and ``host``:
    that host's instances; ``query``: instances whose ``host/customer/instance``
    names contain each of its words, in any order and any case.  At most ``limit``
    entries, ``more`` says if some were left out, ``total`` how many there are.
    """
    entries: list[dict[str, Any]]
    if query:
        words = query.lower().split()
        found = [
            i
            for i in instances
            if all(w in f"{i.customer} {i.host} {i.name} {i.stem}".lower() for w in words)
        ]
        entries = [
            {"name": i.name, "stem": i.stem, "customer": i.customer, "host": i.host} for i in found
        ]
    elif customer is None:
        counts: dict[str, int] = {}
        for inst in instances:
            counts[inst.customer] = counts.get(inst.customer, 0) + 1
        entries = [{"name": name, "instances": n} for name, n in counts.items()]
    elif host is None:
        hosts: dict[str, int] = {}
        for inst in instances:
            if inst.customer == customer:
                hosts[inst.host] = hosts.get(inst.host, 0) + 1
        entries = [{"name": name, "instances": n} for name, n in hosts.items()]
    else:
        entries = [
            {"name": i.name, "stem": i.stem}
            for i in instances
            if i.customer == customer and i.host == host
        ]
    return {"items": entries[:limit], "more": len(entries) > limit, "total": len(entries)}


def _series(name: str, inst: Instance, ds: str, cf: str = "AVERAGE") -> dict[str, Any]:
    return _path_series(name, inst.path, ds, cf)


def _path_series(name: str, path: str, ds: str, cf: str = "AVERAGE") -> dict[str, Any]:
    return {"name": name, "path": path, "ds": ds, "cf": cf}


def _line(value: str, color: str, legend: str, **style: Any) -> dict[str, Any]:
    line = {"value": value, "type": "LINE", "width": 1, "color": color, "legend": legend}
    line.update({"dash": False, "stack": False})
    line.update(style)
    return line


def line_style(i: int) -> dict[str, Any]:
    """Colour, dash and width of the ``i``-th line: distinct for 60 lines."""
    n = len(TRACELOG_PALETTE)
    return {
        "color": TRACELOG_PALETTE[i % n],
        "dash": DASHES[(i // n) % len(DASHES)],
        "width": WIDTHS[(i // (n * len(DASHES))) % len(WIDTHS)],
    }


def restart_ticks(value: str) -> dict[str, Any]:
    """Restarts (the ``start`` DS, 1 in a minute of a restart) as full-height ticks."""
    return {"value": value, "type": "TICK", "color": RESTART_COLOR, "legend": "restart",
            "fraction": 1}  # fmt: skip


def _traffic_lines(rpm: str, epm: str, bl: str, spr: str) -> list[dict[str, Any]]:
    return [
        _line(rpm, BLUE, "requests/min", width=2),
        _line(epm, RED, "errors/min"),
        _line(bl, ORANGE, "backlog"),
        _line(spr, GREEN, "est. max rpm", dash=True),
    ]


def instance_graph(inst: Instance) -> dict[str, Any]:
    """Requests/min, errors/min, backlog and estimated max rpm of one instance, and
    its restarts."""
    return {
        "title": f"{inst.customer} {inst.host}/{inst.name}",
        "vlabel": "per minute",
        "si": False,
        "logarithmic": False,
        "ymin": 0,
        "ymax": None,
        "series": [
            _series("rpm", inst, "rpm"),
            _series("epm", inst, "epm"),
            _series("bl", inst, "bl"),
            _series("spr", inst, "spr"),
            _series("restarts", inst, "start", "MAX"),
        ],
        "cdefs": [],
        "lines": [*_traffic_lines("rpm", "epm", "bl", "spr"), restart_ticks("restarts")],
    }


def _totals(kinds: tuple[str, ...], insts: list[Instance]) -> tuple[list, list]:
    """Series of ``kinds`` for every instance and a CDEF per kind aggregating them:
    the sum, or for ``start`` whether any instance restarted."""
    series = []
    cdefs = []
    for ds in kinds:
        names = [f"{ds}{i}" for i in range(len(insts))]
        cf = "MAX" if ds == "start" else "AVERAGE"
        series += [_series(n, inst, ds, cf) for n, inst in zip(names, insts, strict=True)]
        aggregate = "MAX" if ds == "start" else "TOTAL"
        cdefs.append({"name": f"{ds}_all", "aggregate": aggregate, "of": names})
    return series, cdefs


def total_graph(kind: str, scope: str, insts: list[Instance]) -> dict[str, Any]:
    """The pool as one instance: totals of rpm, epm, bl, spr and any restart, or the
    pool's headroom (Σspr − Σrpm)/Σspr × 100 as one line."""
    if kind == "all":
        series, cdefs = _totals(("rpm", "epm", "bl", "spr", "start"), insts)
        lines = [
            *_traffic_lines("rpm_all", "epm_all", "bl_all", "spr_all"),
            restart_ticks("start_all"),
        ]
    else:
        series, cdefs = _totals(("rpm", "spr"), insts)
        cdefs.append({"name": "headroom", "rpn": "spr_all,rpm_all,-,spr_all,/,100,*"})
        lines = [_line("headroom", BLUE, "pool headroom %", width=2)]
    return {
        "title": f"{POOL_KINDS[kind]}: {scope} ({len(insts)} instances)",
        "vlabel": "% headroom" if kind == "pool-headroom" else "per minute",
        "si": False,
        "logarithmic": False,
        "ymin": None if kind == "pool-headroom" else 0,
        "ymax": None,
        "series": series,
        "cdefs": cdefs,
        "lines": lines,
    }


def pool_graphs(
    kind: str, customer: str, host: str | None, insts: list[Instance]
) -> list[dict[str, Any]]:
    """The graphs of a pool (a customer's instances, or one host's of a customer):
    one, or for a big pool one per slice of at most :data:`MAX_POOL` (or
    :data:`MAX_TOTAL` for totals) instances, each title saying which slice it is."""
    if kind not in POOL_KINDS:
        kinds = ", ".join([*INSTANCE_KINDS, *POOL_KINDS])
        raise ValueError(f"unknown graph kind {kind!r}: {kinds}")
    if kind in CUSTOMER_POOL_KINDS:
        if host:
            raise ValueError(
                f"{kind} is drawn from the customer's pool file, for all its hosts: leave out host="
            )
        if kind == "standard":
            return [pool_graph(k, customer, None, insts) for k in STANDARD_KINDS]
        draw = pool_response_graph if kind == "pool-response" else pool_apdex_graph
        return [draw(customer, len(insts))]
    scope = f"{customer} {host}" if host else customer
    size = MAX_TOTAL if kind in ("all", "pool-headroom") else MAX_POOL
    slices = [insts[i : i + size] for i in range(0, len(insts), size)]
    graphs = []
    for n, part in enumerate(slices):
        where = scope
        if len(slices) > 1:
            first = n * size + 1
            where = f"{scope}, instances {first}–{first + len(part) - 1} of {len(insts)}"
        if kind in ("all", "pool-headroom"):
            graphs.append(total_graph(kind, where, part))
        else:
            graphs.append(compare_graph(kind, where, bool(host), part))
    return graphs


def pool_graph(kind: str, customer: str, host: str | None, insts: list[Instance]) -> dict[str, Any]:
    """The first of :func:`pool_graphs`."""
    return pool_graphs(kind, customer, host, insts)[0]


def compare_graph(kind: str, scope: str, in_host: bool, insts: list[Instance]) -> dict[str, Any]:
    """One line per instance of ``insts``, each in its own style (percentiles and
    apdex of instances are compared, never averaged: a pool's p99 is not a mean)."""
    ds, vlabel, ymin, ymax = _COMPARE_DS[kind]
    series: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for i, inst in enumerate(insts):
        style = line_style(i)
        color = style.pop("color")
        legend = inst.name if in_host else inst.label
        # headroom is the render API's virtual DS: (spr - rpm) / spr * 100
        series.append(_series(f"s{i}", inst, ds))
        lines.append(_line(f"s{i}", color, legend, **style))
    return {
        "title": f"{POOL_KINDS[kind]}: {scope}",
        "vlabel": vlabel,
        # seconds read well as 500 m (ms); counts and apdex do not
        "si": kind == "compare-p99",
        "logarithmic": False,
        "ymin": ymin,
        "ymax": ymax,
        "series": series,
        "cdefs": [],
        "lines": lines,
    }


def response_time_graph(inst: Instance) -> dict[str, Any]:
    """What users waited (B -> E): p50, p90, p99 as lines, the max as a faint area."""
    return _response_time(f"Response time: {inst.customer} {inst.host}/{inst.name}", inst.path)


def apdex_graph(inst: Instance) -> dict[str, Any]:
    """Apdex and the thread wait of one instance (:func:`_apdex`)."""
    return _apdex(f"Apdex and thread wait: {inst.customer} {inst.host}/{inst.name}", inst.path)


def pool_response_graph(customer: str, instances: int) -> dict[str, Any]:
    """The customer's response time over all its requests (its pool file)."""
    title = f"{POOL_KINDS['pool-response']}: {customer} ({instances} instances)"
    return _response_time(title, pool_relative(customer))


def pool_apdex_graph(customer: str, instances: int) -> dict[str, Any]:
    """The customer's apdex and thread wait over all its requests (its pool file)."""
    title = f"{POOL_KINDS['pool-apdex']}: {customer} ({instances} instances)"
    return _apdex(title, pool_relative(customer))


def _response_time(title: str, path: str) -> dict[str, Any]:
    quantiles = (("p50", GREEN, "p50"), ("p90", ORANGE, "p90"), ("p99", RED, "p99"))
    return {
        "title": title,
        "vlabel": "seconds",
        "logarithmic": False,
        "ymin": 0,
        "ymax": None,
        "series": [
            _path_series("pmax", path, "pmax", "MAX"),
            *(_path_series(ds, path, ds) for ds, _, _ in quantiles),
        ],
        "cdefs": [],
        "lines": [
            _line("pmax", BLUE + "33", "max", type="AREA"),
            *(
                _line(ds, color, legend, width=2 if ds == "p99" else 1)
                for ds, color, legend in quantiles
            ),
        ],
    }


def _apdex(title: str, path: str) -> dict[str, Any]:
    """Apdex (0 to 1) and the p99 wait for an application thread (B -> C), what the
    backlog costs, on a second graph's scale: apdex here, the wait as seconds."""
    return {
        "title": title,
        "vlabel": "apdex / seconds",
        "si": False,
        "logarithmic": False,
        "ymin": 0,
        "ymax": None,
        "series": [_path_series(ds, path, ds) for ds in ("apdex", "wait50", "wait99", "app99")],
        "cdefs": [],
        "lines": [
            _line("apdex", BLUE, "apdex", width=2),
            _line("wait50", ORANGE, "thread wait p50 (s)"),
            _line("wait99", RED, "thread wait p99 (s)"),
            _line("app99", GREEN, "app time p99 (s)", dash=True),
        ],
    }


#: the graphs of one instance (``kind=...&instance=STEM``)
INSTANCE_KINDS = {
    "instance": instance_graph,
    "response-time": response_time_graph,
    "apdex": apdex_graph,
}


def graph_for(
    instances: list[Instance],
    kind: str,
    *,
    instance: str | None = None,
    customer: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """The definition of a ``kind`` graph (a big pool's first); :class:`UnknownInstance`
    when nothing matches."""
    return graphs_for(instances, kind, instance=instance, customer=customer, host=host)[0]


def graphs_for(
    instances: list[Instance],
    kind: str,
    *,
    instance: str | None = None,
    customer: str | None = None,
    host: str | None = None,
) -> list[dict[str, Any]]:
    """The definitions of a ``kind`` graph: one, or a big pool's slices."""
    if kind in INSTANCE_KINDS:
        match = next((i for i in instances if i.stem == instance), None)
        if match is None:
            raise UnknownInstance(f"no tracelog instance {instance!r}")
        return [INSTANCE_KINDS[kind](match)]
    if not customer:
        raise ValueError("a pool graph needs customer= (and optionally host=)")
    pool = [i for i in instances if i.customer == customer and (not host or i.host == host)]
    if not pool:
        where = f"customer {customer!r}" + (f", host {host!r}" if host else "")
        raise UnknownInstance(f"no tracelog instances for {where}")
    return pool_graphs(kind, customer, host, pool)
