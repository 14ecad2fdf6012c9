"""The RRD reader/renderer service on local files (setting ``reader = local``).

:class:`LocalReader` does what a ``/render`` needs around rrdtool: resolve the
definition's series to files inside ``rrd_dir`` (:class:`~graphmetrics.rrd.files.RRDFiles`),
have rrdcached flush them first when ``rrdcached`` is set (then stamp them again, so
the ETag tells the flushed data), build the rrdtool arguments and the ETag, and
draw through the answer cache and the render worker pool.  :class:`Renderer` holds
the steps any backend shares; a backend says how series are found and stamped (the
storage-node reader, :mod:`graphmetrics.web.remote`, by rrdcached's ``LAST``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from zope.interface import implementer

from graphmetrics.render import graph
from graphmetrics.render.renderpool import RenderPool
from graphmetrics.rrd import files
from graphmetrics.rrd.layout import KINDS
from graphmetrics.web.config import WebSettings, render_worker_count
from graphmetrics.web.interfaces import IRRDReader

CACHE_BYTES = 32 * 1024 * 1024


class RenderCache:
    """Least recently used answers, bounded by count and by total bytes."""

    def __init__(self, entries: int, max_bytes: int = CACHE_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, graph.Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> graph.Rendered | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: graph.Rendered) -> None:
        if self.entries <= 0 or len(item.body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(item.body) - (len(old.body) if old else 0)
            self._items[key] = item
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)


@dataclass(frozen=True)
class Prepared:
    """A render ready to draw: what ``draw`` needs, and the ETag (quoted) that names it."""

    req: graph.RenderRequest
    paths: dict[str, str]
    args: list[str]
    etag: str


def etag(fmt: str, args: list[str], stamp: files.Stamp) -> str:
    """Hash of what decides the answer: format, rrdtool arguments and the data's stamp."""
    text = "\n".join((fmt, *args, repr(stamp)))
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


class Renderer:
    """The steps both readers share: arguments, ETag, answer cache, worker pool."""

    backend = ""

    def __init__(self, web: WebSettings, daemon: str | None) -> None:
        self.web = web
        self.daemon = daemon
        self.cache = RenderCache(web.render_cache_entries)
        workers = render_worker_count(web.render_workers, os.cpu_count())
        self.pool = RenderPool(workers, web.render_deadline)

    def found(self, req: graph.RenderRequest) -> files.GraphFiles:
        raise NotImplementedError

    def prepare(self, req: graph.RenderRequest) -> Prepared:
        found = self.found(req)
        args = graph.render_args(req, found.paths, self.daemon)
        # the zone is not an argument (rrdtool reads TZ) but changes the answer
        key = f"{req.format} {req.tz}" if req.tz else req.format
        return Prepared(req, found.paths, args, etag(key, args, found.stamp))

    def draw(self, prepared: Prepared) -> graph.Rendered:
        rendered = self.cache.get(prepared.etag)
        if rendered is None:
            req = prepared.req
            job = graph.make_job(req, prepared.paths, prepared.args)
            rendered = self.pool.render(job, light=graph.is_light(req))
            self.cache.put(prepared.etag, rendered)
        return rendered

    def fetch(
        self, series: Iterable[tuple[str, str]], start: int, end: int
    ) -> dict[str, graph.Fetched]:
        fetched = {}
        for rel, path in self.resolve(series).paths.items():
            try:
                fetched[rel] = graph.fetch(path, start, end, self.daemon)
            except graph.ReadFailed as exc:
                raise graph.ReadFailed(f"{rel}: {exc}") from None
        return fetched

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        raise NotImplementedError

    def check(self) -> str | None:
        raise NotImplementedError


@implementer(IRRDReader)
class LocalReader(Renderer):
    """RRD files under ``rrd_dir``, flushed through ``rrdcached`` first when it is set."""

    backend = "local"

    def __init__(self, web: WebSettings) -> None:
        super().__init__(web, web.rrdcached)
        self.files = files.RRDFiles(web.rrd_dir)

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        return self.files.resolve(series)

    def found(self, req: graph.RenderRequest) -> files.GraphFiles:
        """The definition's files and data stamp, flushed from rrdcached first if one is set."""
        found = self.files.resolve((s.path, s.name) for s in req.graph.series)
        if self.daemon:
            files.flush(found.paths.values(), self.daemon)
            found = files.restamp(found)
        return found

    def series_names(self) -> list[str]:
        names = []
        root = Path(self.web.rrd_dir)
        for kind in KINDS:
            for folder, dirs, leaves in os.walk(root / kind):
                rel = Path(folder).relative_to(root).as_posix()
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                names += [f"{rel}/{leaf[:-4]}" for leaf in leaves if _is_rrd(leaf)]
        return sorted(names)

    def data_sources(self, rel: str) -> tuple[str, ...]:
        try:
            path = self.files.resolve([(rel, rel)]).paths[rel]
            return graph.data_sources(path)
        except (files.FileError, graph.RenderError):
            return ()

    def check(self) -> str | None:
        """The RRD folder can be listed."""
        try:
            with os.scandir(self.web.rrd_dir) as entries:
                next(entries, None)
        except OSError as exc:
            return f"cannot list the RRD folder ({type(exc).__name__})"
        return None


def _is_rrd(name: str) -> bool:
    return name.endswith(".rrd") and len(name) > 4 and not name.startswith(".")
