"""rrdtool graph elements for Graphite's drawing functions (``color``, ``lineWidth``,
``dashed``, ``stacked``, ``areaBetween``, ``secondYAxis``, ``drawAsInfinite``, ``alpha``).

What rrdtool cannot draw is left out and listed in ``docs/graphite.md``: a second
Y axis is rrdtool's ``--right-axis``, a fixed linear copy of the left one, so the
second-axis series are scaled into the left axis' range and the right axis is
labelled in their units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# graphite-web's colour names (glyph.py colorAliases)
COLORS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0), "white": (255, 255, 255), "blue": (100, 100, 255),
    "green": (0, 200, 0), "red": (200, 0, 50), "yellow": (255, 255, 0),
    "orange": (255, 165, 0), "purple": (200, 100, 255), "brown": (150, 100, 50),
    "cyan": (0, 255, 255), "aqua": (0, 150, 150), "gray": (175, 175, 175),
    "grey": (175, 175, 175), "magenta": (255, 0, 255), "pink": (255, 100, 100),
    "gold": (200, 200, 0), "rose": (200, 150, 200), "darkblue": (0, 0, 255),
    "darkgreen": (0, 255, 0), "darkred": (255, 0, 0), "darkgray": (111, 111, 111),
    "darkgrey": (111, 111, 111),
}  # fmt: skip
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
MAX_LINE_WIDTH = 20.0
MAX_DASH = 100


@dataclass
class Line:
    """One series to draw: its DEF name, default colour and Graphite options."""

    vname: str
    label: str
    color: str
    options: Mapping[str, Any]


def rrd_color(options: Mapping[str, Any], default: str) -> str:
    """``#rrggbb[aa]`` from a Graphite colour (a name or hex) and ``alpha`` (0-1)."""
    text = str(options.get("color") or "").strip().lower()
    if text in COLORS:
        color = "#" + "".join(f"{c:02x}" for c in COLORS[text])
    elif (match := _HEX.fullmatch(text)) is not None:
        color = "#" + match.group(1)
    else:
        color = default
    alpha = options.get("alpha")
    if isinstance(alpha, int | float) and not math.isnan(alpha) and len(color) == 7:
        color += f"{round(min(max(float(alpha), 0.0), 1.0) * 255):02x}"
    return color


def right_axis_factor(
    values: Sequence[Sequence[float | None]], options: Sequence[Mapping[str, Any]]
) -> float | None:
    """How much larger the second-axis series run than the others; None without any."""

    def peak(second: bool) -> float:
        found = [
            abs(v)
            for vals, opts in zip(values, options, strict=True)
            if bool(opts.get("secondYAxis")) == second
            for v in vals
            if v is not None and math.isfinite(v)
        ]
        return max(found, default=0.0)

    if not any(o.get("secondYAxis") for o in options):
        return None
    left, right = peak(False), peak(True)
    if left <= 0 or right <= 0:
        return 1.0
    return right / left


def elements(lines: Sequence[Line], factor: float | None, escape: Any) -> list[str]:
    """CDEF/LINE/AREA/TICK arguments for ``lines`` (after their DEFs)."""
    args: list[str] = []
    previous_stacked: str | None = None
    for line in lines:
        opts = line.options
        vname = line.vname
        if opts.get("secondYAxis") and factor:
            args.append(f"CDEF:{vname}r={vname},{factor!r},/")
            vname += "r"
        color = rrd_color(opts, line.color)
        label = escape(line.label)
        if opts.get("drawAsInfinite"):
            args.append(f"TICK:{vname}{color}:1.0:{label}")
            continue
        if opts.get("stacked"):
            if previous_stacked is None:
                shown = "" if opts.get("invisible") else f"{color}:{label}"
                args.append(f"AREA:{vname}{shown}" if shown else f"AREA:{vname}")
            else:  # the values are running totals: draw what this series adds
                args.append(f"CDEF:{vname}d={vname},{previous_stacked},-")
                args.append(f"AREA:{vname}d{color}:{label}:STACK")
            previous_stacked = vname
            continue
        width = opts.get("lineWidth", 1)
        width = min(max(float(width), 0.1), MAX_LINE_WIDTH) if isinstance(width, int | float) else 1
        element = f"LINE{width:g}:{vname}{color}:{label}"
        dash = opts.get("dashed")
        if isinstance(dash, int | float) and dash > 0:
            element += f":dashes={min(int(dash), MAX_DASH) or 1}"
        args.append(element)
    if factor:
        args += ["--right-axis", f"{factor!r}:0"]
    return args
