"""Starting the KCL MultiLangDaemon: checks, its properties file, its command line.

``graphmetrics-kcl run`` checks what a worker needs before the JVM starts (Java 17,
the KCL jars, DynamoDB reachable, the stream there), so a bad setting ends with one
clear message (exit 2) instead of a JVM retrying in a loop under its supervisor;
then it writes the MultiLangDaemon's properties and logback files and replaces
itself with ``java``.  The daemon runs ``graphmetrics-kcl process`` (in this
environment) once per leased shard.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

MULTILANG_DAEMON = "software.amazon.kinesis.multilang.MultiLangDaemon"
MULTILANG_JAR = "amazon-kinesis-client-multilang-*.jar"
JAVA_MIN = 17


class SetupError(RuntimeError):
    """Something a worker needs is missing or wrong; the message says what to fix."""


@dataclass(frozen=True)
class DaemonOptions:
    """What the properties file says; durations in seconds."""

    stream: str
    application_name: str
    region: str
    kinesis_endpoint: str | None
    dynamodb_endpoint: str | None
    failover_time: float
    lease_assignment_interval: float | None
    parent_poll_interval: float
    idle_time_between_reads: float
    max_records: int
    initial_position: str
    worker_id: str | None


def find_java(java: str) -> str:
    """The path of a Java 17+ runtime named ``java`` (a name on PATH or a path)."""
    path = shutil.which(java)
    if path is None:
        raise SetupError(
            f"Java not found ({java!r}): install Java {JAVA_MIN} (Debian: "
            "apt-get install openjdk-17-jre-headless) or set --java / GRAPHMETRICS_JAVA"
        )
    try:
        out = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"cannot run {path} -version: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise SetupError(f"{path} -version says no version: {out.stderr.strip()[:200]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" is Java 8
        major = int(match.group(2))
    if major < JAVA_MIN:
        raise SetupError(
            f"{path} is Java {major}; the KCL 3 MultiLangDaemon needs Java {JAVA_MIN} or later "
            "(Debian: openjdk-17-jre-headless), or set --java"
        )
    return path


def default_jars_dir() -> Path | None:
    """The jars bundled with the installed amazon_kclpy (kclpy-ext), if any."""
    try:
        import amazon_kclpy
    except ImportError:
        return None
    return Path(amazon_kclpy.__file__).parent / "jars"


def find_jars(jars_dir: Path | None) -> Path:
    """The folder holding the KCL jars (the MultiLangDaemon's among them)."""
    folder = jars_dir or default_jars_dir()
    if folder is None:
        raise SetupError(
            "the KCL jars are not installed: pip install 'graphmetrics[cluster]' "
            "(kclpy-ext), or set --jars-dir to a folder of KCL 3 jars"
        )
    if not any(folder.glob(MULTILANG_JAR)):
        raise SetupError(
            f"no {MULTILANG_JAR} in {folder}: reinstall kclpy-ext "
            "(pip install 'graphmetrics[cluster]') or point --jars-dir at the KCL 3 jars"
        )
    return folder


def aws_client(service: str, endpoint: str | None, region: str) -> object:
    """A client for one quick check: short timeouts, no retries."""
    config = Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 1})
    session = boto3.session.Session(region_name=region)
    return session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]


def where(endpoint: str | None, region: str) -> str:
    return f"at {endpoint}" if endpoint else f"in region {region}"


def check_dynamodb(endpoint: str | None, region: str) -> None:
    """DynamoDB answers with these credentials (the KCL keeps its leases there)."""
    client = aws_client("dynamodb", endpoint, region)
    try:
        client.list_tables(Limit=1)  # type: ignore[attr-defined]
    except NoCredentialsError as exc:
        raise SetupError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials "
            "or an instance role"
        ) from exc
    except (BotoCoreError, ClientError) as exc:
        raise SetupError(
            f"cannot reach DynamoDB {where(endpoint, region)} ({exc}): check "
            "--dynamodb-endpoint-url / --region and that the KCL may use DynamoDB"
        ) from exc


def check_stream(stream: str, endpoint: str | None, region: str) -> None:
    """The stream exists and can be read."""
    client = aws_client("kinesis", endpoint, region)
    try:
        summary = client.describe_stream_summary(StreamName=stream)  # type: ignore[attr-defined]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise SetupError(
                f"Kinesis stream {stream!r} not found {where(endpoint, region)}: check --stream, "
                "--endpoint-url and --region"
            ) from exc
        raise SetupError(f"cannot describe Kinesis stream {stream!r}: {exc}") from exc
    except BotoCoreError as exc:
        raise SetupError(
            f"cannot reach Kinesis {where(endpoint, region)} ({exc}): check --endpoint-url "
            "and --region"
        ) from exc
    status = summary["StreamDescriptionSummary"]["StreamStatus"]
    if status not in ("ACTIVE", "UPDATING"):
        raise SetupError(f"Kinesis stream {stream!r} is {status}, not ACTIVE")


def resolve_region(region: str | None) -> str:
    """The setting, else the boto3 chain (AWS_DEFAULT_REGION, ~/.aws/config)."""
    name = region or boto3.session.Session().region_name
    if not name:
        raise SetupError(
            "no AWS region: pass --region, or set GRAPHMETRICS_REGION or AWS_DEFAULT_REGION"
        )
    return name


def millis(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def properties(options: DaemonOptions, executable: Sequence[str]) -> str:
    """The MultiLangDaemon's properties file; ``executable`` is the processor's command."""
    if any(" " in part or not part for part in executable):
        # The daemon splits executableName on spaces.
        raise SetupError(f"the processor command {' '.join(executable)!r} has a path with a space")
    lines = {
        "executableName": " ".join(executable),
        "streamName": options.stream,
        "applicationName": options.application_name,
        "AwsCredentialsProvider": "DefaultCredentialsProvider",
        "processingLanguage": "python/graphmetrics",
        "regionName": options.region,
        "initialPositionInStream": options.initial_position,
        "metricsLevel": "NONE",
        "RetrievalMode": "POLLING",
        "failoverTimeMillis": str(millis(options.failover_time)),
        "parentShardPollIntervalMillis": str(millis(options.parent_poll_interval)),
        "idleTimeBetweenReadsInMillis": str(millis(options.idle_time_between_reads)),
        "maxRecords": str(options.max_records),
    }
    # Workers report their metrics this often; the leader assigns leases only to
    # workers it has metrics of (the default, 30 s, makes a new worker wait that long).
    # A worker's first shard sync ends with a pause this long (default 60 s) before
    # the worker takes part; later syncs (the leader's ListShards) come this often.
    lines["shardSyncIntervalMillis"] = str(millis(min(options.failover_time, 60.0)))
    reporting = min(options.failover_time / 2, 30.0)
    lines["workerMetricsReporterFreqInMillis"] = str(millis(reporting))
    if options.lease_assignment_interval is not None:
        lines["leaseAssignmentIntervalMillis"] = str(millis(options.lease_assignment_interval))
    if options.kinesis_endpoint:
        lines["kinesisEndpoint"] = options.kinesis_endpoint
    if options.dynamodb_endpoint:
        lines["dynamoDBEndpoint"] = options.dynamodb_endpoint
    if options.worker_id:
        lines["workerId"] = options.worker_id
    for key, value in lines.items():
        if "\n" in value or "\\" in value:
            raise SetupError(f"{key} cannot contain a newline or a backslash: {value!r}")
    header = "# Written by graphmetrics-kcl run; edits are replaced at the next start.\n"
    return header + "".join(f"{key} = {value}\n" for key, value in lines.items())


def logback_xml(level: str) -> str:
    """The MultiLangDaemon's logging: one line per event on stderr, AWS SDK quiet; the
    KCL's DEBUG is far too chatty to follow ``level`` there."""
    level = "INFO" if level == "DEBUG" else level.replace("WARNING", "WARN")
    return f"""<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder>
      <pattern>%d{{ISO8601}} %-5level kcl %logger{{1}}: %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="software.amazon.awssdk" level="WARN"/>
  <logger name="io.netty" level="WARN"/>
  <root level="{level}"><appender-ref ref="STDERR"/></root>
</configuration>
"""


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def java_command(
    java: str,
    java_options: Sequence[str],
    jars: Path,
    properties_file: Path,
    logback_file: Path,
) -> list[str]:
    return [
        java,
        *java_options,
        "-cp",
        f"{jars}/*",
        MULTILANG_DAEMON,
        "--properties-file",
        str(properties_file),
        "--log-configuration",
        str(logback_file),
    ]


def processor_environment(values: Mapping[str, str | None]) -> dict[str, str]:
    """The ``GRAPHMETRICS_*`` variables handing the processor its settings."""
    return {f"GRAPHMETRICS_{k.upper()}": v for k, v in values.items() if v is not None}
