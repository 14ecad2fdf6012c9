"""Forwarded headers are believed from ``trusted_proxies`` only, and the shipped haproxy
configuration overwrites clients' copies (N10); waitress's own error answers carry the
security headers.  The haproxy and waitress here are the real ones."""

from __future__ import annotations

import http.client
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyramid.router import Router
from webtest import TestApp

from graphmetrics.cli.web import server_options
from graphmetrics.web.serving import create_server
from tests.functional.web_app.test_headers import assert_hardened
from tests.helpers import REPO, free_port, listening, wait_for
from tests.oidc_provider import ProviderServer
from tests.webapp import testing_settings as app_settings
from tests.webapp import wsgi_app

EVIL = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
PRODUCTION = REPO / "etc" / "production.ini"


def test_forwarded_headers_from_anyone_are_dropped(make_app: Callable[..., TestApp]) -> None:
    app = make_app()
    res = app.get("/", headers=EVIL, extra_environ={"REMOTE_ADDR": "127.0.0.1"}, status=302)
    assert res.location == "http://localhost/login"
    assert "Strict-Transport-Security" not in res.headers


def test_forwarded_headers_from_a_trusted_proxy_are_believed(
    make_app: Callable[..., TestApp],
) -> None:
    app = make_app(trusted_proxies="10.0.0.0/8, 192.0.2.7")
    for proxy in ("10.1.2.3", "192.0.2.7"):
        res = app.get("/", headers=EVIL, extra_environ={"REMOTE_ADDR": proxy}, status=302)
        assert res.location == "https://evil.example/login"
        assert res.headers["Strict-Transport-Security"].startswith("max-age=")
    res = app.get("/", headers=EVIL, extra_environ={"REMOTE_ADDR": "192.0.2.8"}, status=302)
    assert res.location == "http://localhost/login"


def test_a_bad_trusted_proxies_value_stops_the_app(make_app: Callable[..., TestApp]) -> None:
    from graphmetrics.settings import SettingsError

    with pytest.raises(SettingsError, match="bad value in trusted_proxies"):
        make_app(trusted_proxies="10.0.0.300")


@contextmanager
def waitress_serving(app: Router, **options: str) -> Iterator[int]:
    port = free_port()
    server: Any = create_server(app, listen=f"127.0.0.1:{port}", **options)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()
        thread.join(timeout=5)


def haproxy_cfg(tmp: Path, port: int, web_port: int) -> Path:
    """etc/haproxy.cfg as shipped, on this test's ports and with one web process."""
    text = (REPO / "etc" / "haproxy.cfg").read_text()
    text = text.replace("/run/haproxy/graphmetrics.sock", str(tmp / "haproxy.sock"))
    text = text.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
    text = text.replace("127.0.0.1:6543", f"127.0.0.1:{web_port}")
    text = "\n".join(line for line in text.splitlines() if "server web2" not in line)
    cfg = tmp / "haproxy.cfg"
    cfg.write_text(text + "\n")
    return cfg


def get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_through_the_shipped_haproxy_a_client_cannot_choose_the_host(
    rrd_dir: Path, tmp_path: Path
) -> None:
    """N10: ``curl -H 'X-Forwarded-Host: evil.example'`` through haproxy to the
    production settings got ``Location: http://evil.example/login``."""
    settings = app_settings(
        PRODUCTION, rrd_dir=str(rrd_dir), db_url=f"sqlite:///{tmp_path}/s.sqlite"
    )
    options = {k: v for k, v in server_options(PRODUCTION).items() if k != "listen"}
    with waitress_serving(wsgi_app(settings), **options) as web_port:
        port = free_port()
        cfg = haproxy_cfg(tmp_path, port, web_port)
        proxy = subprocess.Popen(
            ["haproxy", "-f", str(cfg), "-db"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: listening(port), what="haproxy listening")
            wait_for(
                lambda: get(port, "/healthz", {}).status == 200, what="haproxy's web server UP"
            )
            res = get(port, "/", {**EVIL, "X-Forwarded-For": "203.0.113.9"})
            assert res.status == 302
            assert res.getheader("Location") == f"http://127.0.0.1:{port}/login"
            assert res.getheader("Strict-Transport-Security") is None
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)


def test_waitress_own_errors_carry_the_security_headers(router: Router) -> None:
    """413, 431 (waitress refuses before the app) and 500 (the app raised)."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("a bug")

    limits = {"max_request_body_size": "1000", "max_request_header_size": "2000"}
    with waitress_serving(router, **limits) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/login", body=b"x" * 5000)
        too_big = connection.getresponse()
        too_big.read()
        assert too_big.status == 413
        assert_hardened(too_big.headers)
        assert too_big.getheader("Cache-Control") == "private, no-store"
        connection.close()
        headers = get(port, "/login", {"X-Big": "y" * 3000})
        assert headers.status == 431
        assert_hardened(headers.headers)
    with waitress_serving(broken) as port:  # type: ignore[arg-type]
        failed = get(port, "/", {})
        assert failed.status == 500
        assert_hardened(failed.headers)


def test_the_oidc_redirect_uri_comes_from_the_settings_only(
    make_app: Callable[..., TestApp], oidc_provider: ProviderServer
) -> None:
    """N10: the ``redirect_uri`` sent to the provider was built from X-Forwarded-Host."""
    from urllib.parse import parse_qs

    from graphmetrics.settings import SettingsError

    oidc = {
        "oidc_issuer": oidc_provider.url,
        "oidc_client_id": "graphmetrics",
        "oidc_allow_any": "true",
    }
    with pytest.raises(SettingsError, match="oidc_redirect_url is required"):
        make_app(**oidc)
    app = make_app(
        **oidc,
        oidc_redirect_url="https://graphs.example.com/login/oidc/callback",
        trusted_proxies="127.0.0.1",
    )
    res = app.get(
        "/login/oidc", headers=EVIL, extra_environ={"REMOTE_ADDR": "127.0.0.1"}, status=302
    )
    query = parse_qs(res.location.split("?", 1)[1])
    assert query["redirect_uri"] == ["https://graphs.example.com/login/oidc/callback"]
