"""The web app's typed settings, read from its ini file and GRAPHMETRICS_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphmetrics.settings import REQUIRED, option, parse_bool, parse_optional_str, parse_path


@dataclass(frozen=True)
class WebSettings:
    rrd_dir: Path = option(REQUIRED, "directory holding tracelog/ and metrics/ RRD files", parse=parse_path)
    db_url: str = option("sqlite:///var/graphmetrics.sqlite", "SQLAlchemy URL of the saved-graph database")
    rrdcached: str | None = option(None, "rrdcached address to flush before reading", parse=parse_optional_str)
    dev_login: bool = option(False, "allow /login?user=NAME without an identity provider", parse=parse_bool)
