"""``graphmetrics-carbon``'s settings: command line > GRAPHMETRICS_* > ini > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics import settings
from graphmetrics.cli.carbon import CarbonSettings, parse_port
from graphmetrics.collect.carbon_schemas import CarbonSchemas


def load(argv: list[str], environ: dict[str, str] | None = None) -> CarbonSettings:
    return settings.from_command_line(
        CarbonSettings, argv, prog="graphmetrics-carbon", description="", environ=environ or {}
    )


def test_defaults_are_carbons_ports() -> None:
    config = load(["--rrd-dir", "/x"])
    options = config.options(CarbonSchemas())
    assert (options.line_port, options.pickle_port, options.udp_port) == (2003, 2004, None)
    assert options.listen == "127.0.0.1" and options.limits.max_per_minute == 1000


def test_command_line_wins_over_environment_over_ini(tmp_path: Path) -> None:
    ini = tmp_path / "gm.ini"
    ini.write_text(
        "[graphmetrics]\nrrd_dir = %(here)s/rrd\ncarbon_line_port = 2103\n"
        "carbon_udp_port = 2203\ncarbon_schemas = %(here)s/storage-schemas.conf\n"
    )
    env = {"GRAPHMETRICS_CARBON_LINE_PORT": "2303", "GRAPHMETRICS_CARBON_PICKLE_PORT": "off"}
    config = load(["--config", str(ini), "--carbon-udp-port", "2403"], env)
    assert config.rrd_dir == tmp_path / "rrd"
    assert config.carbon_line_port == 2303
    assert config.carbon_pickle_port is None
    assert config.carbon_udp_port == 2403
    assert config.carbon_schemas == tmp_path / "storage-schemas.conf"


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        load(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--carbon-line-port",
        "--carbon-pickle-port",
        "--carbon-udp-port",
        "--carbon-schemas",
        "--carbon-aggregation",
        "--max-new-files-per-minute",
        "--rrdcached",
        "--write-interval",
        "storage-schemas.conf",
    ):
        assert option in text


@pytest.mark.parametrize("text", ["-1", "65536", "http"])
def test_bad_ports(text: str) -> None:
    with pytest.raises(ValueError):
        parse_port(text)
