"""Drawing and evaluation: everything that turns stored series into a graph or an
export, under one set of limits.

``graph.py`` rrdtool graph/xport arguments, work estimates, CSV/JSON, error images and
the Graphite fetch/draw; ``rpn.py`` RPN checks and limits; ``timespec.py`` start/end
parsing; ``overlays.py`` compare-with-the-past lines; ``renderpool.py`` the render
worker processes and their deadlines.  Storage (layout, backends, writer, rrdcached)
stays in ``rrd/``.
"""
