"""Light jobs in the render pool: done here on this process's turn, else by an idle
light worker, waiting for whichever comes free first (graphmetrics.render.renderpool)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from graphmetrics.render.admission import RenderBusy
from graphmetrics.render.renderpool import RenderPool, Task


@pytest.fixture
def pool() -> Iterator[RenderPool]:
    pool = RenderPool(1, 5)
    assert pool.call(Task(len, ("ready",)), heavy=False) == 5  # its one worker started
    yield pool
    pool.close()


def test_with_this_process_busy_light_jobs_queue_for_the_worker(pool: RenderPool) -> None:
    turn = threading.Lock()
    turn.acquire()  # this process's turn taken for the whole test
    here: list[int] = []
    with ThreadPoolExecutor(3) as crowd:
        answers = list(
            crowd.map(
                lambda i: pool.light(turn, lambda: here.append(i), Task(abs, (-i,))), [1, 2, 3]
            )
        )
    assert answers == [1, 2, 3] and here == []


def test_a_turn_given_back_is_taken_by_a_waiting_job(pool: RenderPool) -> None:
    turn = threading.Lock()
    turn.acquire()
    with ThreadPoolExecutor(2) as crowd:
        busy = crowd.submit(pool.light, turn, lambda: "here", Task(time.sleep, (1.0,)))
        time.sleep(0.2)  # the worker is taken
        waiting = crowd.submit(pool.light, turn, lambda: "here", Task(abs, (-1,)))
        time.sleep(0.1)
        began = time.monotonic()
        turn.release()
        assert waiting.result(5) == "here"
        assert time.monotonic() - began < 0.5  # not after the worker's second
        assert busy.result(5) is None


def test_nothing_free_by_the_deadline_is_busy(pool: RenderPool) -> None:
    turn = threading.Lock()
    turn.acquire()
    with ThreadPoolExecutor(1) as other:
        busy = other.submit(pool.light, turn, lambda: "here", Task(time.sleep, (1.0,)))
        time.sleep(0.2)  # the worker is taken (under the 5 s deadline)
        pool.deadline = 0.3
        began = time.monotonic()
        with pytest.raises(RenderBusy, match="within 0.3 s"):
            pool.light(turn, lambda: "here", Task(abs, (-1,)))
        assert time.monotonic() - began < 0.6
        assert busy.result(5) is None
