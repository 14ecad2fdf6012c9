"""Filter Series and Filter Data: which series stay, which points become null."""

from __future__ import annotations

import pytest

from graphmetrics.graphite.grammar import TargetError
from tests.unit.graphite.samples import N, names, run


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("currentAbove(a.*.*,2)", ["a.b.one", "a.c.three"]),  # the last known value
        ("currentBelow(a.*.*,2)", ["a.b.two", "a.c.empty"]),  # no value passes "<="
        ("averageAbove(a.*.*,2)", ["a.b.one", "a.c.three"]),
        ("averageBelow(a.*.*,2)", ["a.b.two", "a.c.empty"]),
        ("maximumAbove(a.*.*,4)", ["a.c.three"]),
        ("maximumBelow(a.*.*,4)", ["a.b.one", "a.b.two", "a.c.empty"]),
        ("minimumAbove(a.*.*,0)", ["a.b.one", "a.c.three"]),
        ("minimumBelow(a.*.*,0)", ["a.b.two", "a.c.empty"]),
        ("filterSeries(a.*.*,'sum','=',10)", ["a.b.one"]),
        ("filterSeries(a.*.*,'count','>=',3)", ["a.b.one", "a.b.two"]),
        ("filterSeries(a.*.*,'max','!=',4)", ["a.c.empty", "a.c.three"]),
        ("grep(a.*.*,'^a\\.c')", ["a.c.empty", "a.c.three"]),
        ("exclude(a.*.*,'(?i)ONE|two')", ["a.c.empty", "a.c.three"]),
        ("limit(a.*.*,2)", ["a.b.one", "a.b.two"]),
        ("removeEmptySeries(a.*.*)", ["a.b.one", "a.b.two", "a.c.three"]),
        ("removeEmptySeries(a.*.*,0.75)", ["a.b.one", "a.b.two"]),
        ("unique(a.b.*,a.*.one,a.c.three)", ["a.b.one", "a.b.two", "a.c.three"]),
        ("fallbackSeries(no.such.series,x.*.z)", ["x.y10.z", "x.y2.z"]),
        ("fallbackSeries(a.b.one,x.*.z)", ["a.b.one"]),
        ("highest(a.*.*,2)", ["a.c.three", "a.b.one"]),
        ("highest(a.*.*,1,'current')", ["a.c.three"]),
        ("lowest(a.*.*,2)", ["a.c.empty", "a.b.two"]),  # no value ranks lowest
        ("highestCurrent(a.*.*,1)", ["a.c.three"]),
        ("highestMax(a.*.*,1)", ["a.c.three"]),
        ("highestAverage(a.*.*,1)", ["a.c.three"]),
        ("lowestCurrent(a.b.*,1)", ["a.b.two"]),
        ("lowestAverage(a.b.*,1)", ["a.b.two"]),
        ("highest(a.*.*,-1)", []),
        ("mostDeviant(a.*.*,2)", ["a.b.two", "a.b.one"]),
        ("averageOutsidePercentile(x.*.z,75)", ["x.y10.z", "x.y2.z"]),
        # graphite-web fails on a series without an average; it is outside here
        ("averageOutsidePercentile(a.*.*,90)", ["a.b.two", "a.c.empty", "a.c.three"]),
        ("removeBetweenPercentile(x.*.z,70)", ["x.y10.z", "x.y2.z"]),
        ("useSeriesAbove(a.b.*,3,'b\\.one','c.three')", ["a.c.three", "a.b.two"]),
    ],
)
def test_which_series_stay(target: str, expected: list[str]) -> None:
    assert names(target) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("removeAboveValue(a.b.one,2)", ("removeAboveValue(a.b.one, 2)", [1.0, 2.0, N, N])),
        ("removeBelowValue(a.b.two,1)", ("removeBelowValue(a.b.two, 1)", [4.0, N, N, 2.0])),
        ("removeAbovePercentile(a.b.one,50)", ("removeAbovePercentile(a.b.one, 50)", [1, 2, 3, N])),
        ("removeBelowPercentile(a.b.one,50)", ("removeBelowPercentile(a.b.one, 50)", [N, N, 3, 4])),
        ("removeAbovePercentile(a.c.empty,50)", ("removeAbovePercentile(a.c.empty, 50)", [N] * 4)),
        ("removeBelowValue(a.b.one,2.5)", ("removeBelowValue(a.b.one, 2.5)", [N, N, 3.0, 4.0])),
    ],
)
def test_which_points_become_null(target: str, expected: tuple[str, list[float | None]]) -> None:
    assert run(target) == [expected]


def test_use_series_above_ignores_nulls() -> None:
    """graphite-web's ``max(series)`` fails on a null; here nulls are skipped."""
    assert names("useSeriesAbove(a.b.two,3,'two','one')") == ["a.b.one"]
    assert names("useSeriesAbove(a.c.empty,0,'c','b')") == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "grep(a.*.*,'(')",
            "grep: bad regular expression '(': missing ): ( (RE2 syntax: no backreferences",
        ),
        ("exclude(a.*.*,'(a)\\1')", "exclude: bad regular expression"),
        ("grep(a.*.*,'" + "a" * 1001 + "')", "longer than 1000 characters"),
        ("filterSeries(a.*.*,'max','~',1)", "operator must be one of"),
        ("highest(a.*.*,1,'nonsense')", "func must be one of"),
    ],
)
def test_bad_arguments_say_what_is_wrong(target: str, message: str) -> None:
    with pytest.raises(TargetError, match=None) as caught:
        run(target)
    assert message in str(caught.value)
