"""graphite-web's ``format_units`` (glyph.py): 1234567 → (1.234567, "M")."""

from __future__ import annotations

import math

UNIT_SYSTEMS: dict[str, tuple[tuple[str, float], ...]] = {
    "binary": (("Pi", 1024.0**5), ("Ti", 1024.0**4), ("Gi", 1024.0**3), ("Mi", 1024.0**2),
               ("Ki", 1024.0)),
    "si": (("P", 1000.0**5), ("T", 1000.0**4), ("G", 1000.0**3), ("M", 1000.0**2), ("k", 1000.0)),
}  # fmt: skip


def format_units(v: float, system: str = "si", units: str | None = None) -> tuple[float, str]:
    """The value scaled to the largest prefix it reaches, and that prefix (+ units)."""
    for prefix, size in UNIT_SYSTEMS[system]:
        if abs(v) >= size:
            v2 = v / size
            if (v2 - math.floor(v2)) < 0.00000000001 and v > 1:
                v2 = float(math.floor(v2))
            return v2, f"{prefix}{units}" if units else prefix
    if (v - math.floor(v)) < 0.00000000001 and v > 1:
        v = float(math.floor(v))
    return v, units or ""
