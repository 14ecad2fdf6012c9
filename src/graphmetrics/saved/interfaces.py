"""The saved-graph service's interface; views look it up with ``request.find_service``."""

from __future__ import annotations

from zope.interface import Interface


class ISavedGraphs(Interface):
    """Users, their pages and the graphs on them (see ``graphmetrics.saved.services``)."""
