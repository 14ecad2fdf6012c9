"""The cookie security policy's permissions, tickets and cache, and the login's ``next`` check."""

from __future__ import annotations

import time

from pyramid.authentication import AuthTicket
from pyramid.request import Request
from pyramid.response import Response
from pyramid.testing import DummyRequest

from graphmetrics.web.resources import SignedIn, UserPages
from graphmetrics.web.security import MAX_KNOWN_TICKETS, CookieSecurityPolicy
from graphmetrics.web.views.auth import safe_next


class MemorySignIns:
    """Sign-in generations in a dict: the unit tests' stand-in for the users table."""

    def __init__(self, *users: str) -> None:
        self.generations = dict.fromkeys(users, 0)

    def generation(self, request: Request, user: str) -> int | None:
        return self.generations.get(user)

    def end_all(self, request: Request, user: str) -> int | None:
        if user not in self.generations:
            return None
        self.generations[user] += 1
        return self.generations[user]


def make_policy(secret: str = "secret", **kw: float) -> CookieSecurityPolicy:
    return CookieSecurityPolicy(secret, MemorySignIns("alice", "bob"), **kw)


def auth_cookie(policy: CookieSecurityPolicy, userid: str) -> str:
    return dict(policy.remember(DummyRequest(), userid))["Set-Cookie"].split(";")[0]


def signed_in_request(policy: CookieSecurityPolicy, userid: str, owner: str = "") -> Request:
    request = Request.blank("/", headers={"Cookie": auth_cookie(policy, userid)})
    request.matchdict = {"user": owner}
    return request


def test_owner_edits_others_view_anonymous_nothing() -> None:
    policy = make_policy()
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
    request = signed_in_request(make_policy("one"), "alice")
    assert make_policy("two").identity(request) is None


def test_forget_expires_the_cookie() -> None:
    headers = make_policy().forget(DummyRequest())
    assert any("graphmetrics_auth=" in value and "Max-Age=0" in value for _, value in headers)


def test_the_auth_cookie_is_host_only() -> None:
    headers = make_policy().remember(DummyRequest(), "alice")
    assert len(headers) == 1
    assert "Domain=" not in headers[0][1]


def test_safe_next() -> None:
    assert safe_next("/alice/default/?x=1") == "/alice/default/?x=1"
    for bad in (None, "", "//evil.example", "https://evil.example", "/\\evil", "alice"):
        assert safe_next(bad) is None
    assert safe_next("/alice/\u20ac/") == "/alice/%E2%82%AC/"
    assert safe_next("/alice/\ud800/") is None


def test_checked_tickets_are_remembered_by_the_auth_cookie_alone() -> None:
    policy = make_policy()
    cookie = auth_cookie(policy, "alice")
    for i in range(50):
        junk = f"junk{i}={'x' * 1000}"
        request = Request.blank("/", headers={"Cookie": f"{junk}; {cookie}"})
        assert policy.identity(request) == "alice"
    assert list(policy._known) == [cookie.split("=", 1)[1]]
    name, value = cookie.split("=", 1)
    forged = Request.blank("/", headers={"Cookie": f"{name}={value[:-6]}Ym9iIQ"})
    assert policy.identity(forged) is None
    assert policy.identity(Request.blank("/", headers={"Cookie": "csrf_token=x"})) is None
    assert len(policy._known) == 1
    assert make_policy("other").identity(signed_in_request(policy, "alice")) is None


def test_the_ticket_cache_is_bounded() -> None:
    policy = make_policy()
    for age in range(MAX_KNOWN_TICKETS + 10):
        assert policy.identity(old_ticket("secret", "alice", age)) == "alice"
    assert 0 < len(policy._known) <= MAX_KNOWN_TICKETS


def old_ticket(secret: str, user: str, age: float, generation: int = 0) -> Request:
    """A ticket signed with the real secret, issued ``age`` seconds ago."""
    ticket = AuthTicket(
        secret,
        user,
        "0.0.0.0",
        tokens=(f"g{generation}",),
        time=time.time() - age,
        hashalg="sha512",
    )
    return Request.blank("/", headers={"Cookie": f"graphmetrics_auth={ticket.cookie_value()}"})


def test_old_tickets_are_refused_recent_ones_reissued() -> None:
    policy = make_policy(timeout=3600, reissue_time=600)
    assert policy.identity(old_ticket("secret", "alice", 3700)) is None
    request = old_ticket("secret", "alice", 700)
    assert policy.identity(request) == "alice"
    response = Response()
    request._process_response_callbacks(response)
    assert "graphmetrics_auth=" in response.headers["Set-Cookie"]
    fresh = old_ticket("secret", "alice", 10)
    assert policy.identity(fresh) == "alice"
    response = Response()
    fresh._process_response_callbacks(response)
    assert "Set-Cookie" not in response.headers


def test_signing_out_ends_every_earlier_ticket_of_the_user() -> None:
    policy = make_policy()
    alice = signed_in_request(policy, "alice")
    other_browser = signed_in_request(policy, "alice")
    bob = signed_in_request(policy, "bob")
    assert policy.identity(other_browser) == "alice"
    policy.forget(alice)
    assert policy.identity(alice) is None
    assert policy.identity(other_browser) is None
    assert policy.identity(bob) == "bob"
    assert policy.identity(signed_in_request(policy, "alice")) == "alice"


def test_tickets_without_a_generation_or_user_are_refused() -> None:
    policy = make_policy()
    for ticket in (
        AuthTicket("secret", "alice", "0.0.0.0", hashalg="sha512"),
        AuthTicket("secret", "carol", "0.0.0.0", tokens=("g0",), hashalg="sha512"),
        AuthTicket("secret", "alice\n", "0.0.0.0", tokens=("g0",), hashalg="sha512"),
    ):
        cookie = f"graphmetrics_auth={ticket.cookie_value()}"
        assert policy.identity(Request.blank("/", headers={"Cookie": cookie})) is None


def test_a_second_auth_cookie_is_never_remembered_under_the_first() -> None:
    policy = make_policy()
    cookie = auth_cookie(policy, "alice")
    value = cookie.split("=", 1)[1]
    for header in (f"graphmetrics_auth=junk; {cookie}", f"{cookie}; graphmetrics_auth=junk"):
        policy.identity(Request.blank("/", headers={"Cookie": header}))
    assert set(policy._known) <= {value}
    lookalike = Request.blank("/", headers={"Cookie": f"x{cookie}"})
    assert policy.identity(lookalike) is None
