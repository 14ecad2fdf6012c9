"""/graphite/functions against graphite-web's own function metadata (group, params)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from graphmetrics.graphite.evaluator import FUNCTIONS
from tests.functional.graphite.conftest import Pair

# graphite-web's functions that need its tag database, which graphmetrics has not
TAG_FUNCTIONS = {"seriesByTag", "groupByTags", "aliasByTags"}


@pytest.fixture(scope="module")
def reference(pair: Pair) -> dict[str, Any]:
    return dict(pair.graphite.ask({"functions": True}))


def _normal(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options as sorted lists, infinite defaults as graphite-web's 1e9999."""
    out = []
    for p in params:
        p = dict(p)
        if "options" in p:
            p["options"] = sorted(map(str, p["options"]))
        if isinstance(p.get("default"), float) and math.isinf(p["default"]):
            p["default"] = 1e9999
        out.append(p)
    return out


def test_every_function_has_graphite_webs_group_and_params(
    pair: Pair, reference: dict[str, Any]
) -> None:
    listed = pair.ours.get("/graphite/functions").json
    assert set(listed) == set(FUNCTIONS)
    wrong = {
        name: (info["group"], info["params"], reference[name])
        for name, info in listed.items()
        if name in reference
        and (
            info["group"] != reference[name]["group"]
            or _normal(info["params"]) != _normal(reference[name]["params"])
        )
    }
    assert not wrong, json.dumps(sorted(wrong), indent=1, default=str)
    assert not set(listed) - set(reference), "functions graphite-web does not have"
    assert set(reference) - set(listed) == TAG_FUNCTIONS, "graphite-web functions missing"
    assert len(listed) == 148


def test_functions_answer_is_strict_json(pair: Pair) -> None:
    """No ``Infinity``/``NaN`` anywhere (graphite-web leaves one before a ``}``)."""
    res = pair.ours.get("/graphite/functions", {"grouped": "1"})

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in /graphite/functions")

    json.loads(res.text, parse_constant=refuse)  # type: ignore[arg-type]
    assert res.json["Special"]["constantLine"]["params"] == [
        {"name": "value", "type": "float", "required": True}
    ]


def test_coverage_of_graphite_web(reference: dict[str, Any]) -> None:
    """Which of graphite-web's non-tag functions are still missing (for the report)."""
    missing = sorted(set(reference) - TAG_FUNCTIONS - set(FUNCTIONS))
    print(
        f"\n{len(set(reference) - TAG_FUNCTIONS) - len(missing)} of "
        f"{len(set(reference) - TAG_FUNCTIONS)} functions; missing: {missing}"
    )
