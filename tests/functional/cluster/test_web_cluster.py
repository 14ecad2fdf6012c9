"""Several web processes on one PostgreSQL database behind haproxy (issue #13, item 3).

One PostgreSQL server and one pair of ``graphmetrics-web`` processes (started at the
same moment on an empty database) serve the module; haproxy checks them with
``GET /healthz``.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphmetrics.saved.db import lock_for_migrations, make_engine, upgrade
from tests.conftest import REPO
from tests.functional.cluster import web_engines as engines
from tests.functional.cluster.harness import stop, wait_until
from tests.functional.web_app.data import write_tracelog

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

HEAD = "0005_page_variables"


@pytest.fixture(scope="module")
def postgres() -> Iterator[engines.Postgres]:
    with engines.postgres() as server:
        yield server


@dataclass
class WebCluster:
    web: list[engines.WebProcess]
    balancer: engines.Haproxy
    db_name: str

    @property
    def ports(self) -> list[int]:
        return [w.port for w in self.web]


@pytest.fixture(scope="module")
def cluster(
    postgres: engines.Postgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebCluster]:
    root = tmp_path_factory.mktemp("web-cluster")
    rrd_dir = root / "rrd"
    write_tracelog(rrd_dir, hours=2)
    db_url = postgres.create_database("graphs")
    ini = engines.write_app_ini(root / "web.ini", rrd_dir, db_url)
    # both at once, on an empty database: each tries to create the schema
    web = [engines.start_web(ini, root / f"web{n}.log") for n in (1, 2)]
    try:
        for process in web:
            engines.wait_serving(process)
        with engines.haproxy(root, [w.port for w in web]) as balancer:
            yield WebCluster(web, balancer, "graphs")
    finally:
        for process in web:
            stop(process.proc)


def test_processes_started_together_migrate_the_schema_once(
    cluster: WebCluster, postgres: engines.Postgres
) -> None:
    rows = postgres.execute("SELECT version_num FROM alembic_version", "graphs")
    assert rows == [(HEAD,)]
    logs = [w.output() for w in cluster.web]
    for log in logs:
        assert "Traceback" not in log and "ERROR" not in log, log
    ran = [log for log in logs if "Running upgrade  -> 0001" in log]
    assert len(ran) == 1, logs


def test_concurrent_upgrades_wait_for_the_advisory_lock(postgres: engines.Postgres) -> None:
    url = postgres.create_database("race")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def migrate() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert postgres.execute("SELECT count(*) FROM alembic_version", "race") == [(1,)]


def test_alembic_by_hand_takes_the_same_lock(postgres: engines.Postgres) -> None:
    url = postgres.create_database("by_hand")
    argv = [str(engines.BIN / "alembic"), "-c", str(REPO / "etc" / "alembic.ini")]
    env = {**engines.clean_env(), "GRAPHMETRICS_DB_URL": url}
    holder = make_engine(url)
    try:
        with holder.begin() as connection:  # another process is migrating
            lock_for_migrations(connection)
            waiting = subprocess.Popen([*argv, "upgrade", "head"], env=env, text=True)
            with pytest.raises(subprocess.TimeoutExpired):
                waiting.wait(3)
        assert waiting.wait(30) == 0
    finally:
        holder.dispose()
    rows = postgres.execute("SELECT version_num FROM alembic_version", "by_hand")
    assert rows == [(HEAD,)]


def sign_in(client: engines.Client, port: int, user: str) -> None:
    assert client.send(port, "GET", f"/login?user={user}").status == 302
    assert client.send(port, "GET", f"/{user}/default/").status == 200  # the CSRF cookie


def test_a_sign_in_on_one_process_holds_on_the_other(cluster: WebCluster) -> None:
    one, other = cluster.ports
    client = engines.Client()
    assert client.send(other, "GET", "/api/users").status in (302, 401, 403)
    sign_in(client, one, "carol")
    assert client.send(other, "GET", "/api/users").status == 200
    assert "carol" in client.send(other, "GET", "/api/users").text
    # the same cookie, tampered with, is refused there
    forged = engines.Client()
    forged.cookies = {**client.cookies}
    forged.cookies["graphmetrics_auth"] = forged.cookies["graphmetrics_auth"].replace("a", "b", 1)
    assert forged.send(other, "GET", "/api/users").status != 200


def test_a_graph_saved_through_one_process_is_served_by_the_other_and_haproxy(
    cluster: WebCluster,
) -> None:
    one, other = cluster.ports
    client = engines.Client()
    sign_in(client, one, "alice")
    api = "/api/pages/tracelog/alice/default"
    graph = client.send(one, "GET", "/api/tracelog/graph?kind=instance&instance=app1__acme__inst1")
    card = {"definition": graph.json()["definition"], "view": {"start": "-1d", "end": "now"}}
    generation = client.send(one, "GET", api).json()["generation"]
    saved = client.send(one, "PUT", api, {"generation": generation, "graphs": [card]})
    assert saved.status == 200, saved.text
    for port in (other, cluster.balancer.port):
        page = client.send(port, "GET", api)
        assert page.status == 200
        assert page.json()["generation"] == saved.json()["generation"]
        graphs = [(g["id"], g["definition"], g["view"]) for g in page.json()["graphs"]]
        assert graphs == [(saved.json()["graphs"][0]["id"], card["definition"], card["view"])]
    # the other process sees the new generation: a write based on the old one conflicts
    stale = client.send(other, "PUT", api, {"generation": generation, "graphs": []})
    assert stale.status == 409, stale.text


def test_haproxy_spreads_requests_over_both_processes(cluster: WebCluster) -> None:
    before = {name: int(row["stot"]) for name, row in cluster.balancer.stat().items()}
    for _ in range(6):
        assert engines.request(cluster.balancer.port, "GET", "/login").status == 200
    after = {name: int(row["stot"]) for name, row in cluster.balancer.stat().items()}
    assert {name: after[name] - before[name] for name in after} == {"web1": 3, "web2": 3}


def test_healthz_fails_while_postgres_is_down(
    cluster: WebCluster, postgres: engines.Postgres
) -> None:
    balancer = cluster.balancer
    for port in cluster.ports:
        answer = engines.request(port, "GET", "/healthz")
        assert (answer.status, answer.text) == (200, "ok\n")
        assert "Set-Cookie" not in answer.headers
    wait_until(lambda: all_status(balancer, "UP"), 10, "haproxy to see both processes UP")
    postgres.stop()
    try:
        for port in cluster.ports:
            answer = engines.request(port, "GET", "/healthz")
            assert answer.status == 503
            assert answer.text == "database: cannot query (OperationalError)\n"
        wait_until(lambda: all_status(balancer, "DOWN"), 10, "haproxy to take both DOWN")
        assert engines.request(balancer.port, "GET", "/login").status == 503
    finally:
        postgres.start()
    # the pool throws its dead connections away (pool_pre_ping): back without a restart
    for port in cluster.ports:
        assert engines.request(port, "GET", "/healthz").status == 200
    wait_until(lambda: all_status(balancer, "UP"), 10, "haproxy to bring both back UP")


def all_status(balancer: engines.Haproxy, status: str) -> bool:
    rows = balancer.stat()
    return len(rows) == 2 and all(row["status"] == status for row in rows.values())


def run_web(config: Path) -> subprocess.CompletedProcess[str]:
    argv = [str(engines.BIN / "graphmetrics-web"), "--config", str(config), "--port", "1"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=engines.clean_env())


@pytest.mark.parametrize(
    ("processes", "why"),
    [(2, "web_processes = 2"), (1, "db_url is a shared postgresql database")],
)
def test_processes_without_auth_secret_are_refused(
    postgres: engines.Postgres, tmp_path: Path, processes: int, why: str
) -> None:
    ini = engines.write_app_ini(
        tmp_path / "web.ini", tmp_path, postgres.url(), auth_secret=None, processes=processes
    )
    done = run_web(ini)
    assert done.returncode == 2
    assert f"{why}: set auth_secret (GRAPHMETRICS_AUTH_SECRET)" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_is_named_without_a_traceback(tmp_path: Path) -> None:
    port = engines.free_port()  # nothing listens there
    db_url = f"postgresql+psycopg://graphs:s3cret@127.0.0.1:{port}/graphs"
    done = run_web(engines.write_app_ini(tmp_path / "web.ini", tmp_path, db_url))
    assert done.returncode == 1
    assert (
        f"cannot open the saved-graph database postgresql+psycopg://graphs:***@127.0.0.1:{port}/graphs"
        in done.stderr
    )
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
