"""Input that used to end in a 500, look-alike names, RRD files outside the known
kinds, and the provider's error text: each a 4xx, a safe redirect or a fixed message."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from webtest import TestApp

from tests.functional.web_app.conftest import Browser
from tests.functional.web_app.test_oidc import leave_for_provider, sign_in, with_query
from tests.oidc_provider import ProviderServer

SignIn = Callable[[str], Browser]
SERIES = {"name": "rpm", "path": "tracelog/app1__acme__inst1", "ds": "rpm"}


def oidc_app(make_app: Callable[..., TestApp], provider: ProviderServer) -> TestApp:
    return make_app(
        dev_login="false",
        oidc_issuer=provider.url,
        oidc_client_id="graphmetrics",
        oidc_redirect_url="http://localhost/login/oidc/callback",
        oidc_client_secret="s3cret",
        oidc_allow_any="true",  # the allow-list has its own tests (test_oidc_allow)
    )


def render_json(alice: Browser, graph: str, status: int = 400) -> dict[str, str]:
    res = alice.get(f"/render?format=json&trail=1&graph={quote(graph)}", status=status)
    return dict(res.json)


def test_deeply_nested_graph_json_is_a_400(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    answer = render_json(alice, "[" * 1000)
    assert answer == {"error": "graph: JSON nested too deeply", "param": "graph"}
    png = alice.get(f"/render?graph={quote('[' * 1000)}", status=400)
    assert png.content_type == "image/png"


def test_lone_surrogate_in_a_title_is_a_400(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    graph = '{"title": "\\ud800", "series": [' + json.dumps(SERIES) + "]}"
    assert render_json(alice, graph)["param"] == "graph.title"
    assert "lone surrogate" in render_json(alice, graph)["error"]
    path = '{"series": [{"name": "a", "path": "tracelog/\\udc80", "ds": "rpm"}]}'
    assert "lone surrogate" in render_json(alice, path)["error"]
    pair = '{"title": "\\ud83d\\ude00", "series": [' + json.dumps(SERIES) + "]}"
    render_json(alice, pair, status=200)


def test_nested_json_on_the_pages_api_is_a_400(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    body = '{"generation": 1, "graphs": ' + "[" * 100_000 + "]" * 100_000 + "}"
    headers = {**alice.headers, "Content-Type": "application/json"}
    res = alice.app.put(alice.page_api(), body, headers=headers, status=400)
    assert "nested too deeply" in res.json["error"]
    res = alice.app.post("/api/pages/tracelog/alice", "[" * 5000, headers=headers, status=400)
    assert "nested too deeply" in res.json["error"]


def test_non_latin1_next_is_a_safe_redirect(testapp: TestApp) -> None:
    res = testapp.get(
        "/login", params={"user": "alice", "next": "/alice/\u20ac\u4e2d/"}, status=302
    )
    assert res.location == "http://localhost/alice/%E2%82%AC%E4%B8%AD/"


def test_non_latin1_came_from_survives_the_oidc_sign_in(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-9101", preferred_username="nina")
    app = oidc_app(make_app, oidc_provider)
    res = sign_in(app, oidc_provider, "u-9101", came_from="/nina/\u20ac/")
    assert res.location == "http://localhost/nina/%E2%82%AC/"
    assert "graphmetrics_auth" in app.cookies


def test_user_names_with_a_trailing_newline_are_refused(testapp: TestApp) -> None:
    testapp.get("/login?user=alice%0A", status=400)
    testapp.get("/login", params={"user": "bob\n"}, status=400)
    assert "graphmetrics_auth" not in testapp.cookies


def test_oidc_name_with_a_trailing_newline_is_refused(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    oidc_provider.set_user("u-9102", preferred_username="carol\n")
    app = oidc_app(make_app, oidc_provider)
    res = sign_in(app, oidc_provider, "u-9102", status=403)
    assert "cannot be a user name here" in res.text
    assert "graphmetrics_auth" not in app.cookies


def test_page_names_with_a_trailing_newline_are_refused(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    res = alice.post("/api/pages/tracelog/alice", {"name": "ops\n"}, status=400)
    assert "bad page name" in res.json["error"]
    alice.get("/alice%0A/default/", status=404)


def test_render_reads_only_the_known_kinds(signed_in: SignIn, tracelog_rrds: Path) -> None:
    private = tracelog_rrds / "private"
    private.mkdir(exist_ok=True)
    shutil.copy(tracelog_rrds / "tracelog" / "app1__acme__inst1.rrd", private / "copy.rrd")
    alice = signed_in("alice")
    res = alice.get("/render?series=private/copy:rpm&format=json&trail=1", status=400)
    assert "not under carbon/, metrics/, pool/, tracelog/" in res.json["error"]
    res = alice.get("/render?series=app1__acme__inst1:rpm&format=json&trail=1", status=400)
    alice.get("/render?series=tracelog/app1__acme__inst1:rpm&format=json&trail=1", status=200)


PHISHING = "Your account is locked. Call +1 555 0100 and give your password."


def test_provider_error_description_is_logged_not_shown(
    make_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = oidc_app(make_app, oidc_provider)
    back = oidc_provider.authorize(leave_for_provider(app), None, deny=True)
    with caplog.at_level(logging.WARNING, logger="graphmetrics"):
        res = app.get(with_query(back, error_description=PHISHING), status=403)
    assert PHISHING not in res.text
    assert "Call +1" not in res.text
    assert "did not sign you in (access_denied)" in res.text
    assert PHISHING in caplog.text
    res = app.get(with_query(back, error="<b>call us</b>"), status=403)
    assert "call us" not in res.text
