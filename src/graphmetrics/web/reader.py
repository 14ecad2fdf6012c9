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

import dataclasses
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from zope.interface import implementer

from graphmetrics.render import graph
from graphmetrics.render.admission import Admission
from graphmetrics.render.renderpool import RenderPool
from graphmetrics.rrd import archives, files
from graphmetrics.rrd.layout import KINDS
from graphmetrics.web import readonly
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
    notes: tuple[str, ...] = ()  # what was changed to draw it (rrd/archives.py)


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
        admission = Admission(max(workers - 1, 1), workers, web.render_heavy_per_user)
        self.pool = RenderPool(
            workers, web.render_deadline, web.render_worker_memory * 2**20, admission
        )

    def found(self, req: graph.RenderRequest) -> files.GraphFiles:
        raise NotImplementedError

    def prepare(self, req: graph.RenderRequest) -> Prepared:
        found = self.found(req)
        notes: tuple[str, ...] = ()
        if self.backend == "local":  # the storage node's files cannot be asked here
            fallen, notes = archives.fall_back(req.graph, found.paths)
            if notes:
                req = dataclasses.replace(req, graph=fallen)
        args = graph.render_args(req, found.paths, self.daemon_for(found.paths))
        # the zone is not an argument (rrdtool reads TZ) but changes the answer
        key = f"{req.format} {req.tz}" if req.tz else req.format
        return Prepared(req, found.paths, args, etag(key, args, found.stamp), notes)

    def daemon_for(self, rels: Iterable[str]) -> str | None:
        """The rrdcached address rrdtool is to flush these series' files through."""
        return self.daemon

    def draw(self, prepared: Prepared, user: str = "") -> graph.Rendered:
        """The answer from the cache, else drawn (a heavy graph admitted for ``user``)."""
        rendered = self.cache.get(prepared.etag)
        if rendered is None:
            req = prepared.req
            job = graph.make_job(req, prepared.paths, prepared.args)
            rendered = self.pool.render(job, light=graph.is_light(req), user=user)
            self.cache.put(prepared.etag, rendered)
        return rendered

    def fetch(
        self,
        series: Iterable[tuple[str, str]],
        start: int,
        end: int,
        before: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, graph.Fetched]:
        """Each file's rows.  ``before`` is shown each file's last update (series path
        -> epoch seconds) before anything is read: it may refuse (raise) the read."""
        found = self.resolve(series)
        if before is not None:
            before(self.last_updates(found))
        fetched = {}
        for rel, path in found.paths.items():
            try:
                fetched[rel] = graph.fetch(path, start, end, self.daemon_for([rel]))
            except graph.ReadFailed as exc:
                raise graph.ReadFailed(f"{rel}: {exc}") from None
        return fetched

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        raise NotImplementedError

    def last_updates(self, found: files.GraphFiles) -> dict[str, int]:
        """Each file's last update (epoch seconds), from its header: rrdtool chooses the
        archive it reads by it (a file's mtime may be far from it)."""
        updates = {}
        for rel, path in found.paths.items():
            try:
                updates[rel] = graph.last_update(path, self.daemon_for([rel]))
            except graph.ReadFailed as exc:
                raise graph.ReadFailed(f"{rel}: {exc}") from None
        return updates

    def check(self) -> str | None:
        raise NotImplementedError


@implementer(IRRDReader)
class LocalReader(Renderer):
    """RRD files under ``rrd_dir``, flushed through ``rrdcached`` first when it is set."""

    backend = "local"

    def __init__(self, web: WebSettings) -> None:
        super().__init__(web, web.rrdcached)
        self.files = files.RRDFiles(web.rrd_dir)
        self.readonly = readonly.ReadOnlyFiles(web.readonly_roots)

    def resolve(self, series: Iterable[tuple[str, str]]) -> files.GraphFiles:
        if not self.readonly.roots:
            return self.files.resolve(series)
        mine, theirs = readonly.split(series, self.readonly)
        return readonly.merge(self.files.resolve(mine), self.readonly.resolve(theirs))

    def daemon_for(self, rels: Iterable[str]) -> str | None:
        """None when a read-only root's file is among them (rrdcached holds none, and
        may refuse its path): :meth:`found` has flushed the others already."""
        if self.readonly.roots and any(self.readonly.owns(rel) for rel in rels):
            return None
        return self.daemon

    def found(self, req: graph.RenderRequest) -> files.GraphFiles:
        """The definition's files and data stamp, flushed from rrdcached first if one is
        set (the read-only roots' files are never rrdcached's)."""
        series = [(s.path, s.name) for s in req.graph.series]
        mine, theirs = readonly.split(series, self.readonly)
        found = self.files.resolve(mine)
        if self.daemon and found.paths:
            files.flush(found.paths.values(), self.daemon)
            found = files.restamp(found)
        return readonly.merge(found, self.readonly.resolve(theirs)) if theirs else found

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
        if self.readonly.owns(rel):
            return self.readonly.data_sources(rel)
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
