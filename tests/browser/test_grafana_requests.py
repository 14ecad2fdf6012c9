"""Grafana's Graphite data source, replayed from a page: the requests a dashboard
makes (version, functions, find at each level, tags and events, "Save & test", POST
render with maxDataPoints) are sent with fetch() as Grafana sends them, and each
must answer 200 with JSON that ``JSON.parse`` reads (no ``Infinity``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

FORM = "application/x-www-form-urlencoded"
ALL_RPM = "tracelog.*.rpm"
# (method, path, query or form body): what Grafana 8-10 sends, in a dashboard's order
REQUESTS: list[tuple[str, str, str]] = [
    ("GET", "/graphite/version", ""),
    ("GET", "/graphite/functions", ""),
    # "Save & test"
    ("POST", "/graphite/render",
     "target=constantLine(100)&from=-1h&until=now&format=json&maxDataPoints=300"),
    # the query editor walks the tree, one level at a time, with the panel's range
    ("GET", "/graphite/metrics/find", "query=*&from=-6h&until=now"),
    ("GET", "/graphite/metrics/find", "query=tracelog.*&from=-6h&until=now"),
    ("GET", "/graphite/metrics/find", "query=tracelog.app1__acme__inst1.*&from=-6h&until=now"),
    ("GET", "/graphite/metrics/find", "query=tracelog.app1__acme__inst1.rpm&format=json"),
    ("GET", "/graphite/tags/autoComplete/tags", "expr=&tagPrefix=&limit=100&from=-6h&until=now"),
    ("GET", "/graphite/tags/autoComplete/values",
     "expr=name%3Dtracelog&tag=name&valuePrefix=&limit=100"),
    ("GET", "/graphite/events/get_data", "from=-6h&until=now&tags=deploy"),
    # a panel of several queries, nested functions, one hidden query referenced
    ("POST", "/graphite/render",
     "target=" + "&target=".join([
         "aliasByNode(highestAverage(tracelog.*.rpm%2C2)%2C1)",
         "sortByName(exclude(tracelog.*.rpm%2C'inst2'))",
         "legendValue(removeBelowValue(tracelog.app1__acme__inst1.rpm%2C0)%2C'avg'%2C'si')",
         "threshold(50%2C'limit'%2C'red')",
         "color(stacked(tracelog.*.epm)%2C'blue')",
     ]) + "&from=-6h&until=now&format=json&maxDataPoints=640"),
]  # fmt: skip

REPLAY = """async ([requests, form]) => {
  const answers = [];
  for (const [method, path, params] of requests) {
    const init = method === "POST"
      ? {method, body: params, headers: {"Content-Type": form}}
      : {method};
    const url = method === "POST" || !params ? path : `${path}?${params}`;
    const res = await fetch(url, init);
    const text = await res.text();
    let parsed = null, error = null;
    try { parsed = JSON.parse(text); } catch (e) { error = String(e); }
    answers.push({path, status: res.status, type: res.headers.get("content-type"),
                  text: text.slice(0, 300), parsed, error});
  }
  return answers;
}"""


def test_grafanas_request_sequence_answers_without_error(
    new_page: Callable[..., Any], live_server: LiveServer
) -> None:
    page = new_page("grace")
    answers = page.evaluate(REPLAY, [REQUESTS, FORM])
    for (method, path, params), answer in zip(REQUESTS, answers, strict=True):
        where = f"{method} {path}?{params}: {answer['status']} {answer['text']}"
        assert answer["status"] == 200, where
        if path == "/graphite/version":
            assert answer["text"] == "1.1.8"
            continue
        assert answer["type"].startswith("application/json"), where
        assert answer["error"] is None, where
    version, functions, save_test, root, level1, level2, leaf, tags, values, events, panel = (
        a["parsed"] for a in answers
    )
    assert {"constantLine", "highestAverage", "legendValue", "sortByName"} <= set(functions)
    assert save_test[0]["target"] == "100.0" and len(save_test[0]["datapoints"]) == 3
    assert {n["text"] for n in root} >= {"tracelog", "metrics"}
    assert {n["text"] for n in level1} >= {"app1__acme__inst1", "app3__beta__web1"}
    assert "rpm" in {n["text"] for n in level2} and all(n["leaf"] for n in level2)
    assert leaf[0]["intervals"] and leaf[0]["is_leaf"]
    assert tags == values == events == []
    names = [s["target"] for s in panel]
    instances = {n["text"] for n in level1}
    assert len(names[:2]) == 2 and set(names[:2]) <= instances
    assert all("inst2" not in n for n in names[2:5])
    assert any(n.startswith("removeBelowValue(") and "avg" in n for n in names)
    assert "limit" in names and any(n.startswith("stacked(") for n in names)
    assert all(0 < len(s["datapoints"]) <= 640 for s in panel)
