"""Dashboard variables: declarations checked (saved.variables), values read from
series names (web.variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from graphmetrics.saved.accounts import InvalidInput
from graphmetrics.saved.db import upgrade
from graphmetrics.saved.services import SavedGraphService
from graphmetrics.saved.variables import Variable, parse_variables, split_pattern
from graphmetrics.web.series_index import Names, compile_query
from graphmetrics.web.variables import candidate_glob, check_globs, value_regex, variable_values
from tests.helpers import database_at, migrate

SERIES = [
    "metrics/prod/web/cpu",
    "metrics/prod/web/mem",
    "metrics/prod/db/cpu",
    "metrics/dev/web/cpu",
    "metrics/dev.eu/cache/cpu",
    "metrics/prod/web",  # no third level: not a $service's series
    "tracelog/app1__acme__inst1",
    "tracelog/app2__beta__inst1",
    "tracelog/app2__acme__inst2",
]


def index(names: list[str]) -> Names:
    return Names(sorted(names))


def values(
    pattern: str, name: str, given: dict[str, str] | None = None, **kw: int
) -> dict[str, Any]:
    names = index(SERIES)
    return variable_values(
        lambda q: names.matching(compile_query(q)), pattern, name, given or {}, **kw
    )


def test_declarations_in_order_each_using_those_before() -> None:
    found = parse_variables(
        [
            {"name": "env", "pattern": "metrics/$env/*"},
            {"name": "service", "pattern": "metrics/${env}/$service/*"},
        ]
    )
    assert found == [
        Variable("env", "metrics/$env/*"),
        Variable("service", "metrics/${env}/$service/*"),
    ]
    assert parse_variables([]) == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("env", "variables must be a list"),
        ([{"name": "1env", "pattern": "$1env"}], "variables[0].name: '1env' is not a variable"),
        ([{"name": "env"}], "variables[0].pattern: must be a series glob using $env"),
        ([{"name": "env", "pattern": "  "}], "variables[0].pattern: must be a series glob"),
        ([{"name": "env", "pattern": "a/$env\nb"}], "variables[0].pattern: a pattern is one line"),
        ([{"name": "env", "pattern": "a/$env\x00"}], "one line of printable characters"),
        (
            [{"name": "a", "pattern": "m/$a/*"}, {"name": "b", "pattern": "m/$c/$b"}],
            "variables[1].pattern: '$c/$b' names no variable it may use (here: $a, $b)",
        ),
        (
            [{"name": "b", "pattern": "m/$a/$b"}, {"name": "a", "pattern": "m/$a"}],
            "variables[0].pattern: '$a/$b' names no variable",
        ),
    ],
)
def test_bad_declarations_say_which_and_why(items: object, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_variables(items)
    assert message in str(exc.value)


def test_a_reference_is_the_longest_name_known_or_braced() -> None:
    # the tracelog stems' "__" follows the name: $customer, not $customer__inst1
    assert split_pattern("tracelog/app1__$customer__inst1", ["customer", "host"]) == [
        "tracelog/app1__",
        ("customer",),
        "__inst1",
    ]
    assert split_pattern("m/$envx", ["env", "envx"]) == ["m/", ("envx",)]
    assert split_pattern("m/${env}x", ["env", "envx"]) == ["m/", ("env",), "x"]
    with pytest.raises(InvalidInput, match="'\\$\\{envx\\}' names no variable"):
        split_pattern("m/${envx}", ["env"])


def test_values_are_the_distinct_matches_sorted() -> None:
    assert values("metrics/$env/*", "env") == {
        "values": ["dev", "dev.eu", "prod"],
        "truncated": False,
    }
    # the whole name: prod/web alone has no third segment, but prod/web/* do
    assert values("metrics/prod/$service/*", "service") == {
        "values": ["db", "web"],
        "truncated": False,
    }


def test_chained_values_follow_the_earlier_variables_value() -> None:
    pattern = "metrics/$env/$service/*"
    assert values(pattern, "service", {"env": "prod"})["values"] == ["db", "web"]
    assert values(pattern, "service", {"env": "dev"})["values"] == ["web"]
    # a value is text, not a glob: "dev.eu" is not "dev/eu" nor "devXeu"
    assert values(pattern, "service", {"env": "dev.eu"})["values"] == ["cache"]
    assert values(pattern, "service", {"env": "*"})["values"] == []
    assert values(pattern, "service", {"env": ""})["values"] == ["cache", "db", "web"]


def test_the_builtins_read_the_tracelog_stems() -> None:
    # the patterns of static/js/variables.js's BUILTINS
    assert values("tracelog/*__$customer__*", "customer")["values"] == ["acme", "beta"]
    assert values("tracelog/$host__*__*", "host")["values"] == ["app1", "app2"]


def test_values_are_bounded() -> None:
    names = index([f"metrics/env{i:04d}/cpu" for i in range(1500)])
    found = variable_values(lambda q: names.matching(compile_query(q)), "metrics/$env/*", "env", {})
    assert found["truncated"] is True
    assert len(found["values"]) == 1000
    assert found["values"][:2] == ["env0000", "env0001"]
    few = values("metrics/$env/*", "env", limit=2)
    assert few == {"values": ["dev", "dev.eu"], "truncated": True}
    assert values("metrics/$env/*", "env", limit=3)["truncated"] is False


def test_one_cached_glob_serves_every_choice() -> None:
    assert candidate_glob("metrics/$env/${service}/*", ["env", "service"]) == "metrics/*/*/*"
    assert value_regex("m/$a/$b", "b", {"a": "x.y"}) == "^(?:[^/]*/)?(?s:m/)x\\.y(?s:/)([^/]+?)$"


def test_a_variable_inside_a_set_of_characters_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"variables\[1\].pattern: a variable cannot be inside"):
        check_globs([Variable("env", "m/$env/*"), Variable("x", "m/$env/[$x]")])
    check_globs([Variable("env", "m/[ab]$env/[!x]*"), Variable("x", "m/$env/[/$x")])
    assert values("metrics/[pd]$env/*", "env") == {
        "values": ["ev", "ev.eu", "rod"],
        "truncated": False,
    }


def test_0005_gives_every_page_no_variables_and_keeps_its_graphs(tmp_path: Path) -> None:
    engine, cfg = database_at(tmp_path / "old.sqlite", "0004_user_identity")
    with engine.begin() as db:
        db.execute(text("INSERT INTO users (id, name, created) VALUES (1, 'al', '2026-01-01')"))
        db.execute(
            text(
                "INSERT INTO pages (id, user_id, section, name, position, generation, updated)"
                " VALUES (7, 1, 'metrics', 'default', 0, 3, '2026-01-01')"
            )
        )
        db.execute(
            text(
                "INSERT INTO graphs (page_id, position, definition, view) VALUES (7, 0, '{}', '{}')"
            )
        )
    upgrade(engine)
    with Session(engine) as session:
        page = SavedGraphService(session).page("al", "metrics", "default")
        assert page is not None
        assert (page.variables, page.generation, len(page.graphs)) == ([], 3, 1)
    migrate(engine, cfg, "0004_user_identity", down=True)
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM graphs")).scalar() == 1
        columns = [row[1] for row in db.execute(text("PRAGMA table_info(pages)"))]
        assert "variables" not in columns
    engine.dispose()
