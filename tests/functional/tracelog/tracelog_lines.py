"""Hand-made tracelog lines with known per-minute results."""

from __future__ import annotations

import calendar


def epoch(minute: str) -> int:
    """``YYYY-MM-DD HH:MM`` (UTC) as epoch seconds."""
    date, hhmm = minute.split()
    y, m, d = (int(x) for x in date.split("-"))
    hh, mm = (int(x) for x in hhmm.split(":"))
    return calendar.timegm((y, m, d, hh, mm, 0, 0, 0, 0))


def request(
    src: str, rid: int, minute: str, second: int, wait: float, busy: float, status: str = "200 12"
) -> list[str]:
    """B, I, C, A, E lines of one request starting at ``minute:second``."""

    def ts(offset: float) -> str:
        total = second + offset
        return f"{minute}:{int(total):02d}.{round((total % 1) * 1e6):06d}"

    return [
        f"{src} : B {rid} {ts(0)} GET /x",
        f"{src} : I {rid} {ts(0.001)} 0",
        f"{src} : C {rid} {ts(0.001 + wait)}",
        f"{src} : A {rid} {ts(0.001 + wait + busy)} {status}",
        f"{src} : E {rid} {ts(0.002 + wait + busy)}",
    ]
