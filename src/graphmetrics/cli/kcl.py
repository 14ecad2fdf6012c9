"""``graphmetrics-kcl``: a Kinesis consumer worker sharing the shards with other hosts.

``graphmetrics-kcl [run]`` checks the setup, writes the KCL MultiLangDaemon's
properties and replaces itself with the daemon (Java 17); ``graphmetrics-kcl
properties`` prints those properties; the daemon runs ``graphmetrics-kcl process``,
the record processor (:mod:`graphmetrics.collect.kcl`), once per shard it leases.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from graphmetrics import settings
from graphmetrics.collect.kcl_daemon import (
    DaemonOptions,
    SetupError,
    check_dynamodb,
    check_stream,
    find_jars,
    find_java,
    java_command,
    logback_xml,
    processor_environment,
    properties,
    resolve_region,
    write_atomically,
)
from graphmetrics.collect.settings import KinesisEndpointSettings, MetricsStorageSettings
from graphmetrics.rrd import cached
from graphmetrics.rrd.limits import DiskFloor

log = logging.getLogger("graphmetrics.kcl")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MODES = ("run", "properties", "process")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

DESCRIPTION = """\
A Kinesis metrics consumer for several hosts: each runs one worker; the Kinesis Client
Library (KCL 3, its Java MultiLangDaemon) shares the stream's shards among the workers
through leases and checkpoints kept in DynamoDB (tables named after
--application-name), reads parents to their end before their children and moves the
leases of a worker that stopped renewing them (--failover-time). Records are decoded
and written to <rrd-dir>/metrics/<name>.rrd exactly as graphmetrics-kinesis does, and
a shard's checkpoint moves only after its records are written.

Modes: `graphmetrics-kcl [run] [options]` checks Java, the KCL jars, DynamoDB and the
stream, writes <state-dir>/kcl-<application>.properties and runs
`java -cp <jars>/* software.amazon.kinesis.multilang.MultiLangDaemon` in its place
(SIGTERM: the daemon hands its leases over and exits); `graphmetrics-kcl properties
[options]` prints the properties file instead; `graphmetrics-kcl process` is the
record processor the daemon starts per shard (it reads --rrd-dir, --rrdcached,
--log-level, --log-file and --status-interval from the GRAPHMETRICS_* variables run
sets). Exit 2: a setting or the setup is wrong (the message says what to fix)."""


@dataclass(frozen=True, kw_only=True)
class ProcessorSettings(MetricsStorageSettings):
    log_level: str = settings.option(
        "INFO",
        "log level of the worker and its record processors (DEBUG logs every batch)",
        parse=lambda text: _choice(text.upper(), LOG_LEVELS),
        metavar="LEVEL",
    )
    log_file: Path | None = settings.option(
        None,
        "record processors log to this file; unset: to the daemon, which logs what they say",
        parse=settings.parse_optional_path,
        metavar="FILE",
    )
    status_interval: float = settings.option(
        60.0,
        "seconds between a record processor's status lines",
        parse=settings.positive_float,
        metavar="S",
    )
    creations_journal: Path | None = settings.option(
        None,
        "the file where the record processors of this worker note the files they create "
        "(their shared budget of new files, kept across restarts); set by `run`",
        parse=settings.parse_optional_path,
        metavar="FILE",
    )


@dataclass(frozen=True, kw_only=True)
class KCLSettings(ProcessorSettings, KinesisEndpointSettings):
    stream: str = settings.option(settings.REQUIRED, "Kinesis stream name", metavar="NAME")
    application_name: str = settings.option(
        "graphmetrics",
        "KCL application: the workers sharing the stream; names its DynamoDB tables",
        metavar="NAME",
    )
    dynamodb_endpoint_url: str | None = settings.option(
        None,
        "DynamoDB endpoint URL (e.g. a local moto server); unset: AWS",
        parse=settings.parse_optional_str,
        metavar="URL",
    )
    failover_time: float = settings.option(
        10.0,
        "seconds after which a worker that stopped renewing its leases loses them",
        parse=settings.positive_float,
        metavar="S",
    )
    lease_assignment_interval: float | None = settings.option(
        None,
        "seconds between the KCL leader's lease assignments; unset: 2 x --failover-time",
        parse=lambda text: settings.positive_float(text) if text.strip() else None,
        metavar="S",
    )
    parent_poll_interval: float = settings.option(
        10.0,
        "seconds between checks whether a child shard's parents are finished",
        parse=settings.positive_float,
        metavar="S",
    )
    idle_time_between_reads: float = settings.option(
        1.0,
        "seconds between two GetRecords calls on a shard",
        parse=settings.positive_float,
        metavar="S",
    )
    max_records: int = settings.option(
        10_000, "records per GetRecords call, at most", parse=settings.positive_int, metavar="N"
    )
    initial_position: str = settings.option(
        "TRIM_HORIZON",
        "where a shard without a checkpoint starts: TRIM_HORIZON or LATEST",
        parse=lambda text: _choice(text.upper(), ("TRIM_HORIZON", "LATEST")),
        metavar="POS",
    )
    worker_id: str | None = settings.option(
        None,
        "this worker's id, unique among the application's workers; unset: a random one",
        parse=settings.parse_optional_str,
        metavar="ID",
    )
    state_dir: Path | None = settings.option(
        None,
        "where the daemon's properties and logback files are written; unset: <rrd-dir>/.state",
        parse=settings.parse_optional_path,
        metavar="DIR",
    )
    java: str = settings.option("java", "the Java 17+ runtime to run", metavar="PATH")
    java_options: str = settings.option(
        "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError",
        "options for the JVM",
        metavar="OPTS",
    )
    jars_dir: Path | None = settings.option(
        None,
        "folder of the KCL 3 jars; unset: those of the installed kclpy-ext",
        parse=settings.parse_optional_path,
        metavar="DIR",
    )


def _choice(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return value


def setup_logging(level: str, handler: logging.Handler) -> None:
    """INFO for the libraries (botocore at DEBUG prints every request), ``level`` for
    graphmetrics."""
    if handler.formatter is None:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("graphmetrics").setLevel(level)


def daemon_options(config: KCLSettings, region: str) -> DaemonOptions:
    return DaemonOptions(
        stream=config.stream,
        application_name=config.application_name,
        region=region,
        kinesis_endpoint=config.endpoint_url,
        dynamodb_endpoint=config.dynamodb_endpoint_url,
        failover_time=config.failover_time,
        lease_assignment_interval=config.lease_assignment_interval,
        parent_poll_interval=config.parent_poll_interval,
        idle_time_between_reads=config.idle_time_between_reads,
        max_records=config.max_records,
        initial_position=config.initial_position,
        worker_id=config.worker_id,
    )


def processor_command() -> list[str]:
    """How the daemon starts a record processor: this Python, this module."""
    return [sys.executable, "-m", "graphmetrics.cli.kcl", "process"]


def processor_values(config: ProcessorSettings) -> dict[str, str | None]:
    values = {name: getattr(config, name) for name in ProcessorSettings.__dataclass_fields__}
    return {
        name: None
        if value is None
        else value.setting()
        if isinstance(value, DiskFloor)
        else str(value)
        for name, value in values.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    mode = args.pop(0) if args and args[0] in MODES else "run"
    if mode == "process":
        return process(args)
    config = settings.from_command_line(
        KCLSettings, args, prog=f"graphmetrics-kcl {mode}", description=DESCRIPTION
    )
    setup_logging(config.log_level, logging.StreamHandler())
    try:
        region = resolve_region(config.region)
        text = properties(daemon_options(config, region), processor_command())
        if mode == "properties":
            sys.stdout.write(text)
            return 0
        return run(config, region, text)
    except SetupError as exc:
        log.error("%s", exc)
        return 2


def run(config: KCLSettings, region: str, text: str) -> int:
    """Check the setup, write the daemon's files and become the daemon (no return)."""
    java = find_java(config.java)
    jars = find_jars(config.jars_dir)
    check_dynamodb(config.dynamodb_endpoint_url, region)
    check_stream(config.stream, config.endpoint_url, region)
    state_dir = config.state_dir or config.rrd_dir / ".state"
    suffix = f"-{config.worker_id}" if config.worker_id else ""
    base = state_dir / f"kcl-{config.application_name}{suffix}"
    properties_file = base.with_name(base.name + ".properties")
    logback_file = base.with_name(base.name + ".logback.xml")
    try:
        if not config.rrdcached or cached.is_unix(config.rrdcached):  # else on the node
            config.rrd_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(properties_file, text)
        write_atomically(logback_file, logback_xml(config.log_level))
    except OSError as exc:
        raise SetupError(f"cannot write the daemon's files in {state_dir}: {exc}") from exc
    command = java_command(
        java, shlex.split(config.java_options), jars, properties_file, logback_file
    )
    journal = config.creations_journal or base.with_name(base.name + ".creations")
    os.environ.update(
        processor_environment(processor_values(replace(config, creations_journal=journal)))
    )
    log.info(
        "stream %s, application %s%s: starting the KCL MultiLangDaemon (%s)",
        config.stream,
        config.application_name,
        f", worker {config.worker_id}" if config.worker_id else "",
        properties_file,
    )
    logging.shutdown()
    os.execv(java, command)
    return 0  # not reached


def process(args: Sequence[str]) -> int:
    """The record processor: the MultiLangDaemon speaks to it on stdin and stdout."""
    config = settings.from_command_line(
        ProcessorSettings,
        args,
        prog="graphmetrics-kcl process",
        description="The KCL record processor the MultiLangDaemon runs per shard; "
        "it speaks the MultiLangDaemon protocol on stdin and stdout.",
    )
    if config.log_file is not None:
        handler: logging.Handler = logging.FileHandler(config.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)  # stdout is the protocol's
    handler.setFormatter(logging.Formatter(f"%(process)d {LOG_FORMAT}"))
    setup_logging(config.log_level, handler)
    from graphmetrics.collect.instrumentation import KINESIS_GC, tune_gc
    from graphmetrics.collect.kcl import MetricRecordProcessor, run_processor
    from graphmetrics.rrd.store import RRDStore

    tune_gc(KINESIS_GC)
    # The daemon says when to stop (it closes stdin): a Ctrl-C or SIGTERM reaching the
    # whole process group must not interrupt a write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    limits = config.create_limits(journal=config.creations_journal)
    store = RRDStore(config.rrd_dir, rrdcached=config.rrdcached, limits=limits)
    run_processor(
        MetricRecordProcessor(
            store,
            status_interval=config.status_interval,
            future_tolerance=config.future_tolerance,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
