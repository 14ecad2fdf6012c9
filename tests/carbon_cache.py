"""Debian's carbon-cache (graphite-carbon), the reference receiver, in the foreground
with a configuration of the test's own: whisper files under ``storage/whisper``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port, listening, wait_for

CARBON_CONF = """\
[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {storage}/whisper
WHITELISTS_DIR = {storage}/lists
CONF_DIR = {conf}
LOG_DIR = {work}/log
PID_DIR = {work}/run
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query}
LOG_UPDATES = False
LOG_CREATES = False
LOG_LISTENER_CONNECTIONS = False
"""


@dataclass
class CarbonCache:
    proc: subprocess.Popen[bytes]
    line_port: int
    whisper: Path


@contextmanager
def running_carbon_cache(
    work: Path, storage: Path, schemas: str, aggregation: str = ""
) -> Iterator[CarbonCache]:
    """carbon-cache writing whisper files under ``storage/whisper`` with the rules of
    ``schemas`` (storage-schemas.conf text) and ``aggregation``."""
    conf = work / "carbon-conf"
    for folder in (conf, storage / "whisper", work / "log", work / "run"):
        folder.mkdir(parents=True, exist_ok=True)
    (conf / "storage-schemas.conf").write_text(schemas)
    (conf / "storage-aggregation.conf").write_text(aggregation)
    line = free_port()
    (conf / "carbon.conf").write_text(
        CARBON_CONF.format(
            storage=storage, conf=conf, work=work, line=line, pickle=free_port(), query=free_port()
        )
    )
    proc = subprocess.Popen(
        ["carbon-cache", f"--config={conf}/carbon.conf", "--nodaemon", "start"],
        stdout=open(work / "log" / "carbon-cache.out", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: listening(line) or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, (work / "log" / "carbon-cache.out").read_text()
        yield CarbonCache(proc, line, storage / "whisper")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
