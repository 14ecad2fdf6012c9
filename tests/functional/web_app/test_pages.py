"""The HTML pages: dashboards with the instance menu, read-only views, builder, users."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from webtest import TestApp

from graphmetrics.rrd.layout import PALETTE, RESTART_COLOR
from tests.conftest import REPO
from tests.functional.web_app.conftest import Browser


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="gm-config">(.*?)</script>', html, re.S)
    assert match, "the page embeds its configuration"
    return json.loads(match.group(1))


def test_dashboard_menu_comes_from_the_menu_api(signed_in: Callable[[str], Browser]) -> None:
    alice = signed_in("alice")
    html = alice.get("/alice/default/").text
    assert 'id="menu-tree"' in html
    assert "app1__acme__inst1" not in html
    config = page_config(html)
    assert config["editable"] is True
    assert config["page"]["graphs"] == []
    assert config["urls"]["render"] == "http://localhost/render"
    assert config["pool_kinds"]["headroom"] == "Headroom %"
    assert config["colors"] == {"palette": list(PALETTE), "restart": RESTART_COLOR}
    url = config["urls"]["tracelog_menu"]
    assert [c["name"] for c in alice.get(url).json["items"]] == ["acme", "beta"]
    hosts = alice.get(url, params={"customer": "acme"}).json["items"]
    assert hosts == [{"name": "app1", "instances": 2}, {"name": "app2", "instances": 1}]
    insts = alice.get(url, params={"customer": "beta", "host": "app3"}).json["items"]
    assert insts == [{"name": "web1", "stem": "app3__beta__web1"}]


def test_dashboard_without_rrds_says_where_they_go(
    make_app: Callable[..., TestApp], tmp_path: Any
) -> None:
    app = make_app(rrd_dir=str(tmp_path))
    app.get("/login?user=alice")
    assert "No tracelog RRD files yet" in app.get("/alice/default/").text


def test_other_users_page_is_read_only(signed_in: Callable[[str], Browser]) -> None:
    alice = signed_in("alice")
    alice.save([{"definition": alice.definition(), "view": {"trail": 3}}])
    bob = signed_in("bob")
    html = bob.get("/alice/default/").text
    config = page_config(html)
    assert config["editable"] is False
    assert 'id="menu"' not in html
    assert "read-only" in html
    assert config["page"]["graphs"][0]["view"] == {"trail": 3}
    assert config["page"]["graphs"][0]["clone_url"].endswith("/clone")
    assert config["my_pages"] == ["default"]


def test_known_users_default_page_always_opens(signed_in: Callable[[str], Browser]) -> None:
    signed_in("alice")  # has a tracelog page only
    bob = signed_in("bob")
    config = page_config(bob.get("/metrics/alice/default/").text)
    assert (config["page"]["user"], config["page"]["graphs"], config["editable"]) == (
        "alice",
        [],
        False,
    )


def test_unknown_pages_and_users_are_404(signed_in: Callable[[str], Browser]) -> None:
    alice = signed_in("alice")
    res = alice.get("/alice/nosuchpage/", status=404)
    assert "alice has no tracelog page named &#39;nosuchpage&#39;" in res.text
    assert "Go to your dashboard" in res.text
    alice.get("/nobody/default/", status=404)
    alice.get("/nobody/", status=404)
    alice.get("/a%20b/default/", status=404)


def test_missing_slash_redirects(signed_in: Callable[[str], Browser]) -> None:
    alice = signed_in("alice")
    res = alice.get("/alice/default", status=301)
    assert res.location.endswith("/alice/default/")
    assert alice.get("/alice/", status=302).location.endswith("/alice/default/")


def test_users_page_lists_everyone_with_pages(signed_in: Callable[[str], Browser]) -> None:
    signed_in("bob")
    alice = signed_in("alice")
    html = alice.get("/users/").text
    assert html.index(">alice") < html.index(">bob")
    assert 'href="http://localhost/bob/default/"' in html
    users = alice.get("/api/users").json["users"]
    assert [u["name"] for u in users] == ["alice", "bob"]


def test_metrics_builder_page(signed_in: Callable[[str], Browser]) -> None:
    alice = signed_in("alice")
    assert alice.get("/metrics/", status=302).location.endswith("/metrics/alice/default/")
    html = alice.get("/metrics/alice/default/").text
    config = page_config(html)
    assert config["page"]["section"] == "metrics"
    assert config["urls"]["series"] == "http://localhost/series"
    assert "metrics.js" in html


def static_url(html: str, name: str) -> str:
    match = re.search(r'"(/static/[0-9a-f]{12}/' + re.escape(name) + ')"', html)
    assert match, html
    return match.group(1)


def test_static_files_come_from_the_top_level_static_dir(testapp: TestApp) -> None:
    html = testapp.get("/login").text
    css = static_url(html, "css/app.css")
    res = testapp.get(css, status=200)
    assert res.body == (REPO / "static" / "css" / "app.css").read_bytes()
    js = css.replace("css/app.css", "js/dashboard.js")  # ES module imports stay on the hash
    assert testapp.get(js).content_type in ("application/javascript", "text/javascript")
    assert testapp.get("/static/css/app.css", expect_errors=True).status_int == 404
    escape = testapp.get(
        css.replace("css/app.css", "%2e%2e/etc/development.ini"), expect_errors=True
    )
    assert escape.status_int in (301, 404)
    assert "[app:main]" not in escape.text
