"""Route contexts carrying the ACLs: any signed-in user views, only the owner edits."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow, Authenticated
from pyramid.request import Request

from graphmetrics.web.security import user_principal


class SignedIn:
    __acl__ = [(Allow, Authenticated, "view")]

    def __init__(self, request: Request) -> None:
        self.request = request


class UserPages:
    """Pages of the user named in the URL: everyone signed in views, the owner edits."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.owner: str = (request.matchdict or {}).get("user", "")

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        return [(Allow, Authenticated, "view"), (Allow, user_principal(self.owner), "edit")]
