"""The Graphite evaluator's limits: RE2 for regular expressions, each sub-expression
computed once, a request's calls and points counted (issue 20's N1, N2)."""

from __future__ import annotations

import time

import pytest

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.limits import Budget, TooMuch
from graphmetrics.graphite.regex import compile_pattern, substitute
from graphmetrics.graphite.series import Series

NOW = 1_700_000_000


class CountingFetch:
    """Series for a path, one point a minute, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, pattern: str, start: int, end: int, now: int) -> list[Series]:
        self.calls += 1
        first = start - start % 60 + 60
        values = [float(i) for i in range((end - first) // 60 + 1)]
        return [Series(pattern, first, end, 60, values, path_expression=pattern)]


def run(target: str, budget: Budget | None = None) -> tuple[list[Series], CountingFetch]:
    fetch = CountingFetch()
    ctx = Context(NOW - 3600, NOW, NOW, fetch, budget=budget or Budget())
    return evaluate_target(ctx, parse_target(target)), fetch


def nested(func: str, arg: str, depth: int) -> str:
    target = "a.b"
    for _ in range(depth):
        target = f"{func}({target},{arg})"
    return target


def test_alias_sub_catastrophic_pattern_is_linear() -> None:
    """N1: ``(a+)+b`` on 27 ``a`` took Python's re 8 s; RE2 answers at once."""
    target = f'aliasSub(alias(a.b,"{"a" * 27}"),"(a+)+b","x")'
    began = time.monotonic()
    series, _ = run(target)
    assert time.monotonic() - began < 0.5
    assert series[0].name == "a" * 27


def test_alias_sub_replaces_with_groups() -> None:
    series, _ = run(r'aliasSub(a.b,"(\w+)\.(\w+)","\2-\1")')
    assert series[0].name == "b-a"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (r'aliasSub(a.b,"(a)\1","x")', "RE2 syntax"),
        ('aliasSub(a.b,"(?=a)","x")', "RE2 syntax"),
        (r'aliasSub(a.b,"(a)","\3")', "bad replacement"),
        (f'aliasSub(a.b,"{"a" * 1001}","x")', "longer than 1000"),
    ],
)
def test_alias_sub_refuses_what_re2_cannot_do(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        run(target)


def test_compile_pattern_api() -> None:
    pattern = compile_pattern("^db[0-9]+", "grep")
    assert pattern.search("db12.load") and not pattern.search("web1.load")
    assert compile_pattern("DB", "grep", ignore_case=True).search("db1")
    assert substitute(compile_pattern("(x)", "aliasSub"), r"<\1>", "axb", "aliasSub") == "a<x>b"


@pytest.mark.parametrize("func,arg", [("timeShift", '"1h"'), ("movingAverage", '"5min"')])
def test_nested_shifts_fetch_linearly(func: str, arg: str) -> None:
    """N2: each level evaluated its argument twice, 2^depth fetches; now one per range."""
    series, fetch = run(nested(func, arg, 15))
    assert len(series) == 1
    assert fetch.calls <= 16


def test_repeated_sub_expression_is_fetched_once_and_not_shared() -> None:
    series, fetch = run('group(alias(a.b,"one"),alias(a.b,"two"),a.b)')
    assert fetch.calls == 1
    assert [s.name for s in series] == ["one", "two", "a.b"]


def test_call_budget_refuses_deep_targets() -> None:
    with pytest.raises(TooMuch, match="function calls"):
        run(nested("timeShift", '"1h"', 40), Budget(max_calls=200))


def test_point_budget_counts_before_the_work() -> None:
    budget = Budget(max_points=100)
    budget.charge_points(60, "a.*")
    with pytest.raises(TooMuch, match="about 60 points"):
        budget.charge_points(60, "b.*")
    assert budget.points == 60
