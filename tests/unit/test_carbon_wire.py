"""carbon names → files, the restricted unpickler, storage-schemas/aggregation → RRD layouts."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from graphmetrics.collect.carbon_schemas import (
    CarbonSchemas,
    SchemaConfigError,
    parse_retentions,
)
from graphmetrics.collect.carbon_wire import safe_loads
from graphmetrics.rrd.layout import BadMetricName, carbon_name, carbon_path, carbon_relative
from graphmetrics.rrd.schema import CARBON, Archive


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("servers.web1.cpu.user", "servers/web1/cpu/user"),
        ("single", "single"),
        ("stats.timers.api.upper_90", "stats/timers/api/upper_90"),
        ("cpu.user;host=web1;dc=eu", "cpu/user;dc=eu;host=web1"),
        ("cpu.user;dc=eu;dc=us", "cpu/user;dc=us"),
        ("collectd.h-1.cpu-0.cpu-idle", "collectd/h-1/cpu-0/cpu-idle"),
    ],
)
def test_carbon_names_map_to_folders(name: str, path: str) -> None:
    assert carbon_path(name) == path
    assert carbon_relative(name) == f"carbon/{path}"


def test_carbon_name_is_the_inverse_for_untagged_names() -> None:
    assert carbon_name("carbon/servers/web1/cpu/user") == "servers.web1.cpu.user"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a..b",
        ".a",
        "a.",
        "a/b",
        "..",
        "a b",
        "a\tb",
        "a\x00b",
        "a\x1fb",
        "x;y",
        "x;=v",
        "x;k=",
        "a" * 201,
        ".".join(["b" * 150] * 8),
    ],
)
def test_bad_carbon_names_are_refused(name: str) -> None:
    with pytest.raises(BadMetricName):
        carbon_path(name)


def test_safe_loads_takes_lists_of_tuples_and_refuses_classes() -> None:
    points = [("a.b", (1700000000, 1.5)), ("c", (1700000060.5, 2))]
    assert safe_loads(pickle.dumps(points, protocol=2)) == points
    with pytest.raises(pickle.UnpicklingError, match="no class is allowed"):
        safe_loads(pickle.dumps([Path("/etc/passwd")]))
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(b"cos\nsystem\n(S'true'\ntR.")


@pytest.mark.parametrize(
    ("text", "step", "archives"),
    [
        ("60s:1d", 60, (Archive(1, 1440),)),
        ("10s:6h,1m:7d,10m:5y", 10, (Archive(1, 2160), Archive(6, 10080), Archive(60, 262800))),
        ("60:1440,300:2016", 60, (Archive(1, 1440), Archive(5, 2016))),
        ("1min:1d", 60, (Archive(1, 1440),)),
        ("1h:2y", 3600, (Archive(1, 17520),)),
    ],
)
def test_retentions(text: str, step: int, archives: tuple[Archive, ...]) -> None:
    assert parse_retentions(text) == (step, archives)


@pytest.mark.parametrize("text", ["60s", "7s:1d,10s:1d", "1x:1d", "0s:1d", "60s:0"])
def test_bad_retentions(text: str) -> None:
    with pytest.raises(SchemaConfigError):
        parse_retentions(text)


def test_rules_first_match_wins_and_default(tmp_path: Path) -> None:
    schemas = tmp_path / "storage-schemas.conf"
    schemas.write_text(
        "[carbon]\npattern = ^carbon\\.\nretentions = 60:90d\n\n"
        "[collectd]\npattern = ^collectd\\.\nretentions = 10s:1d,1m:30d\n\n"
        "[everything]\npattern = .*\nretentions = 5m:1y\n"
    )
    aggregation = tmp_path / "storage-aggregation.conf"
    aggregation.write_text(
        "[max]\npattern = \\.max$\nxFilesFactor = 0.1\naggregationMethod = max\n\n"
        "[sum]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n"
    )
    rules = CarbonSchemas.load(schemas, aggregation)
    collectd = rules.for_name("collectd.h.load.max")
    assert (collectd.step, collectd.archives) == (10, (Archive(1, 8640), Archive(6, 43200)))
    assert collectd.consolidations == ("AVERAGE", "MAX") and collectd.xff == 0.1
    assert collectd.heartbeat == 600 and collectd.minimum is None
    assert collectd.definitions()[0] == "DS:value:GAUGE:600:U:U"
    other = rules.for_name("stats.api.count")
    assert (other.step, other.consolidations, other.xff) == (300, ("AVERAGE",), 0.0)
    assert CarbonSchemas().for_name("anything") == CARBON


def test_bad_rule_files_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "s.conf"
    bad.write_text("[x]\npattern = (\nretentions = 60s:1d\n")
    with pytest.raises(SchemaConfigError, match=r"s.conf \[x\]: bad pattern"):
        CarbonSchemas.load(bad, None)
    bad.write_text("[x]\npattern = .*\naggregationMethod = median\n")
    with pytest.raises(SchemaConfigError, match="median"):
        CarbonSchemas.load(None, bad)
