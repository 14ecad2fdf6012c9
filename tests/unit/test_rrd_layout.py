"""The on-disk layout: kinds, instance names, the path-safety rule, the palette."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphmetrics.rrd import layout
from graphmetrics.rrd.schema import CARBON, METRICS, POOL, TRACELOG


def test_kinds_know_their_folder_and_schema() -> None:
    assert set(layout.KINDS) == {"tracelog", "metrics", "carbon", "pool"}
    assert layout.KINDS["tracelog"].schema is TRACELOG
    assert layout.KINDS["metrics"].schema is METRICS
    assert layout.KINDS["carbon"].schema is CARBON
    assert layout.KINDS["pool"].schema is POOL
    assert layout.pool_relative("acme") == "pool/acme"
    assert layout.kind_of("tracelog/a__b__c") is layout.TRACELOG_KIND
    assert layout.kind_of("metrics/h/cfg/m") is layout.METRICS_KIND
    assert layout.kind_of("other/x") is None


@pytest.mark.parametrize(
    ("host", "customer", "name"),
    [("app1", "acme", "inst1"), ("h.example", "c-1", "i_2"), ("a", "b", "c@d+e")],
)
def test_instance_names_round_trip(host: str, customer: str, name: str) -> None:
    stem = layout.instance_name(host, customer, name)
    assert stem == f"{host}__{customer}__{name}"
    assert layout.parse_instance(stem) == (host, customer, name)
    assert layout.instance_host(stem) == host
    relative = layout.tracelog_relative(stem)
    assert relative == f"tracelog/{stem}"
    assert layout.tracelog_instance(relative) == stem


@pytest.mark.parametrize("stem", ["a__b", "a__b__c__d", "__b__c", "a____c", "a__b__", "plain"])
def test_parse_instance_refuses_other_stems(stem: str) -> None:
    assert layout.parse_instance(stem) is None


def test_metric_names_map_into_the_metrics_folder() -> None:
    assert layout.metric_relative("//h/cfg/s#m") == "metrics/h/cfg/s/m"
    with pytest.raises(layout.BadMetricName):
        layout.metric_relative("//h/../m")


@pytest.mark.parametrize(
    "relative", ["", "/etc/passwd", "a//b", "a/./b", "a/../b", "..", "a/", "a\x00b"]
)
def test_check_relative_refuses_unsafe_paths(relative: str) -> None:
    with pytest.raises(layout.UnsafePath):
        layout.check_relative(relative)


def test_check_relative_gives_the_segments() -> None:
    assert layout.check_relative("metrics/h/.hidden/m") == ["metrics", "h", ".hidden", "m"]


def test_real_inside_is_strict() -> None:
    assert layout.real_inside("/srv/rrd", "/srv/rrd/tracelog/x.rrd")
    assert layout.real_inside("/srv/rrd/", "/srv/rrd/x")
    assert not layout.real_inside("/srv/rrd", "/srv/rrd")
    assert not layout.real_inside("/srv/rrd", "/srv/rrd2/x")


def test_resolve_inside_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "rrd"
    (root / "metrics" / "inner").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "metrics" / "escape").symlink_to(outside)
    (root / "metrics" / "alias").symlink_to(root / "metrics" / "inner")
    real_root = os.path.realpath(root)

    assert layout.resolve_inside(root, "metrics/inner/m.rrd") == Path(
        real_root, "metrics/inner/m.rrd"
    )
    assert layout.resolve_inside(root, "metrics/alias/m.rrd") == Path(
        real_root, "metrics/inner/m.rrd"
    )
    with pytest.raises(layout.UnsafePath, match="leaves"):
        layout.resolve_inside(root, "metrics/escape/m.rrd")
    with pytest.raises(layout.UnsafePath):
        layout.resolve_inside(root, "metrics/../../outside/m.rrd")


def test_resolve_inside_through_a_symlinked_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "tracelog").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    path = layout.resolve_inside(link, "tracelog/a__b__c.rrd")
    assert path == Path(os.path.realpath(real), "tracelog/a__b__c.rrd")


def test_palette() -> None:
    assert len(layout.PALETTE) == 10
    assert len(set(layout.PALETTE)) == 10
    assert layout.PALETTE[:4] == ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")
    assert sorted(layout.TRACELOG_PALETTE) == sorted(layout.PALETTE)
    assert layout.TRACELOG_PALETTE[:4] == ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c")
    assert layout.palette_color(12) == layout.PALETTE[2]
    # crimson, mostly opaque: restarts stand out on the light and the dark theme
    assert layout.RESTART_COLOR == "#d6336cd9"
