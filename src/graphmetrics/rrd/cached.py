"""The one rrdcached command the rrdtool binding lacks: FORGET.

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
