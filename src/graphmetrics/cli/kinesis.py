"""``graphmetrics-kinesis``: the Kinesis metrics collector daemon (I/O edge only)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

from graphmetrics import settings
from graphmetrics.collect.checkpoint import (
    CREATIONS_FILE,
    HELD_FILE,
    CheckpointError,
    CheckpointStore,
)
from graphmetrics.collect.instrumentation import KINESIS_GC, tune_gc
from graphmetrics.collect.kinesis import (
    HeldAtEnd,
    KinesisConsumer,
    KinesisOptions,
    StreamUnavailable,
    WritesFailing,
)
from graphmetrics.collect.kinesis_wire import fast_get_records
from graphmetrics.collect.settings import KinesisEndpointSettings, MetricsStorageSettings
from graphmetrics.metrics.writer import ProcessWriter, WriterFailed
from graphmetrics.rrd.store import RRDStore
from graphmetrics.signals import on_signals

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

log = logging.getLogger("graphmetrics.kinesis")

#: HTTP connections kept open: one per shard read at the same time (a reader thread
#: each); more shards than this still work, reconnecting more often.
MAX_CONNECTIONS = 64

DESCRIPTION = """\
Read every shard of a Kinesis stream of JSON metric records
({"timestamp", "name", "value", "units"}) and write them to RRD files
<rrd-dir>/metrics/<name>.rrd. Progress is saved per shard in
<checkpoint-dir>/<stream>/<shard id>.json after the samples are written, so a restart
goes on where it stopped. AWS credentials come from the usual boto3 chain
(environment, ~/.aws, instance role). SIGTERM or SIGINT: finish the batch, write,
checkpoint and exit 0."""


@dataclass(frozen=True)
class KinesisSettings(MetricsStorageSettings, KinesisEndpointSettings):
    stream: str = settings.option(settings.REQUIRED, "Kinesis stream name", metavar="NAME")
    checkpoint_dir: Path = settings.option(
        settings.REQUIRED,
        "directory of the per-shard checkpoints",
        parse=settings.parse_path,
        metavar="DIR",
    )
    once: bool = settings.option(
        False,
        "read every shard to its current end, write, checkpoint and exit",
        parse=settings.parse_bool,
        flag=True,
    )
    max_in_flight: int = settings.option(
        4,
        "GetRecords calls in flight at once over all shards; 1 suits kinesalite, a single "
        "process that serves concurrent calls interleaved so they all finish late",
        parse=settings.positive_int,
        metavar="N",
    )


def make_client(config: KinesisSettings) -> KinesisClient:
    return kinesis_client(config.endpoint_url, config.region)


def kinesis_client(endpoint_url: str | None, region: str | None) -> KinesisClient:
    """A Kinesis client whose GetRecords responses are decoded by orjson
    (:mod:`graphmetrics.collect.kinesis_wire`), with standard retries and enough
    pooled connections for one reader per shard."""
    client = boto3.session.Session(region_name=region).client(
        "kinesis",
        endpoint_url=endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=10,
            read_timeout=30,
            max_pool_connections=MAX_CONNECTIONS,
        ),
    )
    return fast_get_records(client)


def main(argv: Sequence[str] | None = None) -> int:
    config = settings.from_command_line(
        KinesisSettings, argv, prog="graphmetrics-kinesis", description=DESCRIPTION
    )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    tune_gc(KINESIS_GC)
    try:
        client = make_client(config)
        checkpoints = CheckpointStore(config.checkpoint_dir, config.stream)
    except NoRegionError:
        log.error("no AWS region: pass --region, or set GRAPHMETRICS_REGION or AWS_DEFAULT_REGION")
        return 2
    except (BotoCoreError, CheckpointError) as exc:
        log.error("%s", exc)
        return 2
    writer = ProcessWriter(
        config.rrd_dir,
        config.rrdcached,
        config.create_limits(journal=checkpoints.directory / CREATIONS_FILE),
        held_path=checkpoints.directory / HELD_FILE,
    )
    try:
        return consume(config, client, checkpoints, writer)
    finally:
        writer.close()


def consume(
    config: KinesisSettings,
    client: KinesisClient,
    checkpoints: CheckpointStore,
    writer: ProcessWriter,
) -> int:
    consumer = KinesisConsumer(
        client,
        config.stream,
        RRDStore(config.rrd_dir, rrdcached=config.rrdcached),
        checkpoints,
        KinesisOptions(
            max_in_flight=config.max_in_flight, future_tolerance=config.future_tolerance
        ),
        writer=writer,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        consumer.request_stop()

    on_signals(stop)
    log.info(
        "reading stream %s%s into %s (checkpoints in %s%s)%s",
        config.stream,
        f" at {config.endpoint_url}" if config.endpoint_url else "",
        config.rrd_dir,
        config.checkpoint_dir,
        f", through rrdcached {config.rrdcached}" if config.rrdcached else "",
        " once" if config.once else "",
    )
    try:
        consumer.run(once=config.once)
    except (
        StreamUnavailable,
        WritesFailing,
        HeldAtEnd,
        WriterFailed,
        CheckpointError,
        BotoCoreError,
    ) as exc:
        log.error("%s", exc)
        if isinstance(exc.__cause__, NoCredentialsError):
            log.error("AWS credentials come from the environment, ~/.aws or an instance role")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
