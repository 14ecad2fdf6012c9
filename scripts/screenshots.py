"""README screenshots of ``/`` and ``/metrics`` taken from the demo (``make screenshots``).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts ``python -m graphmetrics.demo`` on free ports with its state in a temporary
folder, signs in as ``demo`` (whose starter pages the demo seeds) with Debian's
Chromium through Playwright, and saves at 1600×1000 ``tracelog.png`` (a screenful of
nine graphs: the customer's totals with restart ticks, yesterday's overlay and the
values under the cursor, its pools and instances) and
``metrics.png`` (the builder with an aggregate of every host's load).  The demo is
stopped at the end, also when something fails.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1600, "height": 1000}
UP_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo(var: Path) -> Iterator[str]:
    """The demo running with its state under ``var``; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "graphmetrics.demo", "--port", str(port)]
    command += ["--kinesis-port", str(free_port()), "--var-dir", str(var)]
    log = (var / "demo.out").open("w")
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
    )
    # a demo that never comes up is stopped, which ends the wait for its line below
    watchdog = threading.Timer(UP_TIMEOUT, os.killpg, (proc.pid, signal.SIGTERM))
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "graphmetrics demo is up" in line:
                break
        else:
            raise SystemExit(f"the demo stopped or took over {UP_TIMEOUT} s: see {var}/log")
        watchdog.cancel()
        yield f"http://127.0.0.1:{port}"
    finally:
        watchdog.cancel()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def hover_latest(page: Any, card: Any) -> None:
    """Point at the card's latest data, so the readout shows values."""
    href = card.get_by_role("link", name="CSV", include_hidden=True).get_attribute("href")
    data = page.request.get(href.replace("format=csv", "format=json")).json()
    latest = max(row[0] for row in data["rows"] if row[1] is not None)
    start, end = data["rows"][0][0], data["rows"][-1][0]
    box = card.locator(".plot img").bounding_box()
    # the plot spans most of the image; the card maps the pixel back to a time itself
    fraction = 0.1 + 0.82 * (latest - start) / max(1, end - start)
    page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.35)
    expect(card.locator(".readout")).to_be_visible()


def tools(card: Any) -> Any:
    card.get_by_role("button", name="More controls").click()
    return card


def tracelog(page: Any, url: str, out: Path) -> None:
    page.goto(f"{url}/login?user=demo")
    cards = page.locator("article.card")
    expect(cards).to_have_count(9, timeout=30_000)
    expect(cards.locator("img[src^='blob:']")).to_have_count(9, timeout=30_000)
    total = cards.first
    tools(total).get_by_label("Compare with the past").select_option(label="vs 1 day ago")
    total.get_by_role("button", name="More controls").click()
    expect(total.locator("img[src^='blob:']")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    hover_latest(page, total)
    page.screenshot(path=str(out / "tracelog.png"))


def metrics(page: Any, url: str, out: Path) -> None:
    page.goto(f"{url}/metrics/")
    page.get_by_role("button", name="New graph").click()
    page.get_by_label("Search series").fill("cimaa load1")
    page.get_by_label("Data source of every match").select_option("data")
    page.get_by_role("button", name="Add all").click()
    editor = page.locator("#editor")
    editor.get_by_role("group", name="Aggregate series").get_by_role(
        "button", name="Average"
    ).click()
    editor.get_by_label("Title", exact=True).fill("Average load of every host")
    card = page.locator("article.card").last
    tools(card).get_by_role("checkbox", name="Legend values").check()
    card.get_by_role("button", name="More controls").click()
    expect(page.locator("#save-status")).to_have_text("All changes saved")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    hover_latest(page, card)
    page.screenshot(path=str(out / "metrics.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="gm-screens-") as tmp,
        demo(Path(tmp)) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(20_000)
        tracelog(page, url, args.out)
        metrics(page, url, args.out)
        browser.close()
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
