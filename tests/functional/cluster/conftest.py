"""Session-wide engines for the KCL tests: moto server and kinesis-local start once;
the test modules share one cluster of two KCL workers (JVM start-ups are the cost)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.cluster import harness


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with harness.moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture(scope="session")
def kinesis_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with harness.kinesis_local(tmp_path_factory.mktemp("kinesis-local")) as url:
        yield url
