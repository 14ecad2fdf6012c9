"""``graphmetrics-carbon``: carbon's receivers (plaintext TCP/UDP, pickle TCP) writing RRDs.

One thread, one :mod:`selectors` loop, run as the :class:`~graphmetrics.collect.daemon.Processor`
of the collectors' :class:`~graphmetrics.collect.daemon.DaemonLoop`:

- :meth:`CarbonReceiver.poll` accepts connections and reads what the sockets hold
  for a short while, handing whole lines (or pickle messages, or datagrams) to the
  :class:`~graphmetrics.collect.carbon_wire.Intake`, which groups samples per file;
  once ``batch_points`` wait it writes them through the one
  :class:`~graphmetrics.rrd.writer.RRDWriter`.  Writing happens in the same thread,
  so while it writes nothing is read and TCP senders wait (back-pressure), as they
  also do while writes fail for now (rrdcached down, disk full): reading pauses
  with a back-off until the kept samples are written;
- :meth:`CarbonReceiver.checkpoint` (every ``write_interval``) writes what waits and,
  through rrdcached, flushes and verifies it;
- on a stop signal :meth:`CarbonReceiver.join` stops listening, reads what every
  open connection still holds, writes and verifies it, and reports whether all
  of it was saved.

A TCP connection's data is written line by line; an unterminated last line of a
closed or reset connection (a sender stopped mid-message) is counted ``truncated``
and not written, as carbon drops it too: a cut line could carry a wrong value.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import selectors
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import cast

from graphmetrics.collect.carbon_schemas import CarbonSchemas
from graphmetrics.collect.carbon_wire import Intake
from graphmetrics.collect.checkpoint import HELD_FILE
from graphmetrics.collect.daemon import Clock, DaemonLoop, EventWake, LoopOptions
from graphmetrics.collect.instrumentation import Backoff, Throughput
from graphmetrics.rrd.held import load_held_file, save_held_file
from graphmetrics.rrd.limits import CreateLimits
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.store import RRDStore, Sample
from graphmetrics.rrd.writer import RRDWriter
from graphmetrics.signals import on_signals

log = logging.getLogger("graphmetrics.carbon")

RECV_BYTES = 256 * 1024
#: How long one poll reads before the loop checkpoints and reports.
POLL_SECONDS = 0.2
DRAIN_SECONDS = 5.0


class ListenError(OSError):
    """A receiver's address cannot be listened on (taken, not this host's ...)."""


@dataclass(frozen=True)
class CarbonOptions:
    """What ``graphmetrics-carbon`` runs with (its settings, resolved); a port of
    None is not listened on, 0 is any free port (logged)."""

    rrd_dir: Path
    rrdcached: str | None = None
    limits: CreateLimits = field(default_factory=CreateLimits)
    schemas: CarbonSchemas = field(default_factory=CarbonSchemas)
    listen: str = "127.0.0.1"
    line_port: int | None = 2003
    udp_port: int | None = None
    pickle_port: int | None = 2004
    max_line: int = 64 * 1024
    """Longer lines are skipped to their end and counted ``line_too_long``."""
    max_pickle: int = 1024 * 1024
    """A longer pickle message closes its connection (``pickle_too_large``)."""
    batch_points: int = 200_000
    write_interval: float = 1.0
    status_interval: float = 60.0
    max_connections: int = 1024
    state_dir: Path | None = None
    """Where the samples held for files that may not be created yet are saved after
    each write and taken up again at start (``held.state``): a restart loses none."""


@dataclass
class _Conn:
    sock: socket.socket
    peer: str
    pickle: bool
    rest: bytes = b""
    skipping: bool = False


@dataclass
class ReceiverStats:
    connections: int = 0
    datagrams: int = 0
    closed: Counter[str] = field(default_factory=Counter)


class CarbonReceiver:
    """The receivers and their writes; see the module docstring."""

    def __init__(self, options: CarbonOptions, store: RRDStore, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock or Clock()
        self.writer = RRDWriter(store)
        self.held_path = options.state_dir / HELD_FILE if options.state_dir else None
        if self.held_path is not None:
            load_held_file(self.writer.held, self.held_path)
        self.intake = Intake(store, options.schemas, self.clock.wall)
        self.stats = ReceiverStats()
        self.selector = selectors.DefaultSelector()
        self.conns: dict[int, _Conn] = {}
        self.listeners: dict[str, socket.socket] = {}
        self._status = Throughput(options.status_interval, self.clock.monotonic)
        self._backoff = Backoff()
        self._paused_until = 0.0
        # a stop asked by a signal wakes the selector at once (not at its next timeout)
        self._wake_read, self._wake_write = socket.socketpair()
        for end in (self._wake_read, self._wake_write):
            end.setblocking(False)
        self.selector.register(self._wake_read, selectors.EVENT_READ, "wake")

    def wake(self) -> None:
        """Make a waiting :meth:`poll` return now (signal-safe)."""
        with contextlib.suppress(OSError):  # full: a wake is already pending
            self._wake_write.send(b"\0")

    # -- sockets --------------------------------------------------------------------

    def open(self) -> dict[str, tuple[str, int]]:
        """Bind and listen; returns each receiver's address (``line``, ``pickle``, ``udp``)."""
        o = self.options
        for kind, port, kind_type in (
            ("line", o.line_port, socket.SOCK_STREAM),
            ("pickle", o.pickle_port, socket.SOCK_STREAM),
            ("udp", o.udp_port, socket.SOCK_DGRAM),
        ):
            if port is None:
                continue
            family = socket.AF_INET6 if ":" in o.listen else socket.AF_INET
            sock = socket.socket(family, kind_type)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if kind_type == socket.SOCK_DGRAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((o.listen, port))
            if kind_type == socket.SOCK_STREAM:
                sock.listen(128)
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, kind)
            self.listeners[kind] = sock
        addresses = {kind: sock.getsockname()[:2] for kind, sock in self.listeners.items()}
        for kind, (host, port) in addresses.items():
            log.info("listening for carbon %s on %s:%d", _KIND_NAMES[kind], host, port)
        return addresses

    def _accept(self, listener: socket.socket, pickled: bool) -> None:
        try:
            sock, address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.warning("accept failed: %s", exc)
            return
        if len(self.conns) >= self.options.max_connections:
            self.intake.bad.add("too_many_connections", "connection closed", _peer(address))
            sock.close()
            return
        sock.setblocking(False)
        conn = _Conn(sock, _peer(address), pickled)
        self.conns[sock.fileno()] = conn
        self.selector.register(sock, selectors.EVENT_READ, conn)
        self.stats.connections += 1

    def _close(self, conn: _Conn, how: str) -> None:
        if conn.rest and not conn.skipping:
            self.intake.bad.add("truncated", f"{len(conn.rest)} bytes of a cut message", conn.peer)
        self.stats.closed[how] += 1
        self.conns.pop(conn.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn.sock)
        conn.sock.close()

    def _read(self, conn: _Conn) -> bool:
        """One read of ``conn``; False when it is closed (or nothing was there)."""
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            self._close(conn, "reset" if exc.errno == errno.ECONNRESET else "error")
            return False
        if not data:
            self._close(conn, "eof")
            return False
        if conn.pickle:
            self._pickle_data(conn, data)
        else:
            self._line_data(conn, data)
        return True

    def _line_data(self, conn: _Conn, data: bytes) -> None:
        if conn.skipping:
            end = data.find(b"\n")
            if end < 0:
                return
            data, conn.skipping = data[end + 1 :], False
        if conn.rest:
            data = conn.rest + data
        end = data.rfind(b"\n")
        if end >= 0:
            self.intake.add_lines(data[:end], conn.peer)
            data = data[end + 1 :]
        if len(data) > self.options.max_line:
            self.intake.bad.add("line_too_long", f"over {self.options.max_line} bytes", conn.peer)
            conn.rest, conn.skipping = b"", True
        else:
            conn.rest = data

    def _pickle_data(self, conn: _Conn, data: bytes) -> None:
        data = conn.rest + data if conn.rest else data
        start = 0
        while len(data) - start >= 4:
            size = int.from_bytes(data[start : start + 4], "big")
            if size > self.options.max_pickle:
                self.intake.bad.add(
                    "pickle_too_large", f"{size} bytes > {self.options.max_pickle}", conn.peer
                )
                conn.rest = b""
                self._close(conn, "refused")
                return
            if len(data) - start < 4 + size:
                break
            self.intake.add_pickle(data[start + 4 : start + 4 + size], conn.peer)
            start += 4 + size
        conn.rest = data[start:]

    def _datagrams(self, sock: socket.socket, most: int = 256) -> None:
        for _ in range(most):
            try:
                data, address = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("UDP receive failed: %s", exc)
                return
            self.stats.datagrams += 1
            self.intake.add_lines(data, _peer(address))

    # -- the Processor --------------------------------------------------------------

    def poll(self, stop: Callable[[], bool]) -> bool:
        monotonic = self.clock.monotonic
        now = monotonic()
        if now < self._paused_until:
            self.clock.sleep(min(self._paused_until - now, POLL_SECONDS))
            if self.writer.pending:
                self.write(flush=False)
            return False
        deadline = now + POLL_SECONDS
        batch = self.options.batch_points
        while not stop() and self.intake.buffered < batch:
            left = deadline - monotonic()
            if left <= 0:
                break
            for key, _ in self.selector.select(timeout=left):
                handler = key.data
                if isinstance(handler, _Conn):
                    self._read(handler)
                elif handler == "udp":
                    self._datagrams(key.fileobj)  # type: ignore[arg-type]
                elif handler == "wake":
                    self._woken()
                else:
                    self._accept(key.fileobj, handler == "pickle")  # type: ignore[arg-type]
        if self.intake.buffered >= batch:
            self.write(flush=False)
        return False

    def write(self, flush: bool) -> None:
        """Write what waits (and what was kept from before); with ``flush``, have
        rrdcached write it to the files and verify them."""
        samples, schemas = self.intake.take()
        groups: dict[Schema, dict[str, Sequence[Sample]]] = {}
        for relative, points in samples.items():
            # a sequence of samples (not declared one: compiled classes derive from none)
            groups.setdefault(schemas[relative], {})[relative] = cast(Sequence[Sample], points)
        if not groups:
            groups[self.options.schemas.default] = {}
        last = len(groups) - 1
        for i, (schema, files) in enumerate(groups.items()):
            self.writer.write_batch(schema, files, flush=flush and i == last)
        if self.held_path is not None:
            save_held_file(self.writer.held, self.held_path)
        if self.writer.pending:
            delay = self._backoff.next()
            self._paused_until = self.clock.monotonic() + delay
            log.error(
                "%d files could not be written for now (%s); reading pauses %.1f s",
                len(self.writer.pending),
                self.writer.error,
                delay,
            )
        else:
            self._backoff.delay = 0.0

    def checkpoint(self) -> None:
        self.write(flush=True)

    def join(self) -> bool:
        """Stop listening (taking the connections already made and the datagrams
        already there first), read what the open connections still hold, write, verify."""
        for kind, sock in self.listeners.items():
            if kind == "udp":
                self._datagrams(sock, most=1 << 20)  # until none is left
            else:
                for _ in range(self.options.max_connections):
                    before = self.stats.connections
                    self._accept(sock, kind == "pickle")
                    if self.stats.connections == before:
                        break
            self.selector.unregister(sock)
            sock.close()
        self.listeners.clear()
        deadline = self.clock.monotonic() + DRAIN_SECONDS
        while self.conns and self.clock.monotonic() < deadline:
            if not any([self._read(conn) for conn in list(self.conns.values())]):
                break
        for conn in list(self.conns.values()):
            self._close(conn, "stopped")
        self.write(flush=True)
        for _ in range(3):
            if not self.writer.pending:
                break
            self.clock.sleep(1.0)
            self.write(flush=True)
        if self.writer.pending:
            log.error("%d files still not written at exit", len(self.writer.pending))
        return not self.writer.pending

    def report(self, final: bool = False) -> None:
        if final or self._status.due():
            self.log_status(final)

    def log_status(self, final: bool = False) -> None:
        rate = self._status.rate(self.intake.points)
        bad = self.intake.bad
        log.info(
            "%s: %.0f points/s; points=%d connections=%d open=%d datagrams=%d bad=%d (%s) %s",
            "finished" if final else "status",
            rate,
            self.intake.points,
            self.stats.connections,
            len(self.conns),
            self.stats.datagrams,
            bad.total(),
            ", ".join(f"{reason}: {n}" for reason, n in sorted(bad.counts.items())),
            self.writer.counters.status(),
        )
        bad.warned.clear()

    def _woken(self) -> None:
        with contextlib.suppress(OSError):  # nothing more to read
            while self._wake_read.recv(4096):
                pass

    def close(self) -> None:
        for conn in list(self.conns.values()):
            self._close(conn, "stopped")
        for sock in self.listeners.values():
            sock.close()
        self.selector.close()
        self._wake_read.close()
        self._wake_write.close()


_KIND_NAMES = {
    "line": "plaintext over TCP",
    "pickle": "pickle over TCP",
    "udp": "plaintext over UDP",
}


def _peer(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def run(
    options: CarbonOptions, ready: Callable[[dict[str, tuple[str, int]]], None] | None = None
) -> bool:
    """Run the receiver until SIGTERM/SIGINT; True when everything received was saved."""
    store = RRDStore(options.rrd_dir, rrdcached=options.rrdcached, limits=options.limits)
    receiver = CarbonReceiver(options, store)
    loop = DaemonLoop(
        receiver,
        EventWake(),
        LoopOptions(
            poll_interval=0.0,
            checkpoint_interval=options.write_interval,
            status_interval=options.status_interval,
        ),
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        loop.request_stop()
        receiver.wake()

    on_signals(stop)  # before listening: a sender's data is never lost to a default SIGTERM
    try:
        addresses = receiver.open()
    except OSError as exc:
        receiver.close()
        raise ListenError(f"cannot listen on {options.listen}: {exc}") from exc
    if ready is not None:
        ready(addresses)
    started = time.monotonic()
    saved = loop.run()
    log.info(
        "stopped after %.0f s%s",
        time.monotonic() - started,
        "" if saved else " with samples unsaved",
    )
    return saved
