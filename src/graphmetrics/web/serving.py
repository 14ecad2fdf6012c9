"""waitress, with the app's security headers on the answers waitress makes itself.

waitress answers some requests without the app: 413 (a body over
``max_request_body_size``), 431 (headers over ``max_request_header_size``), 400 (a
request it cannot parse) and 500 (the app raised).  Its :class:`ErrorTask` builds
those; :class:`HardenedErrorTask` adds the headers of :mod:`.headers` (CSP, no
framing, nosniff, referrer policy, ``no-store``) before the first byte is written.
"""

from __future__ import annotations

from typing import Any

import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from graphmetrics.web.headers import ALWAYS, NO_STORE


class HardenedErrorTask(ErrorTask):
    def execute(self) -> None:
        status, headers, body = self.request.error.to_response(self.channel.server.adj.ident)
        self.status = status
        self.response_headers.extend(headers)
        self.response_headers.extend(ALWAYS)
        self.response_headers.append(("Cache-Control", NO_STORE))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class HardenedChannel(HTTPChannel):
    error_task_class = HardenedErrorTask


def create_server(app: Any, **options: Any) -> Any:
    """``waitress.create_server`` whose own error answers carry the security headers."""
    server = waitress.create_server(app, **options)
    servers = [server, *getattr(server, "map", {}).values()]
    for each in servers:
        if isinstance(each, BaseWSGIServer):
            each.channel_class = HardenedChannel
    return server
