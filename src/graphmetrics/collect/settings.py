"""Settings every Kinesis collector shares (``graphmetrics-kinesis``, ``graphmetrics-kcl``).

Mixins in the manner of :class:`~graphmetrics.rrd.limits.CreateLimitSettings`: a
collector's settings dataclass inherits them, so the option's name, help, parsing
and ``GRAPHMETRICS_*`` variable are written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphmetrics import settings
from graphmetrics.metrics.batch import FUTURE_TOLERANCE
from graphmetrics.rrd.limits import CreateLimitSettings


@dataclass(frozen=True, kw_only=True)
class MetricsStorageSettings(CreateLimitSettings):
    """Where the metrics RRD files are and how they are written (new-file caps included)."""

    rrd_dir: Path = settings.option(
        settings.REQUIRED, "directory of the RRD files", parse=settings.parse_path, metavar="DIR"
    )
    rrdcached: str | None = settings.option(
        None,
        "write through rrdcached at this address (unix:/path/to/sock or host:port)",
        parse=settings.parse_optional_str,
        metavar="ADDR",
    )
    future_tolerance: float = settings.option(
        FUTURE_TOLERANCE,
        "refuse samples dated more than this many seconds ahead of this host's clock "
        "(counted as future_timestamp); the furthest ahead per shard is in the status line",
        parse=settings.non_negative_float,
        metavar="SECONDS",
    )


@dataclass(frozen=True, kw_only=True)
class KinesisEndpointSettings:
    """Which Kinesis service to read, in which region."""

    endpoint_url: str | None = settings.option(
        None,
        "Kinesis endpoint URL, e.g. http://127.0.0.1:4567 for kinesalite or a local "
        "kinesis-local; unset: AWS",
        parse=settings.parse_optional_str,
        metavar="URL",
    )
    region: str | None = settings.option(
        None,
        "AWS region; unset: from the boto3 chain (AWS_DEFAULT_REGION, ~/.aws/config)",
        parse=settings.parse_optional_str,
        metavar="R",
    )
