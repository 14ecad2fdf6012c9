"""The cookie security policy's permissions, and the login's ``next`` check."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.testing import DummyRequest

from graphmetrics.web.resources import SignedIn, UserPages
from graphmetrics.web.security import CookieSecurityPolicy
from graphmetrics.web.views.auth import safe_next


def signed_in_request(policy: CookieSecurityPolicy, userid: str, owner: str = "") -> Request:
    cookie = dict(policy.remember(DummyRequest(), userid))["Set-Cookie"].split(";")[0]
    request = Request.blank("/", headers={"Cookie": cookie})
    request.matchdict = {"user": owner}
    return request


def test_owner_edits_others_view_anonymous_nothing() -> None:
    policy = CookieSecurityPolicy("secret")
    alice = signed_in_request(policy, "alice", owner="alice")
    bob = signed_in_request(policy, "bob", owner="alice")
    anonymous = DummyRequest()
    anonymous.matchdict = {"user": "alice"}
    assert policy.identity(alice) == "alice"
    assert policy.permits(alice, UserPages(alice), "edit")
    assert policy.permits(bob, UserPages(bob), "view")
    assert not policy.permits(bob, UserPages(bob), "edit")
    assert not policy.permits(anonymous, UserPages(anonymous), "view")
    assert policy.permits(bob, SignedIn(bob), "view")
    assert policy.identity(anonymous) is None


def test_cookie_signed_with_another_secret_is_nobody() -> None:
    request = signed_in_request(CookieSecurityPolicy("one"), "alice")
    assert CookieSecurityPolicy("two").identity(request) is None


def test_forget_expires_the_cookie() -> None:
    headers = CookieSecurityPolicy("s").forget(DummyRequest())
    assert any("graphmetrics_auth=" in value and "Max-Age=0" in value for _, value in headers)


def test_safe_next() -> None:
    assert safe_next("/alice/default/?x=1") == "/alice/default/?x=1"
    for bad in (None, "", "//evil.example", "https://evil.example", "/\\evil", "alice"):
        assert safe_next(bad) is None


def test_checked_cookie_headers_are_remembered_forged_ones_are_not() -> None:
    policy = CookieSecurityPolicy("secret")
    alice = signed_in_request(policy, "alice")
    header = alice.environ["HTTP_COOKIE"]
    assert policy.identity(alice) == "alice"
    assert policy.identity(Request.blank("/", headers={"Cookie": header})) == "alice"
    name, value = header.split("=", 1)
    forged = Request.blank("/", headers={"Cookie": f"{name}={value[:-6]}Ym9iIQ"})
    assert policy.identity(forged) is None
    assert policy.identity(Request.blank("/", headers={"Cookie": "csrf_token=x"})) is None
    assert list(policy._known) == [header]
    assert CookieSecurityPolicy("other").identity(alice) is None
