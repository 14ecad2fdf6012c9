"""``/graphite/functions`` against graphite-web's own metadata for the Combine,
Transform and Calculate groups: same names, groups and parameters."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.evaluator import FUNCTIONS
from graphmetrics.graphite.grammar import Call, Node, parse_target
from tests.functional.graphite import test_compare_functions as functions
from tests.functional.graphite import test_compare_graphite_web as first
from tests.functional.graphite.conftest import GRAPHITE_PYTHON

SCRIPT = Path(__file__).with_name("graphite_functions.py")
GROUPS = ("Combine", "Transform", "Calculate")
TAG_FUNCTIONS = {"groupByTags"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = subprocess.run(
        [GRAPHITE_PYTHON, str(SCRIPT), str(tmp_path_factory.mktemp("graphite"))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    info: dict[str, Any] = json.loads(out.stdout)
    return {
        name: data
        for name, data in info.items()
        if data["group"] in GROUPS and name not in TAG_FUNCTIONS
    }


def _plain(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for param in params:
        param = dict(param)
        default = param.get("default")
        if isinstance(default, float) and math.isinf(default):
            param["default"] = "inf"
        if "options" in param:
            param["options"] = sorted(map(str, param["options"]))
        result.append(param)
    return result


def test_every_function_of_the_three_groups_is_there(reference: dict[str, Any]) -> None:
    assert len(reference) == 86
    missing = sorted(set(reference) - set(FUNCTIONS))
    assert missing == []
    assert {n: FUNCTIONS[n].group for n in reference} == {
        n: d["group"] for n, d in reference.items()
    }


def test_parameters_match_graphite_web(reference: dict[str, Any]) -> None:
    differences = {}
    for name, data in sorted(reference.items()):
        ours = _plain(FUNCTIONS[name].json()["params"])
        theirs = _plain(data["params"])
        if ours != theirs:
            differences[name] = (ours, theirs)
    assert differences == {}


def _called(node: Node, names: set[str]) -> set[str]:
    if isinstance(node, Call):
        names.add(node.name)
        for arg in (*node.args, *(value for _, value in node.kwargs)):
            _called(arg, names)
    return names


def test_every_function_is_compared_with_graphite_web(reference: dict[str, Any]) -> None:
    targets = [
        *functions.COMBINE,
        *functions.TRANSFORM,
        *functions.CALCULATE,
        *functions.HOLT_WINTERS,
        *(target for _, target in functions.WITH_PARAMS),
        *first.TARGETS,
    ]
    called: set[str] = set()
    for target in targets:
        _called(parse_target(target), called)
    assert sorted(set(reference) - called) == []
