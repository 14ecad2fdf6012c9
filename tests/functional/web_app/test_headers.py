"""Headers every answer carries: CSP, no framing, nosniff, referrer policy, no-store
on signed-in HTML and JSON, HSTS over HTTPS; methods like OPTIONS and TRACE refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from webtest import TestApp

from tests.functional.web_app.conftest import Browser

SignIn = Callable[[str], Browser]


def assert_hardened(headers: dict[str, str] | object) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert headers["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert headers["Referrer-Policy"] == "same-origin"  # type: ignore[index]


def test_signed_in_pages_and_json_are_hardened_and_not_stored(signed_in: SignIn) -> None:
    alice: Browser = signed_in("alice")
    for url in ("/alice/default/", "/users/", "/api/users", alice.page_api(), "/logout"):
        res = alice.get(url, status=200)
        assert_hardened(res.headers)
        assert res.headers["Cache-Control"] == "private, no-store", url
        assert "Strict-Transport-Security" not in res.headers


def test_render_keeps_its_own_private_caching(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    res = alice.get("/render?series=tracelog/app1__acme__inst1:rpm&format=json&trail=1")
    assert res.headers["Cache-Control"].startswith("private, max-age=")
    assert_hardened(res.headers)


def test_login_page_and_errors_are_hardened(testapp: TestApp) -> None:
    assert_hardened(testapp.get("/login").headers)
    assert_hardened(testapp.get("/api/users", status=401).headers)
    assert_hardened(testapp.get("/nobody/nothing/", status=302).headers)


def test_hsts_over_https_only(testapp: TestApp) -> None:
    res = testapp.get("/login", extra_environ={"wsgi.url_scheme": "https"})
    assert res.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_but_json_data(signed_in: SignIn) -> None:
    """What the CSP allows: every <script> is a file of this site or JSON data."""
    alice = signed_in("alice")
    for url in ("/alice/default/", "/metrics/alice/default/", "/users/", "/login", "/logout"):
        for script in alice.get(url).html.find_all("script"):
            assert script.get("src") or script.get("type") == "application/json", (url, script)
        assert " style=" not in alice.get(url).text, url


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize("url", ["/api/users", "/api/pages/tracelog/alice/default", "/render", "/"])
def test_other_methods_are_refused(signed_in: SignIn, method: str, url: str) -> None:
    alice = signed_in("alice")
    res = alice.app.request(url, method=method, status=405)
    assert "GET" in res.headers["Allow"]
    assert_hardened(res.headers)


def test_graphite_answers_are_private(signed_in: SignIn) -> None:
    """CSV and /graphite/version carried no Cache-Control, JSON and PNG a shareable
    ``no-cache``: a signed-in user's data must not sit in a shared cache."""
    alice = signed_in("alice")
    target = "target=tracelog.app1__acme__inst1.rpm&from=-1h"
    for url in (
        f"/graphite/render?{target}&format=csv",
        f"/graphite/render?{target}&format=json",
        f"/graphite/render?{target}&format=png",
        "/graphite/version",
    ):
        res = alice.get(url, status=200)
        assert res.headers["Cache-Control"] == "private, no-cache", url
        assert_hardened(res.headers)
