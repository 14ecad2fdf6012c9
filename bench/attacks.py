"""The attack mixes ``bench/load.py`` runs beside its dashboard users (issue 20).

Each mix is sent by 20 clients, each signed in as a user of its own, over and over
while the ordinary users open their dashboards.  They behave as a well-mannered
script would: after a 503 they wait what ``Retry-After`` says.

- ``graphite``: the slowest Graphite targets still allowed (a year's moving average
  over 300 days of every instance: seconds of Python each, stopped at the deadline);
- ``render``: the heaviest ``/render`` still allowed (PREDICTs just under the work
  bound, 4000 px wide) and issue #14's five-year PREDICT (refused at once);
- ``n1-n6``: the probe's inputs: the catastrophic ``aliasSub`` (N1), nested
  ``timeShift`` (N2), the brace bomb in ``metrics/find`` (N3), ``group`` of 150
  wildcards (N4), ``expand`` with 100 queries (N6) and a 4000x4000 Graphite PNG of
  every series (N12).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

CLIENTS = 20


def graphite(target: str, **params: str) -> str:
    return "/graphite/render?" + urlencode({"target": target, "format": "json", **params})


def graphite_mix(stems: list[str]) -> list[str]:
    return [
        graphite('movingAverage(tracelog.*.rpm,"1y")', **{"from": "-300d"}),
        graphite('movingAverage(tracelog.*.epm,"1y")', **{"from": "-300d"}),
    ]


def render_mix(stems: list[str]) -> list[str]:
    series = [{"name": "s0", "path": f"tracelog/{stems[0]}", "ds": "rpm"}]

    def url(cdefs: list[str], **params: str) -> str:
        graph = {
            "series": series,
            "cdefs": [{"name": f"t{i}", "rpn": rpn} for i, rpn in enumerate(cdefs)],
            "lines": [{"value": f"t{i}"} for i in range(len(cdefs))],
        }
        return "/render?" + urlencode({"graph": json.dumps(graph), **params})

    return [
        url(["86400,-1000,157000000,s0,PREDICT"], start="-5y", format="csv"),  # refused
        url(["86400,-40,86400,s0,PREDICT"] * 2, start="-1d", width="4000"),  # just allowed
    ]


def probe_mix(stems: list[str]) -> list[str]:
    nested = "tracelog.*.rpm"
    for _ in range(15):
        nested = f'timeShift({nested},"1h")'
    group = "{{a,b}," + ",".join(f"c{i}" for i in range(20)) + "}"
    every = ",".join(["tracelog.*.*"] * 150)
    expand = urlencode([("query", f"tracelog.{stem}.*") for stem in stems] * 8)
    return [
        graphite(f'aliasSub(alias(tracelog.*.rpm,"{"a" * 27}"),"(a+)+b","x")'),  # N1
        graphite(nested),  # N2
        "/graphite/metrics/find?" + urlencode({"query": f"tracelog.{group * 3}.rpm"}),  # N3
        graphite(f"group({every})", **{"from": "-300d"}),  # N4
        "/graphite/metrics/expand?" + expand,  # N6: 96 queries
        "/graphite/render?"
        + urlencode({"target": "tracelog.*.*", "width": "4000", "height": "4000"}),  # N12
    ]


MIXES = {"graphite": graphite_mix, "render": render_mix, "n1-n6": probe_mix}
