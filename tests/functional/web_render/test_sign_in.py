"""/render and /series serve signed-in users only; others get a 403 they can read.

An ``<img>`` cannot follow a redirect to a login page, so the refusal is an image for
png/svg, JSON for json (and /series), text for csv: never a 302.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import webtest

from graphmetrics.render.graph import ERROR_SIZE
from graphmetrics.web.interfaces import IRRDReader
from tests.functional.web_render.conftest import INST1, T0, anonymous_app, make_app, minute
from tests.helpers import sign_out
from tests.webapp import registered

RANGE = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(60))}
REFUSAL = "sign in first (/login)"


@pytest.fixture
def anonymous(data_dir: Path) -> webtest.TestApp:
    return anonymous_app(data_dir)


def refused(res: webtest.TestResponse) -> None:
    assert res.status_int == 403
    assert "Location" not in res.headers
    assert res.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("fmt", "content_type"), [("png", "image/png"), ("svg", "image/svg+xml")])
def test_anonymous_render_gets_an_error_image(
    anonymous: webtest.TestApp, fmt: str, content_type: str
) -> None:
    res = anonymous.get("/render", {**RANGE, "format": fmt}, status=403)
    refused(res)
    assert res.content_type == content_type
    assert res.headers["X-Graphmetrics-Error"] == REFUSAL


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")


def test_anonymous_refusal_is_small_fixed_and_never_drawn_by_a_worker(
    anonymous: webtest.TestApp,
) -> None:
    """4000x4000 refusals cost the server nothing: one small image, drawn once."""
    bodies = set()
    for size in ("4000", "10", "800"):
        res = anonymous.get("/render", {"width": size, "height": size}, status=403)
        refused(res)
        assert png_size(res.body) == ERROR_SIZE
        bodies.add(res.body)
    assert len(bodies) == 1
    assert len(bodies.pop()) < 20_000
    svg = anonymous.get("/render", {"width": "4000", "format": "svg"}, status=403)
    assert f'width="{ERROR_SIZE[0]}" height="{ERROR_SIZE[1]}"'.encode() in svg.body
    assert registered(anonymous, IRRDReader).pool.started == 0


def test_anonymous_render_as_json_and_csv(anonymous: webtest.TestApp) -> None:
    res = anonymous.get("/render", {**RANGE, "format": "json"}, status=403)
    refused(res)
    assert res.json == {"error": REFUSAL, "param": "login"}
    res = anonymous.get("/render", {**RANGE, "format": "csv"}, status=403)
    refused(res)
    assert res.text == f"error: {REFUSAL}\n"


def test_anonymous_render_with_a_bad_definition_is_still_only_refused(
    anonymous: webtest.TestApp,
) -> None:
    res = anonymous.get("/render", {"series": "../../etc/passwd:x", "format": "json"}, status=403)
    assert res.json["error"] == REFUSAL


def test_anonymous_series_search_is_refused(anonymous: webtest.TestApp) -> None:
    res = anonymous.get("/series", {"q": "tracelog/*"}, status=403)
    assert "Location" not in res.headers
    assert res.json["error"] == REFUSAL


def test_signed_in_answers_are_private(data_dir: Path) -> None:
    app = make_app(data_dir)
    assert app.get("/render", RANGE).headers["Cache-Control"] == "private, max-age=86400"
    res = app.get("/series", {"q": "tracelog/*"})
    assert res.headers["Cache-Control"] == "private, no-cache"
    assert res.json["total"] == 2


def test_signing_out_or_a_forged_cookie_ends_access(data_dir: Path) -> None:
    app = make_app(data_dir)
    app.get("/render", RANGE, status=200)
    cookie = app.cookies["graphmetrics_auth"]
    sign_out(app)
    app.get("/render", RANGE, status=403)
    app.get("/series", status=403)
    forged = cookie.replace(cookie[:8], "0" * 8)
    app.set_cookie("graphmetrics_auth", forged)
    app.get("/render", RANGE, status=403)
