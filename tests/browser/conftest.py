"""The real app served by waitress in a thread, driven by Debian's Chromium via Playwright.

``playwright install`` cannot download browsers here, so the tests launch
``/usr/bin/chromium``; they are skipped when it is missing.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from graphmetrics.rrd.schema import METRICS
from graphmetrics.rrd.store import RRDStore
from graphmetrics.saved.db import make_engine
from graphmetrics.saved.services import SavedGraphService
from tests.functional.web_app.data import write_tracelog
from tests.helpers import REPO, free_port
from tests.webapp import instance_graph as stem_graph
from tests.webapp import testing_settings, wsgi_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = REPO / "var" / "test-artifacts"
# hosts with a metrics/<host>/cimaa/load/load1 series, as the Kinesis demo writes them
LOAD_HOSTS = ("db1", "web1", "web2")
FLEET = 501


class LiveServer:
    def __init__(self, url: str, db_url: str, rrd_dir: Path) -> None:
        self.url = url
        self.db_url = db_url
        self.rrd_dir = rrd_dir

    def seed_page(self, user: str, graphs: list[dict[str, Any]], section: str = "tracelog") -> None:
        """Give ``user`` a default ``section`` page with ``graphs`` (definition, view)."""
        from sqlalchemy.orm import Session

        from graphmetrics.saved.services import GraphInput

        engine = make_engine(self.db_url)
        with Session(engine) as session:
            svc = SavedGraphService(session)
            page = svc.ensure_default_page(user, section)
            items = [GraphInput(definition=g["definition"], view=g["view"]) for g in graphs]
            svc.save_graphs(page, page.generation, items)
        engine.dispose()


def write_metrics(rrd_dir: Path) -> None:
    # more series than a graph may read; only the series search lists them
    for n in range(FLEET):
        path = rrd_dir / "metrics" / "fleet" / f"h{n:03}" / "cpu.rrd"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    end = int(time.time()) // 300 * 300
    store = RRDStore(rrd_dir)
    hosts = [(f"metrics/{host}/cimaa/load/load1", 1.0 + n) for n, host in enumerate(LOAD_HOSTS)]
    for name, base in (("metrics/web/cpu", 40.0), ("metrics/web/load", 2.0), *hosts):
        samples = [(end - (288 - i) * 300, (base + (i % 24),)) for i in range(288)]
        store.write(name, METRICS, samples)


@contextmanager
def serve(root: Path, **overrides: str) -> Iterator[LiveServer]:
    """testing.ini's app with ``overrides``, RRDs and database under ``root``, in waitress."""
    import waitress

    rrd_dir = root / "rrd"
    write_tracelog(rrd_dir, hours=6)
    write_metrics(rrd_dir)
    db_url = f"sqlite:///{root}/saved.sqlite"
    port = free_port()
    if "oidc_issuer" in overrides:
        overrides.setdefault("oidc_redirect_url", f"http://127.0.0.1:{port}/login/oidc/callback")
    app = wsgi_app(testing_settings(rrd_dir=str(rrd_dir), db_url=db_url, **overrides))
    server: Any = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", db_url, rrd_dir)
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make install-test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def csp_violations(message: Any) -> list[str]:
    """Chromium reports what the Content-Security-Policy blocked as console errors."""
    text = str(message.text)
    if message.type == "error" and "Content Security Policy" in text:
        return [text]
    return []


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """``new_page("alice")``: a fresh browser context signed in as alice, at her dashboard;
    ``viewport`` is the window's size from the start (a later resize redraws every graph)."""
    contexts: list[Any] = []

    def make(user: str, context: Any = None, viewport: dict[str, int] | None = None) -> Any:
        if context is None:
            context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000})
            context.set_default_timeout(10_000)
            contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.extend(csp_violations(msg)))
        page.js_errors = errors
        page.goto(f"{live_server.url}/login?user={user}")
        return page

    yield make
    for context in contexts:
        for page in context.pages:
            assert not page.js_errors, f"JavaScript errors on {page.url}: {page.js_errors}"
        context.close()


@pytest.fixture
def instance_graph() -> Callable[[str], dict[str, Any]]:
    return stem_graph


def tools(card: Any) -> Any:
    """``card`` with its tools shown (time range, comparison, size, order, export)."""
    button = card.get_by_role("button", name="More controls")
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    return card


def answer(page: Any, text: str) -> None:
    """Answer the page's question (its <dialog>, the app's prompt) with ``text``."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox").fill(text)
    dialog.get_by_role("button", name="OK").click()
