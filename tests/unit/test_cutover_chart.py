"""The original graphmetrics' saved charts as graph definitions: one row per form."""

from __future__ import annotations

from typing import Any

import pytest

from graphmetrics.cutover import chart, names

TL = "app1/acme-z4m/inst1/tracelog"
TL2 = "app1/acme-z4m/inst2/tracelog"

SERIES = [
    (f"{TL}/rpm", ("tracelog/app1__acme__inst1", "rpm")),
    (f"{TL}/start", ("tracelog/app1__acme__inst1", "start")),
    ("host1/cpu/load1", ("metrics/host1/cpu/load1", "data")),
    # not a tracelog DS: a metrics file of that name, as the original read it
    (f"{TL}/rpmx", (f"metrics/{TL}/rpmx", "data")),
]


@pytest.mark.parametrize(("name", "expected"), SERIES)
def test_series_files(name: str, expected: tuple[str, str]) -> None:
    assert chart.series_file(name) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", "a//b", "a/./b", "x:y"])
def test_unsafe_series_are_unmappable(name: str) -> None:
    with pytest.raises(chart.Unmappable, match="series"):
        chart.series_file(name)


AVERAGE = {"name": "v2", "aggregate": "AVERAGE", "of": ["v2_0", "v2_1"]}
AGGREGATES: list[tuple[str, dict[str, Any]]] = [
    (f"{TL}/rpm|{TL2}/rpm||average", AVERAGE),
    (f"{TL}/rpm|{TL2}/rpm", AVERAGE),
    (f"{TL}/rpm|{TL2}/rpm||total", {"name": "v2", "aggregate": "TOTAL", "of": ["v2_0", "v2_1"]}),
    (f"{TL}/rpm|{TL2}/rpm||custom|a|b||a,b,+,2,/", {"name": "v2", "rpn": "v2_0,v2_1,+,2,/"}),
    (f"{TL}/epm|{TL}/rpm||custom|e|r||e,r,/||100,*", {"name": "v2", "rpn": "v2_0,v2_1,/,100,*"}),
]  # fmt: skip


@pytest.mark.parametrize(("data", "cdef"), AGGREGATES)
def test_aggregates(data: str, cdef: dict[str, Any]) -> None:
    series, found = chart.aggregate(2, data)
    assert found == cdef
    assert [s["name"] for s in series] == ["v2_0", "v2_1"]


def test_every_line_and_chart_parameter() -> None:
    params = {
        "data0": f"{TL}/rpm", "color0": "1F77B4", "legend0": "requests", "thick0": "1",
        "data1": f"{TL}/start", "color1": "ff0000", "tick1": "1", "legend1": "",
        "data2": "host1/cpu/load1", "color2": "00ff00", "dash2": "1", "legend2": "a\\b\tc",
        "trail": "6", "step": "5", "log": "y", "upper_limit": "1000", "lower_limit": "1",
        "height": "250", "title": "acme", "generation": "7", "imgid": "123",
    }  # fmt: skip
    converted = chart.convert(params)
    d = converted.definition
    assert d["lines"] == [
        {"value": "v0", "type": "LINE", "width": 2, "color": "#1f77b4", "legend": "requests",
         "dash": False},
        {"value": "v1", "type": "TICK", "color": "#ff000055", "legend": f"{TL}/start",
         "fraction": 1},
        {"value": "v2", "type": "LINE", "width": 1, "color": "#00ff00", "legend": "a/b c",
         "dash": True},
    ]  # fmt: skip
    assert (d["title"], d["logarithmic"], d["ymin"], d["ymax"]) == ("acme", True, 1.0, 1000.0)
    assert converted.view == {"trail": 6, "step": 300, "height": 350}
    assert converted.notes == []


def test_dates_are_us_eastern() -> None:
    params = {"data0": "a", "color0": "000000", "start": "2014-12-13", "start_time": "T10:30",
              "end": "2014-07-04", "end_time": "12:00"}  # fmt: skip
    assert chart.convert(params).view == {
        "start": "2014-12-13T15:30:00Z",  # EST, UTC-5
        "end": "2014-07-04T16:00:00Z",  # EDT, UTC-4
    }


def test_trail_wins_over_dates_as_in_the_original() -> None:
    view = chart.convert({"data0": "a", "color0": "000000", "trail": "2", "start": "2014-1-1"})
    assert view.view == {"trail": 2}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"title": "nothing"}, "no line"),
        ({"data0": "a||custom|x||x,SYSTEM", "color0": "000000"}, "SYSTEM"),
        ({"data0": "a|b||median", "color0": "000000"}, "unknown aggregate"),
        ({"data0": "../x", "color0": "000000"}, "series"),
    ],
)
def test_unmappable_charts_say_why(params: dict[str, str], reason: str) -> None:
    with pytest.raises(chart.Unmappable, match=reason):
        chart.convert(params)


def test_adjustments_are_noted() -> None:
    converted = chart.convert(
        {"data0": "a", "color0": "red", "log": "y", "lower_limit": "0", "step": "x"}
    )
    assert converted.definition["lines"][0]["color"].startswith("#")
    assert "ymin" not in converted.definition
    assert len(converted.notes) == 3


@pytest.mark.parametrize(
    ("original", "accounts", "expected"),
    [
        ("jim@zope.com", ["jim@zope.com", "jim"], "jim@zope.com"),
        ("Jim@Zope.com", ["jim@zope.com"], "jim@zope.com"),
        ("ann@example.com", ["ann", "bob"], "ann"),
        ("new@example.com", ["ann"], "new@example.com"),
        ("jim", ["jim"], "jim"),
        ("bad user!", [], None),
    ],
)
def test_accounts_are_matched_by_name(original: str, accounts: list[str], expected: str) -> None:
    assert names.match_account(original, accounts) == expected


def test_page_names_the_store_refuses_become_distinct_slugs() -> None:
    assert names.page_name("web-servers") == "web-servers"
    a, b = names.page_name("capacity planning"), names.page_name("capacity/planning")
    assert a.startswith("capacity-planning-") and b.startswith("capacity-planning-")
    assert a != b
    assert names.page_name("!!!").startswith("page-")
