"""A CIMAA-style metrics producer for the demo: JSON records into a Kinesis stream.

    python -m graphmetrics.demo.kinesis_load --endpoint-url http://127.0.0.1:4567 \\
        --stream metrics --create [--backfill] [--rate 20]

A few hosts report load, memory, disk and request metrics the way CIMAA checks do
(``//<host>/cimaa/<check>#<metric>``), each value a smooth daily curve with noise.
``--backfill`` first puts one sample per metric every 5 minutes for the last day, so
graphs have history at once; then samples are put live at ``--rate`` records/s
until SIGTERM or Ctrl-C (one sample per metric per second at most).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("graphmetrics.demo.kinesis_load")

HOSTS = ("web1.example.com", "web2.example.com", "db1.example.com")


@dataclass(frozen=True)
class Series:
    name: str
    units: str
    base: float
    swing: float
    integer: bool = False

    def value(self, ts: float, rng: random.Random) -> int | float:
        day = math.sin(2 * math.pi * ((ts % 86400) / 86400 - 0.3))
        value = max(0.0, self.base + self.swing * day + rng.gauss(0, self.swing / 8))
        return int(value) if self.integer else round(value, 3)


def all_series() -> list[Series]:
    series = []
    for host in HOSTS:
        prefix = f"//{host}/cimaa"
        series += [
            Series(f"{prefix}/load#load1", "load", 1.5, 1.0),
            Series(f"{prefix}/memory#used_percent", "%", 55, 15),
            Series(f"{prefix}/disk:var#used_percent", "%", 40, 2),
        ]
        if host.startswith("web"):
            series += [
                Series(f"{prefix}/http#rpm", "rpm", 600, 400, integer=True),
                Series(f"{prefix}/http#errors", "epm", 2, 2, integer=True),
            ]
        else:
            series.append(Series(f"{prefix}/postgresql#connections", "", 40, 25, integer=True))
    return series


def record(series: Series, ts: float, rng: random.Random) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    data = {"timestamp": stamp, "name": series.name, "value": series.value(ts, rng)}
    data["units"] = series.units
    return {"PartitionKey": series.name, "Data": json.dumps(data).encode()}


def backfill(series: list[Series], now: float, rng: random.Random) -> Iterator[dict[str, Any]]:
    start = int(now - 86400) // 300 * 300
    for ts in range(start, int(now) - 300, 300):
        for s in series:
            yield record(s, ts, rng)


class Producer:
    def __init__(self, client: Any, stream: str) -> None:
        self.client = client
        self.stream = stream
        self.stopping = threading.Event()
        self.sent = 0

    def put(self, records: list[dict[str, Any]]) -> None:
        """PutRecords in chunks of 500, retrying what Kinesis refused or could not take."""
        for start in range(0, len(records), 500):
            pending = records[start : start + 500]
            while pending and not self.stopping.is_set():
                try:
                    response = self.client.put_records(StreamName=self.stream, Records=pending)
                except (ClientError, BotoCoreError) as exc:
                    log.warning("PutRecords failed (%s); retrying in 1s", exc)
                    self.stopping.wait(1.0)
                    continue
                results = response["Records"]
                self.sent += len(pending) - response.get("FailedRecordCount", 0)
                pending = [r for r, res in zip(pending, results, strict=True) if "ErrorCode" in res]
                if pending:
                    self.stopping.wait(0.2)

    def live(self, series: list[Series], rate: float, rng: random.Random) -> None:
        """About ``rate`` records/s until :attr:`stopping` is set.

        Every series gets one sample per round and a round lasts at least a second, so
        a metric never has two samples in the same second (the RRD would keep one).
        """
        period = max(1.0, len(series) / rate)
        next_round = time.monotonic()
        while not self.stopping.is_set():
            now = time.time()
            self.put([record(s, now, rng) for s in series])
            next_round += period
            self.stopping.wait(max(0.0, next_round - time.monotonic()))


def ensure_stream(client: Any, stream: str, shards: int) -> None:
    try:
        client.create_stream(StreamName=stream, ShardCount=shards)
        log.info("created stream %s with %d shards", stream, shards)
    except client.exceptions.ResourceInUseException:
        log.info("stream %s exists", stream)
    client.get_waiter("stream_exists").wait(
        StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m graphmetrics.demo.kinesis_load",
        description="Put realistic CIMAA-style metric records into a Kinesis stream.",
    )
    parser.add_argument("--endpoint-url", help="Kinesis endpoint, e.g. kinesalite's")
    parser.add_argument("--stream", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--create", action="store_true", help="create the stream if missing")
    parser.add_argument("--shards", type=int, default=2, help="shards of a created stream")
    parser.add_argument("--rate", type=float, default=20.0, help="live records per second")
    parser.add_argument("--backfill", action="store_true", help="first put the last day")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.endpoint_url:  # a local kinesalite takes any credentials
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "demo")
    region = args.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    client = boto3.client("kinesis", endpoint_url=args.endpoint_url, region_name=region)
    producer = Producer(client, args.stream)

    def stop(signum: int, frame: FrameType | None) -> None:
        producer.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.create:
            ensure_stream(client, args.stream, args.shards)
        rng = random.Random(args.seed)
        series = all_series()
        if args.backfill:
            producer.put(list(backfill(series, time.time(), rng)))
            log.info("backfilled the last day: %d records", producer.sent)
        log.info("putting %.0f records/s for %d series until stopped", args.rate, len(series))
        producer.live(series, args.rate, rng)
    except (ClientError, BotoCoreError) as exc:
        log.error("%s", exc)
        return 1
    log.info("stopped after %d records", producer.sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
