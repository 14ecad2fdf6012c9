"""API tokens end to end: the /tokens/ page, Bearer and Basic on the read routes, the CLI.

A Grafana-style session runs against the app served by waitress over real HTTP
(WebTest's StopableWSGIServer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyramid.router import Router
from webtest import TestApp
from webtest.http import StopableWSGIServer

from graphmetrics.rrd.schema import TRACELOG
from tests.functional.web_app.conftest import Browser

TOKEN = re.compile(r'<code class="token" id="new-token">(gmt_[A-Za-z0-9_-]{43})</code>')
RPM = "tracelog.app1__acme__inst1.rpm"


def create_token(browser: Browser, name: str = "grafana") -> str:
    page = browser.get("/tokens/")
    form = page.forms[0] if page.forms[0].action.endswith("/tokens/") else page.forms[1]
    form["name"] = name
    res = form.submit(status=303).follow(status=200)
    match = TOKEN.search(res.text)
    assert match, res.text
    return match.group(1)


def basic(user: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def db_rows(app_settings: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    path = app_settings["db_url"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_page_creates_a_token_shown_once_and_stored_as_a_hash(
    signed_in: Callable[[str], Browser], app_settings: dict[str, Any]
) -> None:
    alice = signed_in("alice")
    token = create_token(alice, "grafana")
    listing = alice.get("/tokens/")
    assert "grafana" in listing.text and "never" in listing.text
    assert token not in listing.text
    rows = db_rows(app_settings, "SELECT name, token_hash FROM api_tokens")
    assert rows == [("grafana", hashlib.sha256(token.encode()).hexdigest())]


def test_creating_redirects_so_a_reload_never_makes_a_second_token(
    signed_in: Callable[[str], Browser], app_settings: dict[str, Any]
) -> None:
    bob = signed_in("bob")
    form = next(f for f in bob.get("/tokens/").forms.values() if f.action.endswith("/tokens/"))
    form["name"] = "cron"
    posted = form.submit(status=303)
    assert posted.location.endswith("/tokens/")
    cookie = posted.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Path=/tokens/" in cookie and "Max-Age=120" in cookie
    shown = posted.follow(status=200)
    token = TOKEN.search(shown.text)
    assert token and 'id="copy-token"' in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    # the reload is a GET of the list: no token text, no second token
    again = bob.get("/tokens/")
    assert token.group(1) not in again.text and "cron" in again.text
    assert db_rows(app_settings, "SELECT count(*) FROM api_tokens") == [(1,)]


def test_bearer_and_basic_authenticate_the_read_routes(
    signed_in: Callable[[str], Browser], make_app: Callable[..., TestApp], app_settings: dict
) -> None:
    token = create_token(signed_in("alice"))
    client = make_app()  # no cookie at all
    for headers in (bearer(token), basic("alice", token), basic("", token)):
        series = client.get("/series", {"q": "app1"}, headers=headers, status=200).json
        assert series["total"] >= 1
        res = client.get(
            "/render", {"series": "tracelog/app1__acme__inst1:rpm", "format": "json"},
            headers=headers, status=200,
        )  # fmt: skip
        assert res.json["columns"] == ["tracelog/app1__acme__inst1:rpm"]
        found = client.get("/graphite/metrics/find", {"query": "tracelog.*"}, headers=headers)
        assert {"text": "app1__acme__inst1", "leaf": 0}.items() <= found.json[0].items()
        values = client.get(
            "/api/variables/values", {"pattern": "tracelog/$instance", "name": "instance"},
            headers=headers, status=200,
        ).json  # fmt: skip
        assert "app1__acme__inst1" in values["values"], values
    (last_used,) = db_rows(app_settings, "SELECT last_used FROM api_tokens")[0]
    assert last_used is not None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (bearer("gmt_" + "x" * 43), "unknown API token"),
        ({"Authorization": "Digest abc"}, "use 'Bearer <token>' or Basic"),
        ({"Authorization": "Basic !!!"}, "not base64 of user:token"),
        (basic("alice", ""), "need the API token as password"),
    ],
)
def test_bad_credentials_are_a_401_saying_why(
    make_app: Callable[..., TestApp], headers: dict[str, str], message: str
) -> None:
    res = make_app().get("/graphite/render", {"target": RPM}, headers=headers, status=401)
    assert message in res.text
    assert res.headers["WWW-Authenticate"].startswith("Basic")


def test_revoked_token_and_wrong_user_are_refused(
    signed_in: Callable[[str], Browser], make_app: Callable[..., TestApp]
) -> None:
    alice = signed_in("alice")
    token = create_token(alice, "old")
    client = make_app()
    res = client.get("/series", {"q": "x"}, headers=basic("bob", token), status=401)
    assert "belongs to another user than 'bob'" in res.text
    listing = alice.get("/tokens/")
    (revoke,) = [f for f in listing.forms.values() if "/revoke" in (f.action or "")][:1]
    revoke.submit(status=302)
    assert "revoked" in alice.get("/tokens/").text
    res = client.get("/series", {"q": "x"}, headers=bearer(token), status=401)
    assert "API token 'old' was revoked on" in res.text


def test_tokens_never_authorise_writes_or_token_management(
    signed_in: Callable[[str], Browser], make_app: Callable[..., TestApp]
) -> None:
    alice = signed_in("alice")
    token = create_token(alice)
    before = alice.get(alice.page_api()).json
    client = make_app()
    body = {"generation": before["generation"], "graphs": []}
    for headers in (bearer(token), basic("alice", token)):
        client.put_json(alice.page_api(), body, headers=headers, status=(400, 401, 403))
        client.post("/tokens/", {"name": "more"}, headers=headers, status=(302, 400, 403))
        assert client.get("/tokens/", headers=headers, status=302).location.endswith(
            "/login?next=%2Ftokens%2F"
        )
    assert alice.get(alice.page_api()).json["generation"] == before["generation"]


def test_graphite_without_credentials_is_a_401(make_app: Callable[..., TestApp]) -> None:
    res = make_app().get("/graphite/metrics/find", {"query": "*"}, status=401)
    assert "sign in first" in res.text and "API token" in res.text


# -- the operator command ------------------------------------------------------
def cli(*args: str, env_db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphmetrics.cli.web", "token", *args],
        capture_output=True,
        text=True,
        # PYTHONPATH kept: the CLI runs the same sources as the test (a worktree's)
        env={"GRAPHMETRICS_DB_URL": env_db, "PATH": "/usr/bin:/bin"}
        | {k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        timeout=60,
    )


def test_cli_creates_lists_and_revokes(
    make_app: Callable[..., TestApp], app_settings: dict[str, Any], ini_file: Path
) -> None:
    ini = str(ini_file)
    db = app_settings["db_url"]
    created = cli("create", "carol", "--name", "cron", "--config", ini, env_db=db)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("gmt_") and "for carol" in created.stderr
    client = make_app()
    client.get("/series", {"q": "app"}, headers=bearer(token), status=200)
    listed = cli("list", "carol", "--config", ini, env_db=db)
    lines = listed.stdout.splitlines()
    assert lines[0] == "id\tname\tcreated\tlast_used\trevoked"
    token_id, name, _created, last_used, revoked = lines[1].split("\t")
    assert (name, revoked) == ("cron", "-") and last_used != "-"
    revoked_run = cli("revoke", "carol", "--id", token_id, "--config", ini, env_db=db)
    assert revoked_run.returncode == 0, revoked_run.stderr
    client.get("/series", {"q": "app"}, headers=bearer(token), status=401)
    missing = cli("revoke", "carol", "--id", "999", "--config", ini, env_db=db)
    assert missing.returncode == 1 and "carol has no token 999" in missing.stderr
    huge = cli("revoke", "carol", "--id", "9" * 30, "--config", ini, env_db=db)
    assert huge.returncode == 1 and "Traceback" not in huge.stderr
    last = huge.stderr.strip().splitlines()[-1]
    assert last == f"graphmetrics-web token: carol has no token {'9' * 30}"
    reserved = cli("create", "api", "--config", ini, env_db=db)
    assert reserved.returncode == 1 and "Traceback" not in reserved.stderr
    assert "'api' is reserved" in reserved.stderr.strip().splitlines()[-1]


# -- Grafana's way: find, then a POSTed render with maxDataPoints, Basic auth --------
@pytest.fixture
def served(router: Router) -> Iterator[str]:
    server = StopableWSGIServer.create(router, host="127.0.0.1")  # waitress, in a thread
    try:
        yield server.application_url.rstrip("/")
    finally:
        server.shutdown()


def http(url: str, headers: dict[str, str], form: dict[str, str] | None = None) -> Any:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode()
        return json.loads(body) if "json" in response.headers["Content-Type"] else body


def test_grafana_find_then_render_with_basic_auth(
    signed_in: Callable[[str], Browser], served: str
) -> None:
    token = create_token(signed_in("grafana-user"))
    auth = basic("grafana-user", token)
    base = served + "/graphite"
    assert http(base + "/version", auth) == "1.1.8"
    functions = http(base + "/functions", auth)
    assert {"sumSeries", "aliasByNode", "movingAverage"} <= set(functions)
    top = http(base + "/metrics/find?" + urllib.parse.urlencode({"query": "*"}), auth)
    assert [n["text"] for n in top] == ["tracelog"]
    instances = http(base + "/metrics/find?query=tracelog.*", auth)
    assert len(instances) == 4 and all(n["expandable"] == 1 for n in instances)
    leaves = http(base + "/metrics/find?query=tracelog.app1__acme__inst1.*", auth)
    assert {n["text"] for n in leaves} == set(TRACELOG.data_sources)
    form = {
        "target": "aliasByNode(tracelog.*.rpm,1)",
        "from": "-2h",
        "until": "now",
        "format": "json",
        "maxDataPoints": "40",
    }
    answer = http(base + "/render", auth, form)
    assert [s["target"] for s in answer] == [
        "app1__acme__inst1", "app1__acme__inst2", "app2__acme__inst1", "app3__beta__web1",
    ]  # fmt: skip
    points = answer[0]["datapoints"]
    assert 30 <= len(points) <= 40
    step = points[1][1] - points[0][1]
    assert step == 180 and all(
        b[1] - a[1] == step for a, b in zip(points, points[1:], strict=False)
    )
    known = [v for v, _ in points[:-1] if v is not None]
    assert len(known) >= len(points) - 3 and all(50 < v < 250 for v in known)
    assert abs(points[-1][1] - time.time()) < 600
    with pytest.raises(urllib.error.HTTPError) as refused:
        http(base + "/render", basic("grafana-user", token + "x"), form)
    assert refused.value.code == 401
