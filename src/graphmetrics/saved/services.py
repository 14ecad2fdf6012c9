"""Reading and changing saved pages; every write checks the page's generation.

Views pass plain JSON-like data in and get ORM objects or plain dicts back; the
service validates names and sizes so a bad request becomes :class:`InvalidInput`
(a 400) and a write based on an old generation becomes :class:`StaleGeneration`
(a 409), never a database error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zope.interface import implementer

from graphmetrics.saved.accounts import RESERVED_USERS as RESERVED_USERS
from graphmetrics.saved.accounts import USER_NAME as USER_NAME
from graphmetrics.saved.accounts import (
    Accounts,
    InvalidInput,
    check_user_name,
    named,
)
from graphmetrics.saved.accounts import in_db_range as in_db_range
from graphmetrics.saved.interfaces import ISavedGraphs
from graphmetrics.saved.models import SECTIONS, Graph, Page, User, utcnow
from graphmetrics.saved.variables import Variable

DEFAULT_PAGE = "default"
PAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_GRAPHS = 100
# as much as /render takes in graph= (graphdef.MAX_GRAPH_JSON): a fleet-wide total
# of a few hundred series must fit
MAX_DEFINITION_BYTES = 65_536
VIEW_KEYS: dict[str, type | tuple[type, ...]] = {
    "start": str,
    "end": str,
    "trail": (int, float),
    "step": int,  # seconds per data point asked of /render
    "height": int,  # image height in pixels
    "hidden": list,  # the lines (their value names) hidden from the legend
    "span": str,  # the card's width in the page's grid: SPANS
}
SPANS = ("third", "half", "full")
MAX_HIDDEN = 100
VIEW_BOUNDS = {"step": (1, 366 * 86400), "height": (80, 2000)}


class StaleGeneration(Exception):
    """The write was based on an older generation of the page than the stored one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the page changed meanwhile (now at generation {current}); reload it")
        self.current = current


@dataclass(frozen=True)
class Limits:
    """How much one user may store (settings ``max_pages_per_user``, ``max_page_bytes``)."""

    pages_per_user: int = 200
    page_bytes: int = 256_000


@dataclass(frozen=True)
class GraphInput:
    definition: dict[str, Any]
    view: dict[str, Any]
    id: int | None = None


def check_page_name(name: str) -> str:
    if not isinstance(name, str) or not PAGE_NAME.fullmatch(name):
        raise InvalidInput(
            f"bad page name {name!r}: 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_section(section: str) -> str:
    if section not in SECTIONS:
        raise InvalidInput(f"bad section {section!r}: one of {', '.join(SECTIONS)}")
    return section


def _has_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    return not isinstance(value, bool) and isinstance(value, kind)


def check_view(view: Any, where: str) -> dict[str, Any]:
    if view is None:
        return {}
    if not isinstance(view, dict):
        raise InvalidInput(f"{where}.view must be an object")
    clean: dict[str, Any] = {}
    for key, value in view.items():
        kind = VIEW_KEYS.get(key)
        if kind is None:
            raise InvalidInput(f"{where}.view: unknown key {key!r} ({', '.join(VIEW_KEYS)})")
        if value is None:
            continue
        if not _has_type(value, kind):
            raise InvalidInput(f"{where}.view.{key}: wrong type {type(value).__name__}")
        if isinstance(value, str) and len(value) > 64:
            raise InvalidInput(f"{where}.view.{key}: longer than 64 characters")
        if key == "hidden" and (
            len(value) > MAX_HIDDEN or not all(isinstance(v, str) and len(v) <= 64 for v in value)
        ):
            raise InvalidInput(f"{where}.view.hidden: at most {MAX_HIDDEN} line names")
        if key == "span" and value not in SPANS:
            raise InvalidInput(f"{where}.view.span: one of {', '.join(SPANS)}")
        if key == "trail" and not 0 < value <= 24 * 400:
            raise InvalidInput(f"{where}.view.trail: hours between 0 and 9600")
        if key in VIEW_BOUNDS and not VIEW_BOUNDS[key][0] <= value <= VIEW_BOUNDS[key][1]:
            low, high = VIEW_BOUNDS[key]
            raise InvalidInput(f"{where}.view.{key}: between {low} and {high}")
        clean[key] = value
    return clean


def parse_graphs(items: Any) -> list[GraphInput]:
    """The ``graphs`` list of a save request, checked."""
    if not isinstance(items, list):
        raise InvalidInput("graphs must be a list")
    if len(items) > MAX_GRAPHS:
        raise InvalidInput(f"at most {MAX_GRAPHS} graphs on a page, got {len(items)}")
    return [parse_graph(item, f"graphs[{i}]") for i, item in enumerate(items)]


def parse_graph(item: Any, where: str = "graph") -> GraphInput:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object")
    definition = item.get("definition")
    if not isinstance(definition, dict):
        raise InvalidInput(f"{where}.definition must be a graph definition object")
    if not isinstance(definition.get("series", []), list):
        raise InvalidInput(f"{where}.definition.series must be a list")
    if len(json.dumps(definition)) > MAX_DEFINITION_BYTES:
        raise InvalidInput(f"{where}.definition is larger than {MAX_DEFINITION_BYTES} bytes")
    graph_id = item.get("id")
    if graph_id is not None and (isinstance(graph_id, bool) or not isinstance(graph_id, int)):
        raise InvalidInput(f"{where}.id must be an integer")
    return GraphInput(definition=definition, view=check_view(item.get("view"), where), id=graph_id)


def graph_json(graph: Graph) -> dict[str, Any]:
    return {"id": graph.id, "definition": graph.definition, "view": graph.view or {}}


def page_json(page: Page) -> dict[str, Any]:
    return {
        "user": page.owner.name,
        "section": page.section,
        "name": page.name,
        "generation": page.generation,
        "variables": list(page.variables or []),
        "graphs": [graph_json(g) for g in page.graphs],
    }


def graph_bytes(definition: dict[str, Any], view: dict[str, Any] | None) -> int:
    return len(json.dumps(definition)) + len(json.dumps(view or {}))


@implementer(ISavedGraphs)
class SavedGraphService(Accounts):
    def __init__(self, session: Session, limits: Limits | None = None) -> None:
        self.session = session
        self.limits = limits or Limits()

    # -- reading -----------------------------------------------------------------
    def users(self) -> list[tuple[str, int]]:
        """Every user's name with the number of pages, by name."""
        rows = self.session.execute(
            select(User.name, func.count(Page.id))
            .outerjoin(Page, Page.user_id == User.id)
            .group_by(User.id)
            .order_by(func.lower(User.name))
        )
        return [(name, count) for name, count in rows]

    def listing(self) -> list[tuple[str, str | None, str | None, int]]:
        """Every user's pages with their graph counts, in one query: (user, section,
        page, graphs) by user, then section and page order; (user, None, None, 0) for a
        user without pages."""
        rows = self.session.execute(
            select(User.name, Page.section, Page.name, func.count(Graph.id))
            .outerjoin(Page, Page.user_id == User.id)
            .outerjoin(Graph, Graph.page_id == Page.id)
            .group_by(User.id, Page.id)
            .order_by(func.lower(User.name), Page.section)
            .order_by((Page.name != DEFAULT_PAGE), Page.position, Page.id)
        )
        return [(name, section, page, count) for name, section, page, count in rows]

    def pages(self, user: str, section: str) -> list[Page]:
        """The user's pages in ``section``, ``default`` first, then in creation order."""
        return list(
            self.session.scalars(
                select(Page)
                .join(User)
                .where(named(user), Page.section == section)
                .order_by((Page.name != DEFAULT_PAGE), Page.position, Page.id)
            )
        )

    def page(self, user: str, section: str, name: str) -> Page | None:
        return self.session.scalar(
            select(Page).join(User).where(named(user), Page.section == section, Page.name == name)
        )

    def graph(self, page: Page, graph_id: int) -> Graph | None:
        return next((g for g in page.graphs if g.id == graph_id), None)

    # -- signing out ---------------------------------------------------------------
    def sign_in_generation(self, name: str) -> int | None:
        """The user's sign-in generation (tickets carry it); None: no such user."""
        return self.session.scalar(select(User.sign_in_generation).where(named(name)))

    def end_sign_ins(self, name: str) -> int | None:
        """Move the user's sign-in generation on: every earlier ticket is refused."""
        self.session.execute(
            update(User).where(named(name)).values(sign_in_generation=User.sign_in_generation + 1),
            execution_options={"synchronize_session": False},
        )
        self.session.commit()
        return self.sign_in_generation(name)

    # -- writing -----------------------------------------------------------------
    def ensure_user(self, name: str) -> User:
        """The account called ``name`` in any case (``Alice`` is ``alice``), made if new."""
        check_user_name(name)
        user = self.user(name)
        if user is None:
            user = User(name=name)
            self.session.add(user)
            try:
                self.session.commit()
            except IntegrityError:  # created by a concurrent request
                self.session.rollback()
                user = self.user(name)
                assert user is not None
        return user

    def ensure_default_page(self, user: str, section: str) -> Page:
        page = self.page(user, section, DEFAULT_PAGE)
        if page is None:
            page = self.create_page(user, section, DEFAULT_PAGE)
        return page

    def create_page(self, user: str, section: str, name: str) -> Page:
        check_section(section)
        check_page_name(name)
        owner = self.ensure_user(user)
        if self.page(user, section, name) is not None:
            raise InvalidInput(f"{user} already has a page named {name!r}")
        if name != DEFAULT_PAGE:
            self._check_page_count(owner)
        position = self.session.scalar(
            select(func.coalesce(func.max(Page.position), -1)).where(
                Page.user_id == owner.id, Page.section == section
            )
        )
        page = Page(owner=owner, section=section, name=name, position=int(position or 0) + 1)
        self.session.add(page)
        try:
            self._lock_owner(owner)
            self.session.flush()
            if name != DEFAULT_PAGE:
                self._check_page_count(owner, with_new=True)
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise InvalidInput(f"{user} already has a page named {name!r}") from exc
        except InvalidInput:
            self.session.rollback()
            raise
        return page

    def _lock_owner(self, owner: User) -> None:
        """Serialise page creations per user: the row is locked (PostgreSQL) until the
        commit; SQLite serialises writers itself, from the INSERT on."""
        self.session.execute(select(User.id).where(User.id == owner.id).with_for_update())

    def _check_page_count(self, owner: User, with_new: bool = False) -> None:
        """Refuse past ``pages_per_user``; ``with_new``: the new page is already counted,
        in the same transaction as its INSERT, so concurrent creations cannot all pass."""
        count = self.session.scalar(select(func.count(Page.id)).where(Page.user_id == owner.id))
        if with_new:
            count = (count or 1) - 1
        if (count or 0) >= self.limits.pages_per_user:
            raise InvalidInput(
                f"{owner.name} already has {count} pages, the most allowed here "
                f"(max_pages_per_user = {self.limits.pages_per_user}): delete one first"
            )

    def _check_page_bytes(self, page: Page, size: int) -> None:
        if size > self.limits.page_bytes:
            raise InvalidInput(
                f"page {page.name!r} would hold {size} bytes of graphs, more than allowed "
                f"(max_page_bytes = {self.limits.page_bytes})"
            )

    def _bump(self, page: Page, generation: int | None) -> None:
        """Move the page to the next generation, refusing if ``generation`` is not current."""
        query = update(Page).where(Page.id == page.id)
        if generation is not None:
            query = query.where(Page.generation == generation)
        result = self.session.execute(
            query.values(generation=Page.generation + 1, updated=utcnow()),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self.session.rollback()
            self.session.refresh(page)
            raise StaleGeneration(page.generation)

    def save_graphs(
        self,
        page: Page,
        generation: int,
        graphs: Sequence[GraphInput],
        variables: Sequence[Variable] | None = None,
    ) -> Page:
        """Replace the graphs (kept by id, in this order) and, unless None, the
        variables if ``generation`` is current."""
        self._check_page_bytes(page, sum(graph_bytes(g.definition, g.view) for g in graphs))
        self._bump(page, generation)
        if variables is not None:
            page.variables = [v.json() for v in variables]
        existing = {g.id: g for g in page.graphs}
        ordered: list[Graph] = []
        for position, item in enumerate(graphs):
            graph = existing.pop(item.id, None) if item.id is not None else None
            if graph is None:
                graph = Graph(definition=item.definition, view=item.view)
            else:
                graph.definition = item.definition
                graph.view = item.view
            graph.position = position
            ordered.append(graph)
        page.graphs = ordered
        self.session.commit()
        self.session.refresh(page)
        return page

    def rename_page(self, page: Page, generation: int, name: str) -> Page:
        """Give ``page`` a new name (not the default page, not a name its owner uses)."""
        check_page_name(name)
        if page.name == DEFAULT_PAGE:
            raise InvalidInput("the default page cannot be renamed; duplicate it instead")
        if name != page.name and self.page(page.owner.name, page.section, name) is not None:
            raise InvalidInput(f"{page.owner.name} already has a page named {name!r}")
        self._bump(page, generation)
        page.name = name
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise InvalidInput(f"{page.owner.name} already has a page named {name!r}") from exc
        self.session.refresh(page)
        return page

    def delete_page(self, page: Page, generation: int) -> None:
        if page.name == DEFAULT_PAGE:
            raise InvalidInput("the default page cannot be deleted; remove its graphs instead")
        self._bump(page, generation)
        self.session.delete(page)
        self.session.commit()

    def clone_page(self, page: Page, user: str, name: str) -> Page:
        """A copy of ``page`` (anyone's) as ``user``'s new page ``name``."""
        copy = self.create_page(user, page.section, name)
        copy.variables = list(page.variables or [])
        copy.graphs = [
            Graph(definition=g.definition, view=dict(g.view or {}), position=i)
            for i, g in enumerate(page.graphs)
        ]
        self.session.commit()
        return copy

    def clone_graph(self, graph: Graph, target: Page) -> Graph:
        """Append a copy of ``graph`` to ``target`` (moves ``target`` to a new generation)."""
        if len(target.graphs) >= MAX_GRAPHS:
            raise InvalidInput(f"page {target.name!r} already has {MAX_GRAPHS} graphs")
        size = sum(graph_bytes(g.definition, g.view) for g in [*target.graphs, graph])
        self._check_page_bytes(target, size)
        self._bump(target, None)
        copy = Graph(
            definition=graph.definition,
            view=dict(graph.view or {}),
            position=len(target.graphs),
        )
        target.graphs.append(copy)
        self.session.commit()
        return copy


def service_factory(context: Any, request: Any) -> SavedGraphService:
    settings = request.registry.settings.get("graphmetrics")
    limits = Limits(
        getattr(settings, "max_pages_per_user", Limits.pages_per_user),
        getattr(settings, "max_page_bytes", Limits.page_bytes),
    )
    return SavedGraphService(request.dbsession, limits)
