"""The fixture chain itself: testing.ini's settings, the folder's data, a clean environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyramid.testing import DummyRequest
from webtest import TestApp

from graphmetrics.web.config import WebSettings


def test_settings_are_testing_ini_on_the_folders_data(
    app_settings: dict[str, Any], tracelog_rrds: Path, tmp_path: Path
) -> None:
    assert app_settings["auth_secret"] == "testing-secret"
    assert app_settings["rrd_dir"] == str(tracelog_rrds)
    assert app_settings["db_url"] == f"sqlite:///{tmp_path}/saved.sqlite"


def test_no_graphmetrics_variable_reaches_the_tests() -> None:
    assert [key for key in os.environ if key.startswith("GRAPHMETRICS_")] == []


def test_a_variable_the_test_sets_still_wins(
    make_app: Callable[..., TestApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHMETRICS_DEV_LOGIN", "false")
    make_app().get("/login?user=alice", status=403)


def test_dummy_request_carries_the_apps_registry(
    dummy_request: DummyRequest, tracelog_rrds: Path
) -> None:
    web: WebSettings = dummy_request.registry.settings["graphmetrics"]
    assert web.rrd_dir == tracelog_rrds
