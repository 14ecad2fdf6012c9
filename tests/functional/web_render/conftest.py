"""The real app through WebTest over real RRD files with known values.

Data (written through :class:`RRDStore`, the collectors' writer), minute ``i`` =
``T0 + 60*i`` for i in 1..120:

* ``tracelog/app1__acme__inst1``: rpm=i, epm=i%3, bl=5, spr=200, start=1 at i=1;
  every DS unknown at minute 50
* ``tracelog/app2__acme__inst2``: rpm=2i, spr=400, others 0
* ``metrics/host.example/cfg/section/metric`` (step 300): k*10 at ``T0 + 300*k``,
  k in 1..24

/render and /series need a signed-in user: :func:`make_app` signs its client in
through ``/login?user=`` (:func:`anonymous_app` does not).  Both are the chain of
``tests/conftest.py`` (:mod:`tests.webapp`): testing.ini's settings on ``rrd_dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import webtest

from graphmetrics.rrd.schema import METRICS, TRACELOG
from graphmetrics.rrd.store import RRDStore
from tests.webapp import sign_in, signed_in_app, testapp, testing_settings

T0 = 1_700_000_000 // 3600 * 3600  # 2023-11-14T22:00:00Z, aligned for every RRA
INST1 = "tracelog/app1__acme__inst1"
INST2 = "tracelog/app2__acme__inst2"
METRIC = "metrics/host.example/cfg/section/metric"
UNKNOWN_MINUTE = 50


def minute(i: int) -> int:
    return T0 + 60 * i


def write_data(store: RRDStore) -> None:
    inst1 = [
        (minute(i), [None] * 5 if i == UNKNOWN_MINUTE else [i, i % 3, 5, 200, int(i == 1)])
        for i in range(1, 121)
    ]
    store.write(INST1, TRACELOG, inst1)
    store.write(INST2, TRACELOG, [(minute(i), [2 * i, 0, 0, 400, 0]) for i in range(1, 121)])
    store.write(METRIC, METRICS, [(T0 + 300 * k, [k * 10]) for k in range(1, 25)])


@pytest.fixture
def data_dir(rrd_dir: Path) -> Path:
    write_data(RRDStore(rrd_dir))
    return rrd_dir


@pytest.fixture
def app_rrd_dir(data_dir: Path) -> Path:
    return data_dir


USER = "renderer"


def anonymous_app(rrd_dir: Path, **settings: Any) -> webtest.TestApp:
    """The app on ``rrd_dir`` with a client nobody signed in."""
    return testapp(testing_settings(rrd_dir=str(rrd_dir), **settings))


def make_app(rrd_dir: Path, **settings: Any) -> webtest.TestApp:
    """The app on ``rrd_dir``, its client signed in through the real development login."""
    return signed_in_app(rrd_dir, USER, **settings)


@pytest.fixture
def app(app_settings: dict[str, Any]) -> webtest.TestApp:
    """The chain's app on :func:`data_dir`, its client signed in."""
    return sign_in(testapp(app_settings), USER)
