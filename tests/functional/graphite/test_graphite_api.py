"""/graphite/ on its own: errors that say what was wrong, formats, POST, expand, safety.

Data: tests.functional.web_render's files (minute ``i`` of ``inst1`` has rpm ``i``,
unknown at minute 50; the metric ``host.example/cfg/section/metric`` every 5 minutes).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
import webtest

from graphmetrics.graphite.evaluator import FUNCTIONS
from graphmetrics.rrd.store import RRDStore
from tests.functional.web_render.conftest import T0, UNKNOWN_MINUTE, make_app, minute, write_data

RPM = "tracelog.app1__acme__inst1.rpm"
METRIC = "metrics.host_example.cfg.section.metric"
RANGE = {"from": str(minute(47)), "until": str(minute(52)), "now": str(T0 + 7200)}


@pytest.fixture
def app(rrd_dir: Path) -> webtest.TestApp:
    write_data(RRDStore(rrd_dir))
    return make_app(rrd_dir)


def render(
    app: webtest.TestApp, *targets: str, status: int = 200, **params: str
) -> webtest.TestResponse:
    query = [("target", t) for t in targets] + list({**RANGE, "format": "json", **params}.items())
    return app.get("/graphite/render", query, status=status)


def test_json_points_are_the_values_written_at_their_time(app: webtest.TestApp) -> None:
    res = render(app, RPM)
    assert res.json == [
        {
            "target": RPM,
            "tags": {"name": RPM},
            "datapoints": [
                [None if i == UNKNOWN_MINUTE else float(i), minute(i)] for i in range(48, 53)
            ],
        }
    ]


def test_json_keeps_names_as_sent_and_writes_infinity_as_json(app: webtest.TestApp) -> None:
    """Only numbers are rewritten: an alias reading ``NaN, Infinity,`` comes back
    whole, and an infinite value is ``1e9999`` (strict JSON, read as Infinity)."""
    name = "NaN, Infinity, -Infinity,"
    res = render(app, f'alias({RPM},"{name}")', "scale(" + RPM + ",1e308)")
    assert "Infinity" not in res.text.replace(name, "")
    assert res.json[0]["target"] == name
    assert res.json[0]["tags"] == {"name": name}
    scaled = [v for v, _ in res.json[1]["datapoints"]]
    assert scaled[0] == 48e308 == float("inf")
    assert scaled[UNKNOWN_MINUTE - 48] is None


def test_no_null_points_drops_unknown_values(app: webtest.TestApp) -> None:
    res = render(app, RPM, noNullPoints="1")
    assert [ts for _, ts in res.json[0]["datapoints"]] == [minute(i) for i in (48, 49, 51, 52)]


def test_csv(app: webtest.TestApp) -> None:
    res = render(app, RPM, format="csv")
    assert res.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0] == [RPM, "2023-11-14 22:48:00", "48.0"]
    assert rows[2] == [RPM, "2023-11-14 22:50:00", ""]


def test_png_is_drawn_by_rrdtool(app: webtest.TestApp) -> None:
    res = render(app, f"sumSeries({RPM},{RPM})", format="png", width="400", height="200")
    assert res.content_type == "image/png"
    assert res.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(res.body[16:20], "big") == 400


def test_post_form_answers_like_get(app: webtest.TestApp) -> None:
    form = [("target", RPM), ("target", METRIC), *RANGE.items(), ("format", "json")]
    posted = app.post("/graphite/render", form, status=200)  # no CSRF token: read-only
    assert posted.json == render(app, RPM, METRIC).json


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sumSeries(a.b", "target 1 (sumSeries(a.b): expected ',' or ')' closing sumSeries("),
        ("nosuch(a.b)", "unknown function 'nosuch'"),
        (f"scale({RPM},'x')", "scale: argument 'factor' must be float, got 'x'"),
        (f"scale({RPM})", "scale: missing argument 'factor' (number 2)"),
        (f"limit({RPM},1,2)", "limit: takes at most 2 arguments, got 3"),
        (f"movingAverage({RPM},windowSize=3,bogus=1)", "unknown argument 'bogus'"),
        (f'summarize({RPM},"1h","nope")', "summarize: func must be one of"),
        (f'timeShift({RPM},"1fortnight")', "timeShift: invalid offset unit 'fortnight'"),
        (f"{RPM} | 42", "expected a function call after '|' at character 34, found '4'"),
        (f"scale(a.b, {'x' * 10_001})", "target longer than 10000 characters"),
        ("tracelog." + "{a,b}" * 11, "expands to more than 1000 alternatives"),
        ("a" + ".a" * 64, "pattern has more than 64 nodes"),
    ],
)
def test_bad_targets_are_a_400_naming_the_problem(
    app: webtest.TestApp, target: str, message: str
) -> None:
    res = render(app, target, status=400)
    assert res.content_type == "text/plain"
    assert message in res.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "soon"}, "from: cannot read 'soon'"),
        ({"until": "-5x"}, "until: cannot read '-5x'"),
        ({"from": "now", "until": "now"}, "the time range is empty"),
        ({"format": "pickle"}, "format: must be json, csv or png, got 'pickle'"),
        ({"xFilesFactor": "lots"}, "xFilesFactor: not a number"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    app: webtest.TestApp, params: dict[str, str], message: str
) -> None:
    assert message in render(app, RPM, status=400, **params).text


def test_a_query_that_is_not_utf8_is_a_400(app: webtest.TestApp) -> None:
    for url in ("/graphite/render?target=%ff", "/graphite/metrics/find?query=%ff"):
        assert "not valid UTF-8" in app.get(url, status=400).text


def test_summarize_into_too_many_intervals_is_refused(app: webtest.TestApp) -> None:
    res = render(app, f'summarize({RPM},"1s")', status=400, **{"from": "-20y", "now": "now"})
    assert "summarize: more than 500000 intervals of 1s" in res.text


def test_find_formats_and_errors(app: webtest.TestApp) -> None:
    tree = app.get("/graphite/metrics/find", {"query": "metrics.*"}).json
    assert tree == [
        {"text": "host_example", "id": "metrics.host_example", "allowChildren": 1,
         "expandable": 1, "leaf": 0},
    ]  # fmt: skip
    flat = app.get("/graphite/metrics/find", {"query": "tracelog.app1*.r*", "format": "json"})
    [leaf] = flat.json
    assert {k: v for k, v in leaf.items() if k != "intervals"} == {"path": RPM, "is_leaf": True}
    completer = app.get("/graphite/metrics/find", {"query": "tracelog.app", "format": "completer"})
    assert [m["path"] for m in completer.json["metrics"]] == [
        "tracelog.app1__acme__inst1.", "tracelog.app2__acme__inst2.",
    ]  # fmt: skip
    missing = app.get("/graphite/metrics/find", status=400)
    assert "query: required parameter" in missing.text
    costly = app.get("/graphite/metrics/find", {"query": "{a,b}" * 11}, status=400)
    assert "query: pattern node" in costly.text


def test_expand(app: webtest.TestApp) -> None:
    res = app.get("/graphite/metrics/expand", [("query", "tracelog.*.rpm"), ("query", "metrics.*")])
    assert res.json == {"results": ["metrics.host_example", RPM, "tracelog.app2__acme__inst2.rpm"]}
    grouped = app.get(
        "/graphite/metrics/expand", {"query": "tracelog.*", "leavesOnly": "1", "groupByExpr": "1"}
    )
    assert grouped.json == {"results": {"tracelog.*": []}}


def test_points_are_counted_before_they_are_read(app: webtest.TestApp) -> None:
    """N4: ``group`` of 150 x ``tracelog.*.*`` read every file 150 times (+421 MB)
    before the count of points refused it; now the estimate refuses it first."""
    target = "group(" + ",".join(["tracelog.*.*"] * 150) + ")"
    # 300 days of files last written long ago: rrdtool would read their finest archive
    res = render(app, target, status=400, **{"from": "-300d", "until": "now", "now": ""})
    assert "would read or make about" in res.text and "narrow the targets" in res.text


def test_expand_queries_and_form_size_are_bounded(app: webtest.TestApp) -> None:
    """N6: any number of ``query=`` was walked (20 000 took 7.6 s)."""
    many = [("query", f"tracelog.x{i}.rpm") for i in range(101)]
    refused = app.post("/graphite/metrics/expand", many, status=400)
    assert "at most 100 queries, got 101" in refused.text
    huge = [("query", "tracelog.*.rpm"), ("pad", "x" * 300_000)]
    too_big = app.post("/graphite/metrics/expand", huge, status=413)
    assert "larger than 262144 bytes" in too_big.text
    assert app.post("/graphite/metrics/expand", many[:100]).json == {"results": []}


def test_functions_and_version(app: webtest.TestApp) -> None:
    functions = app.get("/graphite/functions").json
    assert set(functions) == set(FUNCTIONS) and len(functions) >= 26
    assert functions["summarize"]["params"][1] == {
        "name": "intervalString", "type": "interval", "required": True,
        "suggestions": ["10min", "1h", "1d"],
    }  # fmt: skip
    grouped = app.get("/graphite/functions", {"grouped": "1"}).json
    assert "sumSeries" in grouped["Combine"]
    assert app.get("/graphite/version").text == "1.1.8"


def test_symlinks_and_other_folders_are_not_part_of_the_tree(
    app: webtest.TestApp, rrd_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.rrd").write_bytes(
        (rrd_dir / "metrics/host.example/cfg/section/metric.rrd").read_bytes()
    )
    os.symlink(outside, rrd_dir / "metrics" / "escape")
    os.symlink(outside / "secret.rrd", rrd_dir / "metrics" / "leak.rrd")
    (rrd_dir / "other").mkdir()
    os.link(outside / "secret.rrd", rrd_dir / "other" / "x.rrd")
    found = app.get("/graphite/metrics/expand", {"query": "*.*"}).json["results"]
    assert found == [
        "metrics.host_example",
        "tracelog.app1__acme__inst1",
        "tracelog.app2__acme__inst2",
    ]
    for target in ("metrics.escape.secret", "metrics.leak", "other.x", "metrics..escape"):
        res = render(app, target, status=(200, 400))
        assert res.status_int == 400 or res.json == []


def test_grafana_save_and_test_renders_constant_line(app: webtest.TestApp) -> None:
    """Grafana's "Save & test" POSTs this form and expects a 200 with series."""
    form = {
        "target": "constantLine(100)", "from": "-10min", "until": "now", "format": "json",
        "maxDataPoints": "300",
    }  # fmt: skip
    res = app.post("/graphite/render", form)
    assert res.status_int == 200
    [series] = res.json
    assert series["target"] == "100.0"
    assert [v for v, _ in series["datapoints"]] == [100.0, 100.0, 100.0]
    first, middle, last = (ts for _, ts in series["datapoints"])
    assert middle - first == last - middle == 300


def test_tags_and_events_answer_empty_lists(app: webtest.TestApp) -> None:
    """No tag database and no events: empty answers, so Grafana's editor shows no error."""
    assert app.get("/graphite/tags/autoComplete/tags", {"tagPrefix": "a"}).json == []
    assert app.get("/graphite/tags/autoComplete/values", {"tag": "name"}).json == []
    assert app.post("/graphite/tags/autoComplete/tags", {"expr": "name=x"}).json == []
    assert app.get("/graphite/events/get_data", {"from": "-1d", "until": "now"}).json == []
    no_tag = app.get("/graphite/tags/autoComplete/values", status=400)
    assert no_tag.text == "tag: required parameter, empty or missing\n"
    res = app.get("/graphite/tags/autoComplete/other", status=404)
    assert "tags or values" in res.text
