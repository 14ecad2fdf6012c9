"""graphmetrics: tracelog and metrics collectors writing RRD files, and a web app to graph them."""

# Before any module imports rrdtool: cheaper libpng settings for its PNGs, which only
# take effect when loaded before libcairo (graphmetrics.render.pngwrite says why).
from graphmetrics.render import pngwrite as _pngwrite  # noqa: E402

_pngwrite.install()
