"""The rrdcached commands the rrdtool binding lacks: FORGET, LIST, PING, and LAST
for many files on one connection (:func:`commands`).

After rrdcached loses a write (its FLUSH still answers success), it keeps the lost
sample's time as the file's last update and refuses the same samples again
("illegal attempt to update ... minimum one second step").  FORGET drops that
cache entry, so the next UPDATE starts from what the file really holds.  The address
forms are librrd's: ``unix:/path``, ``/path``, ``host``, ``host:port``,
``[v6 address]:port``.
"""

from __future__ import annotations

import socket

DEFAULT_PORT = 42217
TIMEOUT = 10.0


def connect(address: str) -> socket.socket:
    if address.startswith("unix:") or address.startswith("/"):
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


def forget(address: str, path: str) -> str:
    """Have rrdcached drop what it caches about ``path`` (pending updates included)."""
    return command(address, f"FORGET {path}")


class DaemonError(Exception):
    """rrdcached could not be reached, or answered something unreadable."""


def _read_answers(sock: socket.socket, count: int) -> list[tuple[str, list[str]]]:
    """``count`` answers: each a status line and, when its number is positive, that
    many more lines (``LIST``'s names)."""
    data = sock.makefile("rb")
    answers = []
    for _ in range(count):
        status = data.readline().decode(errors="replace").rstrip("\n")
        if not status:
            raise DaemonError("rrdcached closed the connection")
        number, _, _ = status.partition(" ")
        try:
            lines = int(number)
        except ValueError:
            raise DaemonError(f"rrdcached answered {status!r}") from None
        more = [data.readline().decode(errors="replace").rstrip("\n") for _ in range(max(lines, 0))]
        answers.append((status, more))
    return answers


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
