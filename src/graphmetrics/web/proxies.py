"""Forwarded headers believed only from the reverse proxies named in ``trusted_proxies``.

A request from a listed address (haproxy, which overwrites these headers: see
etc/haproxy.cfg) has its scheme, host, port and client address taken from
``X-Forwarded-Proto``/``-Host``/``-Port``/``-For`` (the last, nearest hop); from anyone
else the headers are dropped, so ``curl -H 'X-Forwarded-Host: evil.example'`` cannot
choose the host of the app's redirects.  None is trusted by default.  It runs first
(a tween under ``INGRESS``), before anything reads ``request.host`` or ``scheme``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import INGRESS

from graphmetrics.settings import SettingsError
from graphmetrics.web.config import WebSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise SettingsError(f"bad value in trusted_proxies: {exc}") from None
    return tuple(networks)


def trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _last(value: str) -> str:
    return value.rsplit(",", 1)[-1].strip()


def apply_forwarded(environ: dict[str, Any]) -> None:
    """The proxy's view of the request: scheme, host (and port) and client address."""
    proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
    if proto in ("http", "https"):
        environ["wsgi.url_scheme"] = proto
    host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
    port = _last(environ.get("HTTP_X_FORWARDED_PORT", ""))
    if host and host.isprintable() and " " not in host:
        if port.isdigit() and ":" not in host.rsplit("]", 1)[-1]:
            host = f"{host}:{port}"
        environ["HTTP_HOST"] = host
    client = _last(environ.get("HTTP_X_FORWARDED_FOR", ""))
    if client:
        environ["REMOTE_ADDR"] = client


def proxies_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    settings: WebSettings = registry.settings["graphmetrics"]
    networks = parse_networks(settings.trusted_proxies)

    def tween(request: Request) -> Response:
        environ = request.environ
        if trusted(environ.get("REMOTE_ADDR"), networks):
            apply_forwarded(environ)
        for key in FORWARDED:
            environ.pop(key, None)
        return handler(request)

    return tween


def includeme(config: Configurator) -> None:
    settings: WebSettings = config.get_settings()["graphmetrics"]
    parse_networks(settings.trusted_proxies)  # a typo stops the app at start
    config.add_tween("graphmetrics.web.proxies.proxies_tween", under=INGRESS)
