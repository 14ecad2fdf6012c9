"""rrdtool's PNGs written with cheaper libpng settings (zlib level 3, no row filter).

Profiling a render worker drawing the 600x200 graph of ``bench side_by_side``
(perf, 21 000 samples): zlib 33 %, libpng's row filters 20 %, cairo's drawing 31 %.
cairo writes PNGs with libpng's defaults (zlib level 6, every filter tried on every
row), which rrdtool cannot change.  The compiled helper ``_pngwrite``
(``_pngwrite.c``) defines ``png_write_info``, which cairo calls once per image, and
sets level 3 and no row filter before calling libpng's own: the same pixels in a
slightly smaller file, the whole graph in 60 % of the time.

The helper must be in the process's global symbol scope before rrdtool (with libcairo,
which binds its symbols when loaded) is imported: :func:`install` is called when the
``graphmetrics`` package is imported, before any of its modules imports rrdtool (in
the web process, the render workers' forkserver, the collectors alike).  Without the helper
(``GRAPHMETRICS_PURE_PYTHON`` installs, or rrdtool imported first) PNGs are written as
before.
"""

from __future__ import annotations

import os
import sys

_active = False


def install() -> bool:
    """Put the helper in the global symbol scope; whether PNGs will use it."""
    global _active
    if _active:
        return True
    if "rrdtool" in sys.modules:  # libcairo bound libpng's png_write_info already
        return False
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | os.RTLD_GLOBAL)
    try:
        from graphmetrics.render import _pngwrite  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return False
    finally:
        sys.setdlopenflags(flags)
    _active = True
    return True


def tuned() -> int:
    """PNGs this process wrote with the cheaper settings (0 without the helper)."""
    if not _active:
        return 0
    from graphmetrics.render import _pngwrite  # type: ignore[attr-defined]

    count: int = _pngwrite.tuned()
    return count
