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

PALETTE = (
    "#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
MAX_POOL = 40
# entries one menu request answers at most (customers, hosts or instances)
MENU_LIMIT = 200

POOL_KINDS = {
    "all": "All instances",
    "compare-rpm": "Compare requests/min",
    "compare-max": "Compare est. max rpm",
    "headroom": "Headroom %",
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
        return f"{self.host}__{self.customer}__{self.name}"

    @property
    def path(self) -> str:
        return f"tracelog/{self.stem}"

    @property
    def label(self) -> str:
        return f"{self.host}/{self.name}"


def parse_stem(stem: str) -> Instance | None:
    parts = stem.split("__")
    if len(parts) != 3 or not all(parts):
        return None
    host, customer, name = parts
    return Instance(customer=customer, host=host, name=name)


def scan_instances(rrd_dir: Path) -> list[Instance]:
    """Every tracelog instance with an RRD file, sorted by customer, host, instance."""
    folder = rrd_dir / "tracelog"
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(".rrd") and entry.is_file():
            instance = parse_stem(entry.name[: -len(".rrd")])
            if instance is not None:
                found.append(instance)
    return sorted(found)


class InstanceIndex:
    """:func:`scan_instances`, done again only when the tracelog folder changes.

    Adding or removing a file changes the folder's mtime; updating one does not, so
    a dashboard load with 20 000 instances costs one ``stat``, not one scan.
    """

    def __init__(self, rrd_dir: Path) -> None:
        self.folder = rrd_dir / "tracelog"
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
    names contain it (any case).  At most ``limit`` entries, ``more`` says if some
    were left out, ``total`` how many there are.
    """
    entries: list[dict[str, Any]]
    if query:
        needle = query.lower()
        found = [
            i for i in instances if needle in f"{i.customer} {i.host} {i.name} {i.stem}".lower()
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
    return {"name": name, "path": inst.path, "ds": ds, "cf": cf}


def _line(value: str, color: str, legend: str, **style: Any) -> dict[str, Any]:
    line = {"value": value, "type": "LINE", "width": 1, "color": color, "legend": legend}
    line.update({"dash": False, "stack": False})
    line.update(style)
    return line


def instance_graph(inst: Instance) -> dict[str, Any]:
    """Requests/min, errors/min, backlog and estimated max rpm of one instance."""
    return {
        "title": f"{inst.customer} {inst.host}/{inst.name}",
        "vlabel": "per minute",
        "logarithmic": False,
        "ymin": 0,
        "ymax": None,
        "series": [
            _series("rpm", inst, "rpm"),
            _series("epm", inst, "epm"),
            _series("bl", inst, "bl"),
            _series("spr", inst, "spr"),
        ],
        "cdefs": [],
        "lines": [
            _line("rpm", "#1f77b4", "requests/min", width=2),
            _line("epm", "#d62728", "errors/min"),
            _line("bl", "#ff7f0e", "backlog"),
            _line("spr", "#2ca02c", "est. max rpm", dash=True),
        ],
    }


def pool_graph(kind: str, customer: str, host: str | None, insts: list[Instance]) -> dict[str, Any]:
    """One line per instance of ``insts`` (a customer's, or one host's of a customer)."""
    if kind not in POOL_KINDS:
        raise ValueError(f"unknown graph kind {kind!r}: instance, {', '.join(POOL_KINDS)}")
    insts = insts[:MAX_POOL]
    scope = f"{customer} {host}" if host else customer
    series: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for i, inst in enumerate(insts):
        color = PALETTE[i % len(PALETTE)]
        legend = inst.name if host else inst.label
        if kind in ("all", "compare-rpm"):
            series.append(_series(f"r{i}", inst, "rpm"))
            stacked = kind == "all"
            kind_style = {"type": "AREA" if stacked else "LINE", "stack": stacked and i > 0}
            lines.append(_line(f"r{i}", color, legend, **kind_style))
        elif kind == "compare-max":
            series.append(_series(f"s{i}", inst, "spr"))
            lines.append(_line(f"s{i}", color, legend))
        else:  # the render API's virtual DS: (spr - rpm) / spr * 100
            series.append(_series(f"h{i}", inst, "headroom"))
            lines.append(_line(f"h{i}", color, legend))
    return {
        "title": f"{POOL_KINDS[kind]}: {scope}",
        "vlabel": "% headroom" if kind == "headroom" else "per minute",
        "logarithmic": False,
        "ymin": None if kind == "headroom" else 0,
        "ymax": None,
        "series": series,
        "cdefs": [],
        "lines": lines,
    }


def graph_for(
    instances: list[Instance],
    kind: str,
    *,
    instance: str | None = None,
    customer: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """The definition of a ``kind`` graph; :class:`UnknownInstance` when nothing matches."""
    if kind == "instance":
        match = next((i for i in instances if i.stem == instance), None)
        if match is None:
            raise UnknownInstance(f"no tracelog instance {instance!r}")
        return instance_graph(match)
    if not customer:
        raise ValueError("a pool graph needs customer= (and optionally host=)")
    pool = [i for i in instances if i.customer == customer and (not host or i.host == host)]
    if not pool:
        where = f"customer {customer!r}" + (f", host {host!r}" if host else "")
        raise UnknownInstance(f"no tracelog instances for {where}")
    return pool_graph(kind, customer, host, pool)
