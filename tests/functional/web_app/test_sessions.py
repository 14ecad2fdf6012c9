"""Sign-in tickets: a bounded identity cache, a server-side timeout, signing out
(by a POST with the CSRF token) and the operator's "sign this user out everywhere"."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyramid.authentication import AuthTicket
from webtest import TestApp

from graphmetrics.cli.web import main as web_cli
from graphmetrics.settings import SettingsError
from tests.helpers import sign_out


def signed_in(app: TestApp, user: str = "alice") -> str:
    app.get("/login", params={"user": user}, status=302)
    return str(app.cookies["graphmetrics_auth"])


def stranger_with(app: TestApp, cookie: str) -> TestApp:
    """Another browser (no cookies of its own) sending a captured auth cookie."""
    other = TestApp(app.app)
    other.set_cookie("graphmetrics_auth", cookie)
    return other


def test_junk_cookies_do_not_grow_the_identity_cache(testapp: TestApp) -> None:
    """Before: every distinct Cookie header was remembered whole (130 -> 433 MB)."""
    cookie = signed_in(testapp)
    browser = TestApp(testapp.app)
    browser.get("/api/users", headers={"Cookie": f"graphmetrics_auth={cookie}"}, status=200)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(150):
            header = f"junk{i}={'x' * 100_000}; graphmetrics_auth={cookie}"
            browser.get("/api/users", headers={"Cookie": header}, status=200)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 3_000_000, f"{grown} bytes kept after 150 requests with 100 KB of junk"


def ticket_cookie(user: str, issued: float, generation: int = 0) -> str:
    """A ticket signed with testing.ini's real secret, issued at ``issued``."""
    ticket = AuthTicket(
        "testing-secret", user, "0.0.0.0", tokens=(f"g{generation}",), time=issued, hashalg="sha512"
    )
    return str(ticket.cookie_value())


def test_tickets_expire_on_the_server(testapp: TestApp) -> None:
    signed_in(testapp)  # alice exists, at sign-in generation 0
    old = stranger_with(
        testapp, ticket_cookie("alice", time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, -1)))
    )
    old.get("/alice/default/", status=302)
    old.get("/api/users", status=401)
    day_old = stranger_with(testapp, ticket_cookie("alice", time.time() - 86400 - 60))
    day_old.get("/api/users", status=401)


def test_a_ticket_in_use_is_reissued(make_app: Callable[..., TestApp]) -> None:
    app = make_app(auth_timeout="3600", auth_reissue_time="300")
    signed_in(app)
    browser = stranger_with(app, ticket_cookie("alice", time.time() - 400))
    res = browser.get("/api/users", status=200)
    fresh = [v for k, v in res.headerlist if k == "Set-Cookie" and "graphmetrics_auth=" in v]
    assert len(fresh) == 1 and "Max-Age=3600" in fresh[0]
    assert browser.cookies["graphmetrics_auth"] != ticket_cookie("alice", time.time() - 400)
    browser.get("/api/users", status=200)


def test_reissue_time_must_be_shorter_than_the_timeout(
    make_app: Callable[..., TestApp],
) -> None:
    with pytest.raises(SettingsError, match="auth_reissue_time"):
        make_app(auth_timeout="600", auth_reissue_time="600")


def test_the_auth_cookie_is_host_only(testapp: TestApp) -> None:
    res = testapp.get("/login", params={"user": "alice"}, status=302)
    cookies = [v for k, v in res.headerlist if k == "Set-Cookie" and "graphmetrics_auth" in v]
    assert len(cookies) == 1
    assert "domain=" not in cookies[0].lower()


def test_a_cookie_captured_before_sign_out_no_longer_works(testapp: TestApp) -> None:
    captured = signed_in(testapp)
    other_device = TestApp(testapp.app)
    signed_in(other_device)
    sign_out(testapp)
    testapp.get("/alice/default/", status=302)
    stranger_with(testapp, captured).get("/alice/default/", status=302)
    stranger_with(testapp, captured).get("/api/users", status=401)
    other_device.get("/api/users", status=401)  # signing out ends every sign-in
    signed_in(testapp)
    testapp.get("/alice/default/", status=200)


def test_get_logout_only_asks(testapp: TestApp) -> None:
    signed_in(testapp)
    page = testapp.get("/logout", status=200)
    assert "Sign out alice" in page.text
    testapp.get("/alice/default/", status=200)


def test_cross_site_logout_post_is_refused(testapp: TestApp) -> None:
    """A form on another site can POST but cannot know the CSRF token."""
    signed_in(testapp)
    testapp.post("/logout", status=400)
    testapp.post("/logout", {"csrf_token": "guessed"}, status=400)
    testapp.get("/alice/default/", status=200)
    sign_out(testapp)
    testapp.get("/alice/default/", status=302)


@pytest.fixture
def ini_for(app_settings: dict[str, Any], ini_file: Path, tmp_path: Path) -> Path:
    """testing.ini with this test's database and RRD directory."""
    text = ini_file.read_text()
    text = text.replace("db_url = sqlite://", f"db_url = {app_settings['db_url']}")
    path = tmp_path / "app.ini"
    path.write_text(text.replace("%(here)s/../var/test-rrd", app_settings["rrd_dir"]))
    return path


def test_operator_signs_a_user_out_everywhere(
    make_app: Callable[..., TestApp], ini_for: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(auth_recheck="0")
    signed_in(app, "alice")
    bob = TestApp(app.app)
    signed_in(bob, "bob")
    assert web_cli(["signout", "alice", "--config", str(ini_for)]) == 0
    assert "signed alice out everywhere" in capsys.readouterr().err
    app.get("/api/users", status=401)
    bob.get("/api/users", status=200)
    assert web_cli(["signout", "nobody", "--config", str(ini_for)]) == 1
    assert "there is no user 'nobody'" in capsys.readouterr().err
