"""Writing to a storage node: rrdcached over TCP, no RRD file on this host.

A collector given a TCP address (``host``, ``host:port``, ``[v6]:port``) writes the
files of the daemon's base directory (``-b``) and never looks at its own disk: file
keys are paths relative to that directory (``metrics/a/b.rrd``: over TCP rrdcached
refuses absolute paths, and ``./x`` would be another cache entry than ``x``), and
every file operation is a daemon command on one connection kept open:

========================  ===========================================================
last update               ``FLUSH``, ``FORGET``, then ``INFO``'s ``last_update`` (read
                          from the file; ``LAST`` answers from the cache)
new file                  ``CREATE ... -O`` (the node makes the directories with
                          ``-R``); "File exists" means another writer created it
update                    ``UPDATE`` in pieces that fit librrd's command line
                          (:func:`~graphmetrics.rrd.backend.command_pieces`),
                          values in the schema's data source order (no template)
flush check               ``FLUSH``, then ``INFO`` per file, as on this host
========================  ===========================================================

The commands go through :class:`~graphmetrics.rrd.cached.Connection`, not the rrdtool
binding: with its daemon unreachable librrd silently falls back to files of the same
name on this host (``create`` makes one in the working directory), and over TCP it
drops an update given ``--template`` without an error.  A UNIX socket address keeps
:class:`~graphmetrics.rrd.backend.Rrdcached`: the process is on the node.

The node's write socket must allow ``UPDATE,CREATE,FLUSH,FORGET,INFO`` (``-P``).
"""

from __future__ import annotations

import logging

import rrdtool

from graphmetrics.rrd import cached
from graphmetrics.rrd.backend import (
    LOCKED,
    Backend,
    Info,
    LocalFiles,
    Rrdcached,
    RRDWriteError,
    command_pieces,
)
from graphmetrics.rrd.schema import Schema

log = logging.getLogger(__name__)

#: rrdcached's answers for a file that is not there, and for one ``-O`` kept.
NO_FILE = "No such file"
EXISTS = "File exists"


class NodeFiles(Rrdcached):
    """rrdcached over TCP: updates verified as :class:`Rrdcached`'s, and the file
    operations sent to the daemon too (see the module docstring)."""

    name = "rrdcached"
    remote = True

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self._connection = cached.Connection(address)
        self._forget_denied = False

    def _ask(self, line: str) -> cached.Answer:
        """One command; ``rrdtool.OperationalError`` when the daemon cannot be reached."""
        try:
            return self._connection.ask(line)
        except cached.DaemonError as exc:
            raise rrdtool.OperationalError(str(exc)) from None

    def _refused(self, status: str) -> rrdtool.OperationalError:
        return rrdtool.OperationalError(f"rrdcached@{self.address}: {status.partition(' ')[2]}")

    def update(self, key: str, template: str, updates: list[str]) -> None:
        """Piece by piece, stopping at the first refused (as librrd's client would)."""
        for values in command_pieces(key, updates):
            status, _ = self._ask(f"UPDATE {key} {values}")
            if status.startswith("-"):
                raise self._refused(status)

    def sync(self, key: str) -> None:
        self._ask(f"FLUSH {key}")  # "No such file" here: INFO says it next
        self._forget(key)

    def _forget(self, key: str) -> None:
        try:
            status, _ = self._connection.ask(f"FORGET {key}")
        except cached.DaemonError as exc:
            log.warning("rrdcached %s: cannot FORGET %s: %s", self.address, key, exc)
            return
        if "Permission denied" in status and not self._forget_denied:
            self._forget_denied = True
            log.warning(
                "rrdcached %s refuses FORGET: add it to the write socket's -P list, or a "
                "write it loses will be refused again until it restarts",
                self.address,
            )

    def last_update(self, key: str) -> int | None:
        try:
            self.sync(key)
            status, lines = self._ask(f"INFO {key}")
        except rrdtool.OperationalError as exc:
            raise RRDWriteError(f"{key}: {self.name}: {exc}", transient=True) from exc
        if status.startswith("-"):
            if NO_FILE in status:
                return None
            raise RRDWriteError(
                f"{key}: cannot read last update: {status}", transient=LOCKED in status
            )
        try:
            return int(cached.parse_info(lines)["last_update"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RRDWriteError(f"{key}: no last update in rrdcached's INFO: {exc}") from exc

    def create(self, key: str, start: int, schema: Schema) -> bool:
        definitions = " ".join(schema.definitions())
        line = f"CREATE {key} -b {start} -s {schema.step} -O {definitions}"
        try:
            status, _ = self._ask(line)
        except rrdtool.OperationalError as exc:
            raise RRDWriteError(f"{key}: cannot create: {exc}", transient=True) from exc
        if not status.startswith("-"):
            return True
        if EXISTS in status:
            return False
        # The node's disk (full, permissions) or a name: from here they look alike.
        raise RRDWriteError(f"{key}: cannot create: {status}", transient=True)

    def info(self, key: str) -> Info:
        status, lines = self._ask(f"INFO {key}")
        if status.startswith("-"):
            raise self._refused(status)
        return cached.parse_info(lines)

    def _file_last(self, key: str) -> Info:
        return self.info(key)

    def _flush_files(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self._ask(f"FLUSH {key}")
            except rrdtool.OperationalError as exc:  # every file is checked afterwards
                log.error("rrdcached flush failed at %s: %s", key, exc)
                return


def open_backend(rrdcached: str | None) -> Backend:
    """Local files when None; rrdcached on this host for a UNIX socket address
    (``unix:/path``, ``/path``); a storage node for a TCP one."""
    if not rrdcached:
        return LocalFiles()
    if cached.is_unix(rrdcached):
        return Rrdcached(rrdcached)
    return NodeFiles(rrdcached)
