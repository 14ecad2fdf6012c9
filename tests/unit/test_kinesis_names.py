"""Metric name → RRD path, and path safety (docs/inputs.md, "Name → file")."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.metrics.batch import PathCache
from graphmetrics.rrd.layout import BadMetricName, metric_path, metric_relative
from graphmetrics.rrd.store import RRDStore


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("//host.example/cfg/section#metric", "host.example/cfg/section/metric"),
        ("//host/a:b#c", "host/a..b/c"),
        ("host/x", "host/x"),
        ("//h/ünïcode#m", "h/ünïcode/m"),
        ("//h/.hidden#m", "h/.hidden/m"),
    ],
)
def test_names_map_to_paths(name: str, path: str) -> None:
    assert metric_path(name) == path
    assert metric_relative(name) == "metrics/" + path


@pytest.mark.parametrize(
    "name",
    [
        "",
        "//",
        "///etc/passwd",
        "//../../etc/passwd",
        "//a/../../b",
        "//a/./b",
        "//a//b",
        "//a/b/",
        "//a#",
        "//a/:",  # ':' becomes '..'
        "//a#..",
        "//a/b\x00c",
        "//a/b\nc",
        "//a/" + "x" * 201,
        "//a/\udcff",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(BadMetricName):
        metric_path(name)


def test_path_cache_refuses_symlinks_leading_out_of_metrics(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    (rrd_dir / "metrics").mkdir(parents=True)
    (rrd_dir / "tracelog").mkdir()
    (rrd_dir / "metrics" / "evil").symlink_to(rrd_dir / "tracelog")
    cache = PathCache(RRDStore(rrd_dir))
    assert cache.relative("//good#m") == "metrics/good/m"
    with pytest.raises(BadMetricName, match="leaves"):
        cache.relative("//evil#m")
    with pytest.raises(BadMetricName):
        cache.relative("//evil#m")  # the verdict is cached, and still an error


def test_path_cache_refuses_symlinks_leading_out_of_the_rrd_dir(tmp_path: Path) -> None:
    rrd_dir = tmp_path / "rrd"
    (rrd_dir / "metrics" / "h").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (rrd_dir / "metrics" / "h" / "linkdir").symlink_to(tmp_path / "elsewhere")
    cache = PathCache(RRDStore(rrd_dir))
    verdict = cache.verdict("//h/linkdir#secret")
    assert isinstance(verdict, BadMetricName) and "leaves" in str(verdict)
    with pytest.raises(BadMetricName, match="leaves"):
        cache.relative("//h/linkdir#secret")
