"""Request bodies are bounded, and errors quote only the start of what was sent."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from graphmetrics.web.views.helpers import MAX_JSON_BODY
from tests.functional.web_app.conftest import Browser
from tests.functional.web_render.served import serve

SignIn = Callable[[str], Browser]
SMALL = 2000  # bytes: an error message, never the whole input


def test_json_body_over_the_limit_is_413_unread(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    body = json.dumps({"name": "x" * MAX_JSON_BODY}).encode()
    res = alice.app.post(
        "/api/pages/metrics/alice",
        body,
        headers={**alice.headers, "Content-Type": "application/json"},
        status=413,
    )
    assert res.json["error"] == f"the request body is larger than {MAX_JSON_BODY} bytes"
    assert len(res.body) < SMALL


def test_json_body_without_length_is_read_only_to_the_limit(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    body = b'{"name": "' + b"x" * MAX_JSON_BODY + b'"}'
    headers = {**alice.headers, "Content-Type": "application/json"}
    req_env = {"CONTENT_LENGTH": ""}  # as a chunked body would come
    res = alice.app.post(
        "/api/pages/metrics/alice", body, headers=headers, extra_environ=req_env, status=413
    )
    assert len(res.body) < SMALL


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/pages/metrics/alice", {"name": "x" * 200_000}),
        ("put", "/api/pages/tracelog/alice/default", {"generation": "x" * 200_000}),
        ("put", "/api/pages/tracelog/alice/default", {"generation": ["y" * 1000] * 100}),
    ],
)
def test_errors_quote_only_the_start_of_a_value(
    signed_in: SignIn, method: str, url: str, body: dict[str, object]
) -> None:
    alice = signed_in("alice")
    res = getattr(alice, method)(url, body, status=400)
    assert len(res.body) < SMALL
    assert "xxxxxxxxxx" in res.json["error"] or "yyyyyyyyyy" in res.json["error"]


def test_waitress_refuses_a_big_body_before_the_app(tracelog_rrds: Path, tmp_path: Path) -> None:
    """graphmetrics-web's waitress answers 413 on the headers, before any body is read."""
    with serve(tracelog_rrds, tmp_path) as served:
        head = (
            "POST /api/pages/metrics/staller HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: {served.cookie}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
            sock.sendall(head.encode())
            answer = sock.recv(SMALL)
        assert answer.startswith(b"HTTP/1.1 413 ")
