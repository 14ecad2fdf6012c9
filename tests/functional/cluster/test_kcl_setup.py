"""``graphmetrics-kcl run`` refuses a bad setup with one message and exit 2, before any
JVM starts: missing Java or jars, DynamoDB unreachable, a stream that is not there."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.functional.cluster import harness

pytestmark = pytest.mark.cluster

KCL = str(harness.BIN / "graphmetrics-kcl")


def kcl(*args: str, **options: str) -> subprocess.CompletedProcess[str]:
    argv = [KCL, *args]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", value]
    return subprocess.run(argv, env=harness.env(), capture_output=True, text=True, timeout=120)


@pytest.fixture
def base(kinesis_local: str, moto_server: str, tmp_path: Path) -> dict[str, str]:
    stream = harness.create_stream(harness.client("kinesis", kinesis_local), 1)
    return {
        "stream": stream,
        "endpoint_url": kinesis_local,
        "dynamodb_endpoint_url": moto_server,
        "rrd_dir": str(tmp_path / "rrd"),
    }


def test_help_documents_the_settings() -> None:
    out = kcl("--help")
    assert out.returncode == 0
    for option in ("--stream", "--application-name", "--dynamodb-endpoint-url", "--failover-time"):
        assert option in out.stdout


def test_properties_are_printed_from_the_settings(base: dict[str, str]) -> None:
    out = kcl("properties", **base, failover_time="7.5", worker_id="host-a")
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" = ", 1) for line in out.stdout.splitlines() if " = " in line)
    assert lines["streamName"] == base["stream"]
    assert lines["dynamoDBEndpoint"] == base["dynamodb_endpoint_url"]
    assert lines["kinesisEndpoint"] == base["endpoint_url"]
    assert lines["failoverTimeMillis"] == "7500"
    assert lines["workerId"] == "host-a"
    assert lines["initialPositionInStream"] == "TRIM_HORIZON"
    assert lines["executableName"].endswith("-m graphmetrics.cli.kcl process")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"java": "/nonexistent/java"}, "Java not found ('/nonexistent/java')"),
        ({"jars_dir": "{tmp}"}, "no amazon-kinesis-client-multilang-*.jar in"),
        ({"dynamodb_endpoint_url": "http://127.0.0.1:{port}"}, "cannot reach DynamoDB at"),
        ({"stream": "no-such-stream"}, "Kinesis stream 'no-such-stream' not found at"),
        ({"failover_time": "-1"}, "bad value for failover_time"),
    ],
)
def test_a_bad_setup_exits_2_naming_what_to_fix(
    base: dict[str, str], tmp_path: Path, change: dict[str, str], message: str
) -> None:
    options = dict(base)
    for key, value in change.items():
        options[key] = value.format(tmp=tmp_path, port=harness.free_port())
    out = kcl("run", **options)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "rrd" / ".state").exists()  # nothing started
