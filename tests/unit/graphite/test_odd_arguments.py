"""Every Combine/Transform/Calculate function with odd arguments of each parameter's
type (zero, negative, huge, infinite, empty lists, bad names): series or a
TargetError, never another exception (which would be a 500)."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from graphmetrics.graphite.evaluator import FUNCTIONS
from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.store import render

SAMPLES = {
    "seriesList": ["a.*", "empty.x", "nothing", "group(a.x,c.x)", "counter.x"],
    "seriesLists": ["mapSeries(a.*,0)", "a.*"],
    "float": ["0", "-1", "2.5", "1e308", "inf", "-inf"],
    "integer": ["0", "-3", "1", "1000000000"],
    "string": ["'x'", "'%.x'", "'1h'", "'days'", "''"],
    "interval": ["'1h'", "'-5min'", "'0s'", "'x'", "'1y'"],
    "intOrInterval": ["0", "3", "-2", "'5min'", "'0s'", "1000000000"],
    "intOrInf": ["0", "2", "inf", "-1"],
    "boolean": ["true", "false"],
    "node": ["0", "-1", "5"],
    "nodeOrTag": ["0", "-1", "'name'", "7"],
    "aggFunc": ["'sum'", "'median'", "'multiply'", "'bogus'"],
    "aggOrSeriesFunc": ["'sum'", "'sumSeries'", "'asPercent'", "'sumSeriesLists'"],
    "date": ["'now-1h'", "'bogus'", "'1700000000'", "1"],
    "any": ["None", "2", "a.x", "b.*"],
}
GROUPS = ("Combine", "Transform", "Calculate")
NAMES = sorted(n for n, f in FUNCTIONS.items() if f.group in GROUPS)
PER_FUNCTION = 40


@pytest.mark.parametrize("name", NAMES)
def test_odd_arguments(name: str) -> None:
    choices = [SAMPLES[p.type] for p in FUNCTIONS[name].params]
    for args in itertools.islice(itertools.product(*choices), PER_FUNCTION):
        target = f"{name}({','.join(args)})"
        with contextlib.suppress(TargetError):
            render(target)
