"""An installation of the original graphmetrics, as its Python 2 code left it on disk.

:func:`write_data_fs` writes a ZODB ``FileStorage`` in exactly the original's
structure (``root['metrics']``: BTree user -> BTree page -> ``PersistentMapping(
charts=BTree(imgid -> params))``), with the pickles Python 2 wrote: protocol 2, and
``bytes`` values written as Python 2 ``str`` (``SHORT_BINSTRING``/``BINSTRING``), not
as Python 3 ``bytes``.  So a ZODB on Python 3 reads them as it reads a real
Python 2 database: ASCII ``str`` as ``str``, anything else failing unless read with
``errors="bytes"``.  :func:`original_tracelog_rrd` and :func:`original_metrics_rrd`
run ``rrdtool create`` with the original collectors' own arguments (AVERAGE only).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import BTrees.OOBTree
import persistent.mapping
import rrdtool
import transaction
import ZODB.serialize
import zodbpickle.pickle_3 as pickle_3
from ZODB import DB
from ZODB.FileStorage import FileStorage

# zc.graphmetrics collecttracelogs.rrdcreate and kinesis.py (python-rrdtool's
# DataSource default heartbeat 600, min/max unknown)
TRACELOG_CREATE = [
    "--step", "60",
    *(f"DS:{ds}:GAUGE:600:U:U" for ds in ("rpm", "epm", "bl", "spr", "start")),
    "RRA:AVERAGE:0.99:1:1600", "RRA:AVERAGE:0.99:5:2880", "RRA:AVERAGE:0.99:60:9600",
]  # fmt: skip
METRICS_CREATE = [
    "--step", "300", "DS:data:GAUGE:500:U:U",
    "RRA:AVERAGE:0.99:1:2880", "RRA:AVERAGE:0.99:12:9600",
]  # fmt: skip


class Py2Pickler(pickle_3._Pickler):  # type: ignore[misc,name-defined]
    """Writes ``bytes`` as Python 2's ``str`` opcodes."""

    dispatch = dict(pickle_3._Pickler.dispatch)  # type: ignore[attr-defined]

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle_3.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle_3.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def _py2_persistent_pickler(persistent_id: Any, file: Any, _protocol: int) -> Py2Pickler:
    pickler = Py2Pickler(file, 2)
    pickler.persistent_id = persistent_id
    return pickler


@contextmanager
def py2_pickles() -> Iterator[None]:
    with mock.patch.object(ZODB.serialize, "PersistentPickler", _py2_persistent_pickler):
        yield


Params = Mapping[Any, Any]


def write_data_fs(path: Path, metrics: Mapping[Any, Mapping[Any, Mapping[Any, Params]]]) -> None:
    """``metrics``: user -> page -> imgid -> params, keys and values as Python 2 had them."""
    with py2_pickles():
        db = DB(FileStorage(str(path)))
        connection = db.open()
        root = connection.root()
        users = root["metrics"] = BTrees.OOBTree.BTree()
        for user, pages in metrics.items():
            users[user] = BTrees.OOBTree.BTree()
            for page, charts in pages.items():
                if not isinstance(charts, Mapping):  # a damaged entry, stored as it is
                    users[user][page] = charts
                    continue
                users[user][page] = persistent.mapping.PersistentMapping(
                    charts=BTrees.OOBTree.BTree(
                        {k: dict(v) if isinstance(v, Mapping) else v for k, v in charts.items()}
                    )
                )
        transaction.commit()
        connection.close()
        db.close()


def _fill(path: Path, step: int, start: int, rows: int, values: Any) -> None:
    updates = [f"{start + step * i}:{values(i)}" for i in range(1, rows + 1)]
    for first in range(0, len(updates), 500):
        rrdtool.update(str(path), *updates[first : first + 500])


def original_tracelog_rrd(path: Path, start: int, rows: int, scale: float = 1.0) -> Path:
    """A tracelog file as the original's collector created it, ``rows`` minutes filled."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rrdtool.create(str(path), "--start", str(start), *TRACELOG_CREATE)

    def values(i: int) -> str:
        rpm = scale * (100 + i % 30)
        return f"{rpm}:{i % 3}:{i % 5}:{2 * rpm}:{1 if i % 120 == 0 else 0}"

    _fill(path, 60, start, rows, values)
    return path


def original_metrics_rrd(path: Path, start: int, rows: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    start = start // 300 * 300
    rrdtool.create(str(path), "--start", str(start), *METRICS_CREATE)
    _fill(path, 300, start, rows, lambda i: f"{0.5 + (i % 10) / 10}")
    return path


def text_params(params: Params) -> dict[str, str]:
    """A chart's parameters as the original's web page had them: text."""

    def text(value: Any) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    return {text(k): text(v) for k, v in params.items()}
