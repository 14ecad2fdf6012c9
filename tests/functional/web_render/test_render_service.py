"""One bounded, fair render service for ``/render`` and ``/graphite/`` (issue 20).

Each test serves the app in its own process (:mod:`.served`): slow Graphite
targets and heavy graphs run in render workers under the deadline, are admitted a
few at a time (a user's share, a short queue, then a fast 503 with Retry-After),
and ordinary requests and ``/healthz`` answer meanwhile.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.web_render.conftest import INST1, T0, minute
from tests.functional.web_render.served import Served, serve
from tests.functional.web_render.test_stall import GENEROUS, SLOW, InBackground

# N5: seconds of Python (a 120-day moving median of every data source over 600 days
# at 1 h, just inside the window-work bound of graphite/functions/bounds.py)
SLOW_TARGET = {
    "target": 'movingMedian(tracelog.*.*,"120d")',
    "from": "-600d",
    "now": str(minute(120)),
    "format": "json",
}
LIGHT_PNG = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(60))}
LIGHT_TARGET = {
    "target": "tracelog.app1__acme__inst1.rpm",
    "from": str(minute(10)),
    "until": str(minute(20)),
    "now": str(minute(120)),
    "format": "json",
}


@pytest.fixture
def served(data_dir: Path, tmp_path: Path) -> Iterator[Served]:
    with serve(
        data_dir, tmp_path, render_deadline="2", render_workers="2", render_max_work=str(10**15)
    ) as app:
        yield app


def ordinary_requests_answer(served: Served) -> None:
    began = time.monotonic()
    assert served.get("/healthz", timeout=GENEROUS).status == 200
    assert time.monotonic() - began < 1.0, "healthz took a second or more"
    assert served.get("/render", LIGHT_PNG, timeout=GENEROUS).status == 200
    light = served.get("/graphite/render", LIGHT_TARGET, timeout=GENEROUS)
    assert light.status == 200 and json.loads(light.body)[0]["datapoints"][0] == [11.0, minute(11)]
    assert served.get("/metrics/staller/default/", timeout=GENEROUS).status == 200


def test_slow_graphite_targets_end_at_the_deadline_and_hold_nobody(served: Served) -> None:
    """N5: twenty slow Graphite requests froze the app for 60 s; now they run in
    workers under the deadline, a user's third is refused at once."""
    slow = [InBackground(served, "/graphite/render", SLOW_TARGET) for _ in range(4)]
    time.sleep(0.3)
    ordinary_requests_answer(served)
    answers = [s.answer() for s in slow]
    statuses = sorted(a.status for a in answers)
    assert statuses[:2] == [503, 503] and set(statuses) <= {503, 504}, statuses
    busy = [a for a in answers if a.status == 503]
    assert all(a.headers["retry-after"] in ("2", "5") for a in busy)
    assert any(b"heavy graphs being drawn already" in a.body for a in busy)
    timed_out = next(a for a in answers if a.status == 504)
    assert b"longer than 2 s" in timed_out.body
    ordinary_requests_answer(served)


def test_big_graphite_png_is_drawn_by_a_worker_under_the_deadline(served: Served) -> None:
    """N12: a Graphite PNG was drawn in the web process with no deadline."""
    lines = ",".join(f'alias(tracelog.*.*,"{i}")' for i in range(100))  # 1000 lines
    # a full-height tick at each of their points: seconds of drawing at any PNG speed
    params = {"target": f"drawAsInfinite(group({lines}))", "width": "4000", "height": "4000"}
    params.update({"from": str(T0), "until": str(minute(120)), "now": str(minute(120))})
    big = InBackground(served, "/graphite/render", params)
    ordinary_requests_answer(served)
    answer = big.answer()
    assert answer.status == 504, answer.body[:200]
    assert b"longer than 2 s" in answer.body


def test_a_crowd_of_heavy_graphs_is_refused_fast_and_cheap_requests_pass(served: Served) -> None:
    """Twenty heavy /render filled every waitress thread for 20 s; now the queue is
    short and the rest get a 503 with Retry-After at once."""
    crowd = [InBackground(served, "/render", {**SLOW, "width": str(3000 + i)}) for i in range(12)]
    time.sleep(0.3)
    ordinary_requests_answer(served)
    statuses = [c.answer().status for c in crowd]
    assert statuses.count(503) >= 8, statuses
    assert set(statuses) <= {503, 504}, statuses
