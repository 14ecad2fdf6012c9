"""No input yields a 500: every route, every query parameter, with bytes that are not
UTF-8, huge integers, huge and tiny floats, empty and repeated values.

The routes come from the app's own route table (a new route without an entry in
``PARAMS`` fails :func:`test_every_route_is_swept`); each answer must be below 500 (a
redirect only to this site) and nothing may be logged with a traceback.  The cases an
outside probe found (issue #23) are listed one by one after the sweep.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from pyramid.interfaces import IRoutesMapper
from webtest import TestApp

from graphmetrics.web import graphdef
from tests.oidc_provider import ProviderServer

HUGE_INT = "9" * 5000
BAD_VALUES = ("%FF", "%C3%28", HUGE_INT, "1e23", "1e300", "-1e300", "1e-300", "", "nan", "-1")
# the query parameters each route reads (views, graphdef.QUERY_KEYS, the Graphite API)
# every parameter /render knows, so a new one is swept the day it is added
RENDER = tuple(sorted(graphdef.QUERY_KEYS))
GRAPHITE_RENDER = (
    "target",
    "from",
    "until",
    "now",
    "format",
    "maxDataPoints",
    "width",
    "height",
    "title",
    "tz",
    "noNullPoints",
    "xFilesFactor",
)
# the original graphmetrics' show.png links (docs/cutover.md)
ORIGINAL_SHOW = (
    "imgid", "data0", "legend0", "color0", "thick0", "tick0", "dash0", "start", "end",
    "start_time", "end_time", "trail", "step", "log", "upper_limit", "lower_limit",
    "height", "title", "generation",
)  # fmt: skip
PARAMS: dict[str, tuple[str, ...]] = {
    "render": RENDER,
    "series": ("q", "page", "format"),
    "graphite_find": ("query", "format", "wildcards", "leavesOnly", "from", "until"),
    "graphite_expand": ("query", "groupByExpr", "leavesOnly"),
    "graphite_render": GRAPHITE_RENDER,
    "graphite_functions": ("group", "grouped", "format"),
    "graphite_version": (),
    "graphite_tag_complete": ("tag", "tagPrefix", "valuePrefix", "expr", "limit"),
    "graphite_events": ("from", "until", "tags"),
    "original_show": ORIGINAL_SHOW,
    "healthz": (),
    "home": (),
    "login": ("user", "next"),
    "oidc_login": ("came_from",),
    "oidc_callback": ("state", "code", "error", "error_description"),
    "logout": (),
    "users": (),
    "tokens": ("format",),
    "token_revoke": (),
    "metrics_home": (),
    "metrics_page": ("start", "end"),
    "api_users": (),
    "api_pages": (),
    "api_page": (),
    "api_page_clone": (),
    "api_graph_clone": (),
    "api_variable_values": ("pattern", "name", "var-env", "var-service"),
    "api_tracelog_graph": ("kind", "instance", "customer", "host", "tz", "now"),
    "api_tracelog_menu": ("q", "customer", "host"),
    "api_slowest": ("instance", "customer", "host", "start", "end", "limit"),
    "slowest": ("instance", "customer", "host", "start", "end"),
    "user_home": (),
    "dashboard": ("start", "end"),
}  # fmt: skip
PLACES = {
    "user": "alice",
    "page": "default",
    "section": "tracelog",
    "graph": "1",
    "token": "1",
    "what": "tags",
}
GOOD = {
    "series": "tracelog/app1__acme__inst1:rpm",
    "target": "tracelog.app1__acme__inst1.rpm",
    "query": "tracelog.*",
    "kind": "all",
    "data0": "tracelog/app1__acme__inst1:rpm",
    "tag": "name",
    "pattern": "metrics/$env/$service/*",
    "name": "service",
    "instance": "app1__acme__inst1",
}


@pytest.fixture
def app(make_app: Callable[..., TestApp], oidc_provider: ProviderServer) -> TestApp:
    """Signed in as alice (development login), OpenID Connect configured too."""
    client = make_app(
        dev_login="true",
        oidc_issuer=oidc_provider.url,
        oidc_client_id="graphmetrics",
        oidc_client_secret="s3cret",
        oidc_redirect_url="http://localhost/login/oidc/callback",
        oidc_allow_any="true",
    )
    client.get("/login", params={"user": "alice"}, status=302)
    client.get("/alice/default/")
    return client


@pytest.fixture
def tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    caplog.set_level(logging.INFO)

    def found() -> list[str]:
        return [r.getMessage()[:200] for r in caplog.records if r.exc_info or r.exc_text]

    yield found


def routes(app: TestApp) -> dict[str, str]:
    mapper = app.app.registry.getUtility(IRoutesMapper)
    return {route.name: route.pattern for route in mapper.get_routes()}


def path_of(pattern: str, **places: str) -> str:
    for name, value in {**PLACES, **places}.items():
        for form in ("{%s}", "{%s:tracelog|metrics}", "{%s:\\d+}"):
            pattern = pattern.replace(form.replace("%s", name), value)
    assert "{" not in pattern, pattern
    return pattern


def problem(app: TestApp, url: str, method: str = "GET", **kw: Any) -> str | None:
    return answer(app, url, method, **kw)[1]


def answer(app: TestApp, url: str, method: str = "GET", **kw: Any) -> tuple[int, str | None]:
    """The status, and what is wrong with the answer (a 5xx, a redirect elsewhere).

    The request goes through a client without a cookie jar (the jar itself cannot
    handle a path that is not UTF-8), carrying ``app``'s cookies by hand.
    """
    cookies = "; ".join(f"{k}={v}" for k, v in app.cookies.items())
    headers = {**kw.pop("headers", {}), **({"Cookie": cookies} if cookies else {})}
    try:
        res = TestApp(app.app).request(
            url, method=method, expect_errors=True, headers=headers, **kw
        )
    except Exception as exc:  # an exception through the whole app: waitress's 500
        return 500, f"{method} {url[:150]}: raised {exc!r}"[:400]
    status = int(res.status_int)
    if status >= 500:
        return status, f"{method} {url[:150]}: {res.status} {res.text[:200]!r}"
    elsewhere = urlsplit(res.location or "").hostname not in (None, "localhost", "127.0.0.1")
    if 300 <= status < 400 and elsewhere:
        return status, f"{method} {url[:150]}: redirect to {res.location}"
    return status, None


def check(app: TestApp, url: str, method: str = "GET", **kw: Any) -> int:
    status, found = answer(app, url, method, **kw)
    assert found is None, found
    return status


def test_every_route_is_swept(app: TestApp) -> None:
    assert {name for name in routes(app) if not name.startswith("__")} == set(PARAMS)


def test_every_parameter_of_every_route(app: TestApp, tracebacks: Callable[[], list[str]]) -> None:
    problems: list[str | None] = []
    for name, pattern in routes(app).items():
        if name.startswith("__"):
            continue
        path = path_of(pattern)
        for param in PARAMS[name]:
            base = {k: v for k, v in GOOD.items() if k != param and k in PARAMS[name]}
            query = "&".join(f"{k}={quote(v)}" for k, v in base.items())
            for value in BAD_VALUES:
                problems.append(problem(app, f"{path}?{query}&{param}={value}"))
                problems.append(problem(app, f"{path}?{query}&{param}={value}&{param}={value}"))
            problems.append(problem(app, f"{path}?{query}&{param}"))
            problems.append(problem(app, f"{path}?%FF={param}&{query}"))
    assert [p for p in problems if p] == [], "\n".join(p for p in problems if p)
    assert tracebacks() == []


def test_every_path_segment(app: TestApp, tracebacks: Callable[[], list[str]]) -> None:
    problems: list[str | None] = []
    for pattern in routes(app).values():
        for place in PLACES:
            if "{" + place not in pattern:
                continue
            for value in ("%FF", HUGE_INT, "1e23", "99999999999999999999999"):
                url = path_of(pattern, **{place: value})
                for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                    problems.append(problem(app, url, method, headers=csrf(app)))
    assert [p for p in problems if p] == [], "\n".join(p for p in problems if p)
    assert tracebacks() == []


def csrf(app: TestApp) -> dict[str, str]:
    return {"X-CSRF-Token": app.cookies.get("csrf_token", ""), "Content-Type": "application/json"}


ANONYMOUS = [
    "/login?next=%FF",
    "/login?user=%FF",
    "/login/oidc?came_from=%FF",
    "/login/oidc/callback?state=%FF",
]
SIGNED_IN = [
    "/api/tracelog/menu?q=%FF",
    "/api/tracelog/graph?kind=all&customer=%FF",
    "/graphite/functions?group=%FF",
    f"/graphite/render?target=tracelog.app1__acme__inst1.rpm&format=json&maxDataPoints={HUGE_INT}",
    '/graphite/render?target=groupByNodes(tracelog.*.rpm,"aggregate",1)&format=json',
    "/graphite/render?target=movingAverage(tracelog.app1__acme__inst1.rpm,1e300)&format=json",
    "/graphite/render?target=tracelog.app1__acme__inst1.rpm&from=19991399&format=json",
    "/graphite/render?target=tracelog.app1__acme__inst1.rpm&from=now-999999999999y&format=json",
    '/graphite/render?target=timeShift(tracelog.app1__acme__inst1.rpm,"99999999999y")&format=json',
    '/graphite/render?target=alias(tracelog.app1__acme__inst1.rpm,"a\\\\")&format=png',
    "/graphite/render?target=tracelog.nothing.here&format=png",
    "/render?series=tracelog/app1__acme__inst1:rpm&title=a%5C",
    f"/api/pages/tracelog/alice/default/graphs/{HUGE_INT}/clone",
]


@pytest.mark.parametrize("url", ANONYMOUS)
def test_reported_anonymous_cases(
    make_app: Callable[..., TestApp],
    oidc_provider: ProviderServer,
    tracebacks: Callable[[], list[str]],
    url: str,
) -> None:
    app = make_app(
        dev_login="true",
        oidc_issuer=oidc_provider.url,
        oidc_client_id="graphmetrics",
        oidc_client_secret="s3cret",
        oidc_redirect_url="http://localhost/login/oidc/callback",
        oidc_allow_any="true",
    )
    assert 400 <= check(app, url) < 500 or url.startswith("/login?next")
    assert tracebacks() == []


def test_reported_signed_in_cases(app: TestApp, tracebacks: Callable[[], list[str]]) -> None:
    """One app for all (each case a line of the report): 4xx; 200 for a maxDataPoints
    above any series' length, a legend ending in a backslash and a PNG of no series."""
    answers = []
    for url in SIGNED_IN:
        method = "POST" if url.endswith("/clone") else "GET"
        extra = {"body": b"{}"} if method == "POST" else {}
        answers.append((url, *answer(app, url, method, headers=csrf(app), **extra)))
    assert [a for a in answers if a[2] or a[1] not in (200, 400, 404)] == []
    assert [a[1] for a in answers] == [400, 400, 400, 200, *[400] * 5, 200, 200, 400, 404]
    assert tracebacks() == []


def test_huge_integers_in_bodies_and_urls(
    app: TestApp, tracebacks: Callable[[], list[str]]
) -> None:
    page = "/api/pages/tracelog/alice/default"
    body = b'{"generation": 100000000000000000000000, "graphs": []}'
    assert check(app, page, "PUT", headers=csrf(app), body=body) == 400
    body = b'{"generation": ' + HUGE_INT.encode() + b', "graphs": []}'
    assert check(app, page, "PUT", headers=csrf(app), body=body) == 400
    revoke = "/tokens/100000000000000000000000/revoke"
    token = app.get("/tokens/").forms
    assert token is not None
    form = f"csrf_token={app.cookies['csrf_token']}".encode()
    type_ = {"Content-Type": "application/x-www-form-urlencoded"}
    assert check(app, revoke, "POST", body=form, headers=type_) == 302
    assert tracebacks() == []


def test_odd_page_variables(app: TestApp, tracebacks: Callable[[], list[str]]) -> None:
    page = "/api/pages/tracelog/alice/default"
    odd: list[Any] = [
        None,
        "x",
        {"name": "a"},
        [None],
        [[1]],
        [{"name": None, "pattern": None}],
        [{"name": "a", "pattern": "\u0000$a\ud800"}],
        [{"name": "a", "pattern": "[" * 150 + "$a" + "]" * 40}],
        [{"name": "a", "pattern": "$"}],
        [{"name": "a", "pattern": "${a"}],
        [{"name": "a", "pattern": ["$a"]}],
        [{"name": "a" * 5000, "pattern": "$a"}],
    ]
    statuses = []
    for variables in odd:
        body = json.dumps({"generation": 1, "graphs": [], "variables": variables})
        statuses.append(check(app, page, "PUT", headers=csrf(app), body=body.encode()))
    assert set(statuses) <= {400, 409}, statuses
    assert tracebacks() == []
