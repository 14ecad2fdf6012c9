"""Admission of heavy render work: slots, a short queue, a share per user; and the
render workers' memory cap."""

from __future__ import annotations

import threading
import time

import pytest

from graphmetrics.render.admission import Admission, RenderBusy
from graphmetrics.render.renderpool import RenderPool, RenderTooLarge, Task


def test_a_users_share_and_the_queue_refuse_at_once() -> None:
    admission = Admission(slots=1, queue=1, per_user=1)
    until = time.monotonic() + 5
    with admission.heavy("ann", until):
        began = time.monotonic()
        with (
            pytest.raises(RenderBusy, match="1 heavy graphs") as mine,
            admission.heavy("ann", until),
        ):
            pass
        assert mine.value.retry_after == 5
        waiter = threading.Thread(target=lambda: _hold(admission, "bob", until))
        waiter.start()
        _until(lambda: admission.waiting == 1)
        with pytest.raises(RenderBusy, match="1 waiting") as full, admission.heavy("cy", until):
            pass
        assert full.value.retry_after == 2
        assert time.monotonic() - began < 1
    waiter.join(5)
    assert (admission.running, admission.waiting, admission.refused) == (0, 0, 2)


def test_a_waiting_job_gives_up_at_its_deadline() -> None:
    admission = Admission(slots=1, queue=4, per_user=4)
    with (
        admission.heavy("ann", time.monotonic() + 5),
        pytest.raises(RenderBusy, match="came free in time"),
        admission.heavy("bob", time.monotonic() + 0.1),
    ):
        pass
    with admission.heavy("bob", time.monotonic() + 0.1):
        assert admission.running == 1


def _hold(admission: Admission, user: str, until: float) -> None:
    with admission.heavy(user, until):
        pass


def _until(condition: object, seconds: float = 5) -> None:
    end = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_a_worker_past_its_memory_cap_is_a_413_and_is_replaced() -> None:
    pool = RenderPool(1, 30, memory=512 * 2**20)
    try:
        with pytest.raises(RenderTooLarge, match="more than 512 MiB"):
            pool.call(Task(bytearray, (1 << 30,)))
        assert pool.call(Task(len, ("abc",))) == 3
        assert pool.started == 2
    finally:
        pool.close()
