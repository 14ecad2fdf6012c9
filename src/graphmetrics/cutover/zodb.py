"""The original's saved charts, read from its ZODB ``FileStorage`` without changing it.

``root['metrics']`` is a BTree of user -> BTree of page name ->
``PersistentMapping(charts=BTree(imgid -> params))``.  The original ran on Python 2:
ZODB on Python 3 reads its ``str`` pickles as ``str`` when they are ASCII, as every
key it wrote is, and fails on any other byte string (a legend typed with an accent).
Here those load as ``bytes`` instead (zodbpickle's ``errors="bytes"``, what ZODB
itself uses for its own records) and :func:`text` decodes them: UTF-8, which is what
a Python 2 web app stored, else Latin-1, so nothing is lost or raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import zodbpickle.pickle
from ZODB import DB
from ZODB.FileStorage import FileStorage
from ZODB.POSException import POSError


class OriginalError(Exception):
    """The file is not a ZODB of the original (missing, unreadable, other structure)."""


@dataclass(frozen=True)
class Chart:
    user: str
    page: str
    imgid: str
    params: dict[str, str]
    # set when the entry cannot be read as a chart: why (the import reports it)
    error: str = ""


def text(value: Any) -> str:
    """A Python 2 ``str``/``unicode`` (or a number) as text."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value if isinstance(value, str) else str(value)


class _Unpickler(zodbpickle.pickle.Unpickler):
    find_global: Any = None

    def find_class(self, module: str, name: str) -> Any:
        return self.find_global(module, name)


def _lenient(reader: Any) -> None:
    """Have a connection's object reader load non-ASCII Python 2 strings as bytes."""

    def get_unpickler(pickle: bytes) -> Any:
        unpickler = _Unpickler(BytesIO(pickle), encoding="ASCII", errors="bytes")
        unpickler.find_global = lambda module, name: reader._factory(reader._conn, module, name)
        unpickler.persistent_load = reader._persistent_load
        return unpickler

    reader._get_unpickler = get_unpickler


@contextmanager
def opened(path: Path) -> Iterator[Any]:
    """The ZODB root of ``path``, opened read only."""
    if not path.is_file():
        raise OriginalError(f"no such file: {path}")
    try:
        storage = FileStorage(str(path), read_only=True)
    except (POSError, OSError, ValueError) as exc:
        raise OriginalError(f"{path} is not a readable ZODB FileStorage: {exc}") from None
    db = DB(storage)
    connection = db.open()
    _lenient(connection._reader)
    try:
        yield connection.root()
    finally:
        connection.close()
        db.close()


def charts(root: Any) -> Iterator[Chart]:
    """Every saved chart, by user, page and imgid (the original's order on a page).

    An entry of another shape, or an object the storage cannot load (a damaged
    database), comes as a :class:`Chart` with ``error`` set, never as an exception.
    """
    try:
        users = root["metrics"]
    except KeyError:
        raise OriginalError("the database has no root['metrics']: not the original's") from None
    if not hasattr(users, "items"):
        raise OriginalError("root['metrics'] is not a BTree of users: not the original's")
    for user, pages in users.items():
        if not hasattr(pages, "items"):
            yield Chart(text(user), "", "", {}, "not a BTree of pages")
            continue
        for page, saved in pages.items():
            yield from _page_charts(text(user), text(page), saved)


def _page_charts(user: str, page: str, saved: Any) -> Iterator[Chart]:
    try:
        charts = saved["charts"]
        items = sorted(charts.items(), key=lambda item: text(item[0]))
    except (KeyError, TypeError, AttributeError):
        yield Chart(user, page, "", {}, "not a page: a mapping with 'charts' was expected")
        return
    except POSError as exc:
        yield Chart(user, page, "", {}, f"cannot be loaded from the database: {exc!r}")
        return
    for imgid, params in items:
        try:
            values = {text(k): text(v) for k, v in dict(params).items()}
        except (TypeError, ValueError, AttributeError, POSError):
            yield Chart(user, page, text(imgid), {}, "not a chart: a mapping of parameters")
            continue
        yield Chart(user, page, text(imgid), values)
