"""The rrdcached commands the rrdtool binding lacks: FORGET, LIST, PING, and LAST
for many files on one connection (:func:`commands`); a :class:`Connection` kept open
(a storage node's writer, ``rrd/node.py``, and the rrdcached backend's ``BATCH`` and
pipelined ``FLUSH``, ``rrd/backend.py``).

After rrdcached loses a write (its FLUSH still answers success), it keeps the lost
sample's time as the file's last update and refuses the same samples again
("illegal attempt to update ... minimum one second step").  FORGET drops that
cache entry, so the next UPDATE starts from what the file really holds.  The address
forms are librrd's: ``unix:/path``, ``/path``, ``host``, ``host:port``,
``[v6 address]:port``.
"""

from __future__ import annotations

import socket
from typing import BinaryIO

DEFAULT_PORT = 42217
TIMEOUT = 10.0
#: Commands sent before reading their answers (:meth:`Connection.ask_many`): their
#: answers must fit the socket's buffer, or rrdcached would stop reading.
PIPELINE = 500


def is_unix(address: str) -> bool:
    """``unix:/path`` or ``/path``: a daemon on this host (absolute file names)."""
    return address.startswith("unix:") or address.startswith("/")


def connect(address: str) -> socket.socket:
    if is_unix(address):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(address.removeprefix("unix:"))
        return sock
    host, port = address, DEFAULT_PORT
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif address.count(":") == 1:
        host, _, text = address.partition(":")
        port = int(text)
    return socket.create_connection((host, port), timeout=TIMEOUT)


def command(address: str, line: str) -> str:
    """Send one command line, return rrdcached's status line (``0 ...`` or ``-1 ...``)."""
    with connect(address) as sock:
        sock.sendall(line.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.decode(errors="replace").strip()


def escape(name: str) -> str:
    """A file name as one field of an rrdcached command line (librrd's escaping)."""
    return name.replace("\\", "\\\\").replace(" ", "\\ ")


def forget(address: str, path: str) -> str:
    """Have rrdcached drop what it caches about ``path`` (pending updates included)."""
    return command(address, f"FORGET {escape(path)}")


class DaemonError(Exception):
    """rrdcached could not be reached, or answered something unreadable."""


Answer = tuple[str, list[str]]


def _read_answer(data: BinaryIO) -> Answer:
    """A status line and, when its number is positive, that many more lines
    (``LIST``'s names, ``INFO``'s fields)."""
    status = data.readline().decode(errors="replace").rstrip("\n")
    if not status:
        raise DaemonError("rrdcached closed the connection")
    number, _, _ = status.partition(" ")
    try:
        lines = int(number)
    except ValueError:
        raise DaemonError(f"rrdcached answered {status!r}") from None
    more = [data.readline().decode(errors="replace").rstrip("\n") for _ in range(max(lines, 0))]
    return status, more


def _read_answers(sock: socket.socket, count: int) -> list[Answer]:
    data = sock.makefile("rb")
    return [_read_answer(data) for _ in range(count)]


class Connection:
    """One connection to the daemon at ``address``, opened on first use and again
    after an error (which raises :class:`DaemonError`: nothing is resent)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._sock: socket.socket | None = None
        self._data: BinaryIO | None = None

    def ask(self, line: str) -> Answer:
        """Send one command line and read its answer."""
        try:
            self._open().sendall(line.encode() + b"\n")
            assert self._data is not None
            return _read_answer(self._data)
        except (OSError, ValueError, DaemonError) as exc:
            self.close()
            raise DaemonError(f"rrdcached at {self.address}: {exc}") from None

    def ask_many(self, lines: list[str]) -> list[Answer]:
        """Send ``lines`` without waiting for each answer (rrdcached answers in order),
        :data:`PIPELINE` at a time so neither side blocks on a full socket buffer."""
        answers: list[Answer] = []
        for start in range(0, len(lines), PIPELINE):
            chunk = lines[start : start + PIPELINE]
            try:
                self._open().sendall("".join(f"{line}\n" for line in chunk).encode())
                assert self._data is not None
                answers.extend(_read_answer(self._data) for _ in chunk)
            except (OSError, ValueError, DaemonError) as exc:
                self.close()
                raise DaemonError(f"rrdcached at {self.address}: {exc}") from None
        return answers

    def batch(self, lines: list[str]) -> dict[int, str]:
        """Send ``lines`` as one ``BATCH`` (rrdcached answers once, at its end); the
        refused ones by index in ``lines``, with rrdcached's message.  The lines are
        sent only after rrdcached agreed to the batch: refused, they would run as
        commands of their own."""
        status, _ = self.ask("BATCH")
        if not status.startswith("0"):
            raise DaemonError(f"rrdcached at {self.address}: BATCH: {status}")
        try:
            self._open().sendall("".join(f"{line}\n" for line in lines + ["."]).encode())
            assert self._data is not None
            status, errors = _read_answer(self._data)
        except (OSError, ValueError, DaemonError) as exc:
            self.close()
            raise DaemonError(f"rrdcached at {self.address}: {exc}") from None
        if status.startswith("-"):
            raise DaemonError(f"rrdcached at {self.address}: BATCH: {status}")
        refused: dict[int, str] = {}
        for error in errors:
            number, _, message = error.partition(" ")
            try:
                refused[int(number) - 1] = message
            except ValueError:
                raise DaemonError(f"rrdcached at {self.address}: BATCH: {error!r}") from None
        return refused

    def _open(self) -> socket.socket:
        if self._sock is None or self._data is None:
            self._sock = connect(self.address)
            self._data = self._sock.makefile("rb")
        return self._sock

    def close(self) -> None:
        if self._data is not None:
            self._data.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._data = None


def parse_info(lines: list[str]) -> dict[str, str | int | float]:
    """``INFO``'s ``name type value`` lines as ``rrdtool.info`` returns them (type 0 a
    float, 1 and 3 integers, 2 a string)."""
    info: dict[str, str | int | float] = {}
    for line in lines:
        name, kind, value = (line.split(" ", 2) + ["", ""])[:3]
        if kind == "0":
            info[name] = float(value)
        elif kind in ("1", "3"):
            info[name] = int(value)
        else:
            info[name] = value
    return info


def commands(address: str, lines: list[str]) -> list[tuple[str, list[str]]]:
    """Send ``lines`` on one connection without waiting (rrdcached answers in order);
    (status line, extra lines) per command.  :class:`DaemonError` when unreachable."""
    try:
        with connect(address) as sock:
            sock.sendall("".join(f"{line}\n" for line in lines).encode())
            return _read_answers(sock, len(lines))
    except (OSError, ValueError) as exc:
        raise DaemonError(f"rrdcached at {address}: {exc}") from None


def list_files(address: str) -> list[str]:
    """Every RRD file under the daemon's base directory, relative (``LIST RECURSIVE /``)."""
    ((status, names),) = commands(address, ["LIST RECURSIVE /"])
    if status.startswith("-"):
        raise DaemonError(f"rrdcached at {address}: LIST: {status}")
    return names


def ping(address: str) -> None:
    """:class:`DaemonError` unless the daemon answers ``PING`` with ``PONG``."""
    ((status, _),) = commands(address, ["PING"])
    if not status.endswith("PONG"):
        raise DaemonError(f"rrdcached at {address}: PING: {status}")
