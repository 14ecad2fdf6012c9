"""Which backend an rrdcached address chooses, and rrdcached's INFO read as rrdtool's."""

from __future__ import annotations

import pytest

from graphmetrics.rrd.backend import LocalFiles, Rrdcached
from graphmetrics.rrd.cached import parse_info
from graphmetrics.rrd.node import NodeFiles, open_backend


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        (None, LocalFiles),
        ("", LocalFiles),
        ("unix:/run/rrdcached.sock", Rrdcached),
        ("/run/rrdcached.sock", Rrdcached),
        ("storage", NodeFiles),
        ("storage:42217", NodeFiles),
        ("127.0.0.1:42217", NodeFiles),
        ("[::1]:42217", NodeFiles),
    ],
)
def test_the_address_form_chooses_the_backend(address: str | None, kind: type) -> None:
    backend = open_backend(address)
    assert type(backend) is kind
    assert backend.remote == (kind is NodeFiles)


def test_info_lines_are_typed_as_rrdtool_info_types_them() -> None:
    info = parse_info(
        [
            "filename 2 /srv/rrd/metrics/a.rrd",
            "step 1 300",
            "last_update 1 1700000100",
            "ds[data].type 2 GAUGE",
            "ds[data].min 0 0.0000000000e+00",
            "rra[0].cur_row 1 17",
        ]
    )
    assert info == {
        "filename": "/srv/rrd/metrics/a.rrd",
        "step": 300,
        "last_update": 1_700_000_100,
        "ds[data].type": "GAUGE",
        "ds[data].min": 0.0,
        "rra[0].cur_row": 17,
    }
