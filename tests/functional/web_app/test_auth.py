"""Signing in and out through the development login, and what anonymous visitors get."""

from __future__ import annotations

from collections.abc import Callable

from webtest import TestApp

from tests.helpers import sign_out


def test_home_sends_anonymous_visitors_to_login(testapp: TestApp) -> None:
    res = testapp.get("/", status=302)
    assert res.location.endswith("/login")
    page = testapp.get("/login", status=200)
    assert 'name="user"' in page.text


def test_dev_login_signs_in_and_home_opens_default_page(testapp: TestApp) -> None:
    res = testapp.get("/login?user=alice", status=302)
    assert "graphmetrics_auth" in testapp.cookies
    assert res.location.endswith("/")
    res = testapp.get("/", status=302)
    assert res.location.endswith("/alice/default/")
    page = testapp.get("/alice/default/", status=200)
    assert "Signed in as <b>alice</b>" in page.text


def test_login_refused_when_dev_login_is_off(make_app: Callable[..., TestApp]) -> None:
    app = make_app(dev_login="false")
    res = app.get("/login?user=alice", status=403)
    assert "development login is switched off" in res.text
    assert "graphmetrics_auth" not in app.cookies
    assert 'name="user"' not in app.get("/login").text
    app.get("/", status=302)


def test_auth_dev_login_spelling_of_design_md_is_accepted(make_app: Callable[..., TestApp]) -> None:
    app = make_app(dev_login=None, **{"auth.dev_login": "false"})
    app.get("/login?user=alice", status=403)


def test_bad_and_reserved_user_names_are_refused(testapp: TestApp) -> None:
    for name in ("../etc", "a b", "", "api", "Metrics", "x" * 65):
        res = testapp.get("/login", params={"user": name}, status=400)
        assert "cannot be a user name" in res.text
    assert "graphmetrics_auth" not in testapp.cookies


def test_login_goes_back_to_local_next_only(testapp: TestApp) -> None:
    res = testapp.get("/login", params={"user": "alice", "next": "/metrics/"}, status=302)
    assert res.location.endswith("/metrics/")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        res = testapp.get("/login", params={"user": "alice", "next": evil}, status=302)
        assert res.location == "http://localhost/"


def test_protected_page_redirects_to_login_with_next(testapp: TestApp) -> None:
    res = testapp.get("/alice/default/", status=302)
    assert "/login?next=%2Falice%2Fdefault%2F" in res.location


def test_api_answers_401_json_when_signed_out(testapp: TestApp) -> None:
    res = testapp.get("/api/pages/tracelog/alice/default", status=401)
    assert res.json == {"error": "sign in first (/login)"}


def test_logout_forgets_the_user(testapp: TestApp) -> None:
    testapp.get("/login?user=alice")
    res = sign_out(testapp)
    assert res.location.endswith("/login")
    testapp.get("/alice/default/", status=302)


def test_tampered_cookie_is_ignored(testapp: TestApp) -> None:
    testapp.get("/login?user=alice")
    value = testapp.cookies["graphmetrics_auth"].strip('"')
    forged = ("0" if value[0] != "0" else "1") + value[1:]
    testapp.set_cookie("graphmetrics_auth", forged)
    testapp.get("/alice/default/", status=302)


def test_cookie_from_another_secret_is_ignored(make_app: Callable[..., TestApp]) -> None:
    first = make_app(auth_secret="one")
    first.get("/login?user=alice")
    second = make_app(auth_secret="two")
    second.set_cookie("graphmetrics_auth", first.cookies["graphmetrics_auth"])
    second.get("/alice/default/", status=302)
