"""Dashboard variables a page declares: saved with the page, their values from the
series names (``GET /api/variables/values``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.functional.web_app.conftest import Browser

SignIn = Callable[[str], Browser]
VALUES = "/api/variables/values"
METRICS = (
    "prod/web/cpu",
    "prod/web/mem",
    "prod/db/cpu",
    "dev/web/cpu",
    "dev/cache/cpu",
)
ENV_SERVICE = [
    {"name": "env", "pattern": "metrics/$env/*"},
    {"name": "service", "pattern": "metrics/$env/$service/*"},
]


@pytest.fixture
def app_rrd_dir(tracelog_rrds: Path, tmp_path: Path) -> Path:
    """The tracelog files, and metrics series under ``metrics/<env>/<service>/``
    (the index lists names only: the files need no data)."""
    root = tmp_path / "rrd"
    shutil.copytree(tracelog_rrds / "tracelog", root / "tracelog")
    for name in METRICS:
        path = root / "metrics" / f"{name}.rrd"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return root


def test_a_page_keeps_its_variables_until_a_save_names_others(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    url = alice.page_api()
    page = alice.get(url).json
    assert page["variables"] == []
    saved = alice.put(
        url, {"generation": page["generation"], "graphs": [], "variables": ENV_SERVICE}
    ).json
    assert saved["variables"] == ENV_SERVICE
    assert alice.get(url).json["variables"] == ENV_SERVICE
    # a save without "variables" (the graphs changed) keeps them
    again = alice.put(url, {"generation": saved["generation"], "graphs": []}).json
    assert again["variables"] == ENV_SERVICE
    # stale generation: still 409, nothing changed
    res = alice.put(
        url, {"generation": saved["generation"], "graphs": [], "variables": []}, status=409
    )
    assert res.json["generation"] == again["generation"]
    cleared = alice.put(url, {"generation": again["generation"], "graphs": [], "variables": []})
    assert cleared.json["variables"] == []


def test_a_copy_of_a_page_has_its_variables(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    page = alice.get(alice.page_api()).json
    alice.put(
        alice.page_api(), {"generation": page["generation"], "graphs": [], "variables": ENV_SERVICE}
    )
    bob = signed_in("bob")
    copy = bob.post(alice.page_api() + "/clone", {"name": "envs"}, status=201).json
    assert copy["variables"] == ENV_SERVICE


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({}, "variables must be a list"),
        ([{"name": "env", "pattern": "metrics/$env/*"}] * 11, "variables: at most 10 variables"),
        (["env"], "variables[0] must be an object"),
        ([{"name": "Env", "pattern": "metrics/$Env/*"}], "variables[0].name: 'Env' is not"),
        ([{"name": "e" * 32, "pattern": "x"}], "variables[0].name:"),
        ([{"name": "env", "pattern": "metrics/$env/*", "regex": "x"}], "unknown key 'regex'"),
        (
            [{"name": "env", "pattern": "metrics/$env/*"}, {"name": "env", "pattern": "$env"}],
            "variables[1].name: 'env' is declared twice",
        ),
        ([{"name": "env", "pattern": "metrics/*"}], "variables[0].pattern: must use $env once"),
        ([{"name": "env", "pattern": "$env/$env"}], "(it is used 2 times)"),
        ([{"name": "env", "pattern": 3}], "variables[0].pattern: must be a series glob"),
        ([{"name": "env", "pattern": "m/$env/" + "x" * 200}], "longer than 200"),
        (
            [{"name": "service", "pattern": "metrics/$env/$service"}, *ENV_SERVICE[:1]],
            "variables[0].pattern: '$env/$service' names no variable it may use",
        ),
        ([{"name": "env", "pattern": "metrics/$env/$"}], "variables[0].pattern: '$'"),
        (
            [{"name": "env", "pattern": "metrics/[$env]/*"}],
            "variables[0].pattern: a variable cannot be inside [...]",
        ),
    ],
)
def test_bad_variables_are_400_saying_which(signed_in: SignIn, variables: Any, reason: str) -> None:
    alice = signed_in("alice")
    url = alice.page_api()
    generation = alice.get(url).json["generation"]
    res = alice.put(
        url, {"generation": generation, "graphs": [], "variables": variables}, status=400
    )
    assert reason in res.json["error"], res.json
    assert alice.get(url).json["generation"] == generation


def test_values_of_a_variable_chained_to_the_one_before(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    envs = alice.get(VALUES, params={"pattern": "metrics/$env/*", "name": "env"})
    assert envs.json == {"values": ["dev", "prod"], "truncated": False}
    assert envs.headers["Cache-Control"] == "private, no-cache"
    chained = {"pattern": "metrics/$env/${service}/*", "name": "service"}
    prod = alice.get(VALUES, params={**chained, "var-env": "prod"}).json
    assert prod == {"values": ["db", "web"], "truncated": False}
    dev = alice.get(VALUES, params={**chained, "var-env": "dev"}).json
    assert dev["values"] == ["cache", "web"]
    anywhere = alice.get(VALUES, params={**chained, "var-env": ""}).json
    assert anywhere["values"] == ["cache", "db", "web"]
    assert alice.get(VALUES, params={**chained, "var-env": "qa"}).json["values"] == []


def test_the_builtin_variables_values_are_the_tracelog_files(signed_in: SignIn) -> None:
    alice = signed_in("alice")
    customers = alice.get(
        VALUES, params={"pattern": "tracelog/*__$customer__*", "name": "customer"}
    )
    assert customers.json["values"] == ["acme", "beta"]
    hosts = alice.get(VALUES, params={"pattern": "tracelog/$host__*__*", "name": "host"}).json
    assert hosts["values"] == ["app1", "app2", "app3"]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"name": "env"}, "pattern: missing"),
        ({"pattern": "metrics/$env/*"}, "name: missing or not a variable name"),
        ({"pattern": "metrics/$env/*", "name": "Env"}, "name: missing"),
        ({"pattern": "metrics/*", "name": "env"}, "pattern: must use $env exactly once"),
        ({"pattern": "metrics/$env/$svc", "name": "svc"}, "'$env/$svc' names no variable"),
        (
            {"pattern": "metrics/$env/$svc", "name": "svc", "var-env": "a/b"},
            "var-env: a value is one path segment",
        ),
        ({"pattern": "m/$e/*", "name": "e", "var-E": "x"}, "var-E: not a variable name"),
        ({"pattern": "m/$e/*", "name": "e", "var-": "x"}, "var-: not a variable name"),
        ({"pattern": "m/$env/" + "x" * 200, "name": "env"}, "pattern: longer than 200"),
        ({"pattern": "m/$env\x00", "name": "env"}, "pattern: one line of printable characters"),
        ({"pattern": "m/[!$env]", "name": "env"}, "pattern: a variable cannot be inside [...]"),
    ],
)
def test_bad_value_requests_are_400_saying_which_parameter(
    signed_in: SignIn, params: dict[str, str], reason: str
) -> None:
    res = signed_in("alice").get(VALUES, params=params, status=400)
    assert reason in res.json["error"], res.json


def test_values_need_signing_in(make_app: Callable[..., Any]) -> None:
    app = make_app()
    res = app.get(VALUES, params={"pattern": "metrics/$env/*", "name": "env"}, expect_errors=True)
    assert res.status_int in (401, 403)
    assert "values" not in res.text
