"""The saved-graph service's interface; views look it up with ``request.find_service``.

:class:`~graphmetrics.saved.services.SavedGraphService` implements it on SQLAlchemy;
unit tests of the views register a fake providing the same methods.
"""

from __future__ import annotations

from zope.interface import Interface


class ISavedGraphs(Interface):
    """Users, their pages and the graphs on them.

    Changes check the page's ``generation`` (``StaleGeneration`` when another save
    came first) and the quotas (``InvalidInput`` saying which).
    """

    def user(name):
        """The ``User`` called ``name``, or None."""

    def users():
        """Every user's name with the number of pages, by name."""

    def listing():
        """Every user's pages with their graph counts: (user, section, page, graphs)."""

    def pages(user, section):
        """The user's pages in ``section``, ``default`` first, then in creation order."""

    def page(user, section, name):
        """One ``Page``, or None."""

    def graph(page, graph_id):
        """One ``Graph`` of ``page``, or None."""

    def sign_in_generation(name):
        """The user's sign-in generation (tickets carry it); None: no such user."""

    def end_sign_ins(name):
        """Move the user's sign-in generation on: every earlier ticket is refused."""

    def ensure_user(name):
        """The ``User`` called ``name`` (in any case), created if new."""

    def ensure_identity(issuer, subject, wanted):
        """The ``User`` of the provider's issuer + subject, created (named ``wanted``,
        made unique) if new."""

    def bind_identity(name, issuer, subject):
        """Attach the existing user ``name`` to the provider's issuer + subject."""

    def ensure_default_page(user, section):
        """The user's ``default`` page of ``section``, created if new."""

    def create_page(user, section, name):
        """A new empty page (``InvalidInput`` for a bad or taken name, or past the quota)."""

    def save_graphs(page, generation, graphs, variables=None):
        """Replace the page's graphs (kept by id, in this order) and, unless None, its
        variables (``saved.variables.Variable``) if ``generation`` is current."""

    def rename_page(page, generation, name):
        """Give ``page`` a new name (not the default page, not a name its owner uses)."""

    def delete_page(page, generation):
        """Delete ``page`` (not a default page)."""

    def clone_page(page, user, name):
        """A copy of ``page`` (anyone's) as ``user``'s new page ``name``."""

    def clone_graph(graph, target):
        """Append a copy of ``graph`` to ``target``."""
