"""No request stalls the others: a catastrophic regex, a graph that would take minutes.

Each test serves the app in its own process (:mod:`.served`) and checks that an
ordinary request answers, with a generous deadline, while the bad one runs; and
that the bad one ends with a clear answer too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.web_render.conftest import INST1, T0, minute
from tests.functional.web_render.served import Answer, Served, serve

REDOS = "re:^(([a-z0-9/]+)+)+X"  # exponential for a backtracking engine
NORMAL = {"series": f"{INST1}:rpm", "start": str(T0), "end": str(minute(60))}
# Allowed by the RPN bounds, and by render_max_work raised below: 30+ s of rrdtool
# (each CDEF reads 100 shifted week-long windows per minute of the day).
SLOW = {
    "graph": json.dumps(
        {
            "series": [{"name": "s0", "path": INST1, "ds": "rpm"}],
            "cdefs": [{"name": f"t{i}", "rpn": "86400,-100,604800,s0,PREDICT"} for i in range(12)],
            "lines": [{"value": f"t{i}"} for i in range(12)],
        }
    ),
    "start": str(minute(120) - 86400),
    "end": str(minute(120)),
    "width": "4000",
}
GENEROUS = 30


class InBackground:
    """A request sent from a thread; :meth:`answer` waits for it with a deadline."""

    def __init__(self, served: Served, path: str, params: dict[str, str]) -> None:
        self.result: Answer | BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(served, path, params))
        self.thread.start()

    def _run(self, served: Served, path: str, params: dict[str, str]) -> None:
        try:
            self.result = served.get(path, params, timeout=GENEROUS * 2)
        except BaseException as exc:  # noqa: BLE001 - reported by answer()
            self.result = exc

    def answer(self) -> Answer:
        self.thread.join(GENEROUS * 2 + 5)
        assert isinstance(self.result, Answer), f"no answer: {self.result!r}"
        return self.result


# A name of only [a-z0-9/]: a backtracking engine tries 3^n ways of splitting it.
LONG_NAME = "metrics/" + "abcdefghijklmnopqrstuvwxyz0123456789" + "/abcdefghijklmnop"


@pytest.fixture
def served(data_dir: Path, tmp_path: Path) -> Iterator[Served]:
    long_file = data_dir / f"{LONG_NAME}.rrd"
    long_file.parent.mkdir(parents=True)
    long_file.write_bytes(b"")  # the index lists files, it never opens them
    with serve(
        data_dir, tmp_path, render_deadline="3", render_workers="2", render_max_work=str(10**15)
    ) as app:
        yield app


def test_catastrophic_regex_answers_and_others_too(served: Served) -> None:
    redos = InBackground(served, "/series", {"q": REDOS})
    assert served.get("/series", {"q": "acme"}, timeout=GENEROUS).status == 200
    assert served.get("/render", NORMAL, timeout=GENEROUS).status == 200
    answer = redos.answer()
    assert answer.status == 200
    assert json.loads(answer.body)["total"] == 0
    found = json.loads(served.get("/series", {"q": "re:^(([a-z0-9/]+)+)+p$"}).body)
    assert [s["name"] for s in found["series"]] == [LONG_NAME]


def test_slow_graph_is_stopped_at_the_deadline_and_holds_nobody(served: Served) -> None:
    slow = InBackground(served, "/render", SLOW)
    for _ in range(3):
        normal = served.get("/render", NORMAL, timeout=GENEROUS)
        assert normal.status == 200
        assert normal.headers["content-type"] == "image/png"
    answer = slow.answer()
    assert answer.status == 504
    assert "longer than 3 s" in answer.headers["x-graphmetrics-error"]
    assert answer.headers["content-type"] == "image/png"
    # its worker was replaced: both workers draw again
    both = [InBackground(served, "/render", {**NORMAL, "width": str(w)}) for w in (300, 301)]
    assert [b.answer().status for b in both] == [200, 200]
