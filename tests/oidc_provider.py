"""A real OpenID Connect provider for the tests: oidc-provider-mock on 127.0.0.1.

Its Flask app (authlib underneath) serves discovery, the JWKS, an authorization form
and the token endpoint, and signs RS256 ID tokens with a key it makes at start.
:class:`ProviderServer` serves it with werkzeug on a free port; :meth:`swap` puts a
fresh provider instance (with its own key) behind the same URL, as a provider
restarted with new keys would be.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import werkzeug.serving

with warnings.catch_warnings():
    # authlib warns about its own deprecated modules that oidc-provider-mock imports,
    # and its deprecate module puts an "always" filter first: import it, then override
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class ProviderServer:
    """``options`` go to ``oidc_provider_mock.app`` (``access_token_max_age``, ...)."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.provider = oidc_provider_mock.app(**options)
        self.server = werkzeug.serving.make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="oidc-provider", daemon=True
        )
        self.thread.start()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.provider(environ, start_response)  # type: ignore[no-any-return]

    def swap(self) -> None:
        """Replace the provider by a new instance: same URL, another signing key."""
        self.provider = oidc_provider_mock.app(**self.options)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider puts in ``sub``'s ID tokens (its ``PUT /users/<sub>``)."""
        request = urllib.request.Request(
            f"{self.url}/users/{urllib.parse.quote(sub, safe='')}",
            data=json.dumps(claims).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204

    def authorize(self, authorization_url: str, sub: str | None, deny: bool = False) -> str:
        """Submit the provider's authorization form as ``sub``; the URL it redirects to."""
        form = {"action": "deny"} if deny else {"sub": sub or ""}
        assert authorization_url.startswith(self.url + "/"), authorization_url
        try:
            _opener.open(authorization_url, data=urllib.parse.urlencode(form).encode(), timeout=5)
        except urllib.error.HTTPError as exc:
            if exc.code in (302, 303):
                return str(exc.headers["Location"])
            raise AssertionError(f"the provider answered {exc.code}: {exc.read()!r}") from exc
        raise AssertionError("the provider did not redirect back")

    def tokens_for(self, client_id: str, sub: str, nonce: str) -> dict[str, Any]:
        """A whole code flow as client ``client_id``: the provider's token response."""
        redirect = "http://127.0.0.1/callback"
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect,
                "scope": "openid profile email",
                "state": "s",
                "nonce": nonce,
            }
        )
        back = self.authorize(f"{self.url}/oauth2/authorize?{query}", sub)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
        form.update(client_id=client_id, client_secret="any")
        with urllib.request.urlopen(
            f"{self.url}/oauth2/token", data=urllib.parse.urlencode(form).encode(), timeout=5
        ) as response:
            answer: dict[str, Any] = json.load(response)
        return answer


@contextmanager
def running_provider(**options: Any) -> Iterator[ProviderServer]:
    server = ProviderServer(**options)
    try:
        yield server
    finally:
        server.close()
