"""Accounts are the provider's identity (iss + sub), names are unique whatever their case.

Through the real provider (oidc-provider-mock): two subjects both calling themselves
``alice`` get two accounts; an account from before the identity key is never taken
over by a name, only bound by the operator (``graphmetrics-web identity bind``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from webtest import TestApp

from graphmetrics.cli.web import main as cli
from graphmetrics.saved.db import make_engine, upgrade
from graphmetrics.saved.services import SavedGraphService
from tests.functional.web_app.test_oidc import CALLBACK, sign_in
from tests.helpers import sign_out
from tests.oidc_provider import ProviderServer


@pytest.fixture
def oidc_app(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> Callable[..., TestApp]:
    def make() -> TestApp:
        return make_app(
            dev_login="false",
            oidc_issuer=oidc_provider.url,
            oidc_client_id="graphmetrics",
            oidc_client_secret="s3cret",
            oidc_redirect_url=CALLBACK,
            oidc_allow_any="true",
        )

    return make


def me(app: TestApp) -> str:
    return str(app.get("/", status=302).location.split("/")[3])


def test_two_subjects_with_the_same_name_are_two_accounts(
    oidc_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
) -> None:
    """N7: two different subjects both named alice never share an account."""
    oidc_provider.set_user("sub-a", preferred_username="alice", email="alice@example.com")
    oidc_provider.set_user("sub-b", preferred_username="Alice", email="mallory@evil.test")
    app = oidc_app()
    sign_in(app, oidc_provider, "sub-a")
    assert me(app) == "alice"
    app.get("/alice/default/")
    app.post_json(
        "/api/pages/tracelog/alice",
        {"name": "secret"},
        headers={"X-CSRF-Token": app.cookies["csrf_token"]},
        status=201,
    )
    sign_out(app)
    sign_in(app, oidc_provider, "sub-b")
    assert me(app) == "Alice-2"
    app.get("/Alice-2/default/")
    pages = app.get("/api/pages/tracelog/Alice-2").json
    assert [p["name"] for p in pages["pages"]] == ["default"]
    sign_out(app)
    sign_in(app, oidc_provider, "sub-a")  # the same subject is the same account, always
    assert me(app) == "alice"


def test_an_earlier_account_is_bound_by_the_operator_not_by_a_name(
    oidc_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
    app_settings: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = make_engine(app_settings["db_url"])
    upgrade(engine)
    with Session(engine) as session:
        SavedGraphService(session).ensure_user("bob")  # as before 0004: no identity
    oidc_provider.set_user("sub-bob", preferred_username="bob")
    oidc_provider.set_user("sub-eve", preferred_username="BOB")
    app = oidc_app()
    sign_in(app, oidc_provider, "sub-eve")
    assert me(app) == "BOB-2"
    ini = tmp_path / "web.ini"
    ini.write_text(
        "[app:main]\nuse = egg:graphmetrics\n"
        f"rrd_dir = {app_settings['rrd_dir']}\ndb_url = {app_settings['db_url']}\n"
    )
    config = ["--config", str(ini)]
    assert cli(["identity", "bind", "bob", oidc_provider.url, "sub-bob", *config]) == 0
    assert cli(["identity", "bind", "bob", oidc_provider.url, "sub-eve", *config]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"graphmetrics-web identity: {oidc_provider.url} sub-eve is already the account 'BOB-2'"
    )
    assert cli(["identity", "list", *config]) == 0
    assert f"bob\t{oidc_provider.url}\tsub-bob" in capsys.readouterr().out.splitlines()
    sign_out(app)
    sign_in(app, oidc_provider, "sub-bob")
    assert me(app) == "bob"
    engine.dispose()


def test_user_names_are_one_account_whatever_their_case(
    make_app: Callable[..., TestApp],
) -> None:
    app = make_app()
    for name in ("alice", "ALICE", "Alice"):
        app.get("/login", params={"user": name}, status=302)
        assert me(app) == "alice"
        sign_out(app)
    app.get("/login", params={"user": "Bob"}, status=302)
    users = [th.text.split()[0] for th in app.get("/users/").html.select("tbody th")]
    assert users == ["alice", "Bob"]


def test_the_owner_edits_under_any_case_of_the_name(make_app: Callable[..., TestApp]) -> None:
    app = make_app()
    app.get("/login", params={"user": "alice"}, status=302)
    app.get("/alice/default/")
    headers = {"X-CSRF-Token": app.cookies["csrf_token"]}
    app.post_json("/api/pages/tracelog/ALICE", {"name": "two"}, headers=headers, status=201)
    names = [p["name"] for p in app.get("/api/pages/tracelog/alice").json["pages"]]
    assert "two" in names
