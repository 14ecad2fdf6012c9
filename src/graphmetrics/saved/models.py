"""Saved graphs: a user has pages (``default`` first), a page has ordered graphs.

A graph keeps its render definition (the JSON ``/render?graph=`` takes) and its view
(the time range it is shown with), so a saved graph is exactly a render request.
Each page carries a ``generation`` that every write must name: a write based on an
older generation is refused, so two browser tabs never overwrite each other silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, MetaData, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SECTIONS = ("tracelog", "metrics")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A person's account.  Signed in through OpenID Connect, it is the provider's
    identity (``oidc_issuer`` + ``oidc_subject``), never the name the token suggests;
    ``name`` (unique whatever its case) is what URLs and pages show."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_oidc_identity", "oidc_issuer", "oidc_subject", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    # moved on by signing out: sign-in tickets carrying an older one are refused
    sign_in_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # the provider's stable identity; both None for development-login accounts and for
    # accounts from before 0004 until an operator binds them (graphmetrics-web identity)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)

    pages: Mapped[list[Page]] = relationship(
        back_populates="owner", order_by="Page.position", cascade="all, delete-orphan"
    )


# ALICE, Alice and alice are one name: at most one account holds it
Index("uq_users_name_lower", func.lower(User.name), unique=True)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("user_id", "section", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(16), default="tracelog")
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    generation: Mapped[int] = mapped_column(default=1)
    updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # the dashboard variables it declares: [{"name": ..., "pattern": ...}] (saved.variables)
    variables: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")

    owner: Mapped[User] = relationship(back_populates="pages")
    graphs: Mapped[list[Graph]] = relationship(
        back_populates="page", order_by="Graph.position", cascade="all, delete-orphan"
    )


class Graph(Base):
    __tablename__ = "graphs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    view: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    page: Mapped[Page] = relationship(back_populates="graphs")


class ApiToken(Base):
    """A user's API token, kept only as the SHA-256 of its text (see ``saved.tokens``)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(default=None)
    revoked: Mapped[datetime | None] = mapped_column(default=None)

    owner: Mapped[User] = relationship()
