"""Moving from the original graphmetrics (zc.graphmetrics 0.9): its saved graphs and links.

``chart.py`` turns one of the original's saved charts (the query parameters of its
``show.png``) into a graph definition and view, pure; ``names.py`` maps its users
and page names; ``zodb.py`` reads its ``Data.fs`` (read only, Python 2 pickles);
``importer.py`` writes the pages through the saved-graph service.  The old links are
answered by :mod:`graphmetrics.web.views.original`.
"""
