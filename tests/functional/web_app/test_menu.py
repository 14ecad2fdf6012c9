"""The dashboard's instance menu, loaded a level at a time: the page stays small
with any number of tracelog instances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from webtest import TestApp

from tests.functional.web_app.conftest import Browser

HOSTS = 40
CUSTOMERS = 25
PER_HOST = 5  # 40 hosts x 25 customers x 5 = 5 000 instances


@pytest.fixture
def big_app(make_app: Callable[..., TestApp], tmp_path: Path) -> TestApp:
    """An RRD directory with 5 000 tracelog instances (the menu only reads names)."""
    folder = tmp_path / "big" / "tracelog"
    folder.mkdir(parents=True)
    for h in range(HOSTS):
        for c in range(CUSTOMERS):
            for i in range(PER_HOST):
                (folder / f"host{h:02d}__cust{c:02d}__inst{i}.rrd").touch()
    return make_app(rrd_dir=str(tmp_path / "big"))


def test_dashboard_html_stays_small(big_app: TestApp) -> None:
    alice = Browser(big_app, "alice")
    page = alice.get("/alice/default/")
    assert len(page.body) < 30_000, len(page.body)
    assert "host07__cust03__inst2" not in page.text
    config = page.html.find("script", id="gm-config").string
    assert '"tracelog_menu": "http://localhost/api/tracelog/menu"' in config


def test_menu_levels_and_search(big_app: TestApp) -> None:
    alice = Browser(big_app, "alice")
    top = alice.get("/api/tracelog/menu").json
    assert top["total"] == CUSTOMERS and not top["more"]
    assert top["items"][3] == {"name": "cust03", "instances": HOSTS * PER_HOST}
    hosts = alice.get("/api/tracelog/menu", params={"customer": "cust03"}).json
    assert hosts["total"] == HOSTS
    assert hosts["items"][7] == {"name": "host07", "instances": PER_HOST}
    insts = alice.get("/api/tracelog/menu", params={"customer": "cust03", "host": "host07"}).json
    assert [i["stem"] for i in insts["items"]] == [
        f"host07__cust03__inst{i}" for i in range(PER_HOST)
    ]
    found = alice.get("/api/tracelog/menu", params={"q": "HOST07__cust03"}).json
    assert found["total"] == PER_HOST
    assert found["items"][0] == {
        "name": "inst0",
        "stem": "host07__cust03__inst0",
        "customer": "cust03",
        "host": "host07",
    }
    many = alice.get("/api/tracelog/menu", params={"q": "inst"}).json
    assert many["more"] and len(many["items"]) == 200 and many["total"] == 5000
    alice.get(
        "/api/tracelog/graph", params={"kind": "instance", "instance": "host07__cust03__inst2"}
    )


def test_menu_needs_a_sign_in(testapp: TestApp) -> None:
    testapp.get("/api/tracelog/menu", status=401)


def test_new_instances_appear(signed_in: Callable[[str], Browser], tracelog_rrds: Path) -> None:
    alice = signed_in("alice")
    assert alice.get("/api/tracelog/menu").json["total"] == 2
    extra = tracelog_rrds / "tracelog" / "app9__gamma__x1.rrd"
    extra.touch()
    try:
        names = [c["name"] for c in alice.get("/api/tracelog/menu").json["items"]]
        assert names == ["acme", "beta", "gamma"]
    finally:
        extra.unlink()
