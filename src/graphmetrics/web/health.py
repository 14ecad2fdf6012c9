"""What ``/healthz`` checks: can this process serve graphs right now?

A load balancer (haproxy's ``option httpchk GET /healthz``) asks every process every
few seconds, so each check is cheap: one ``SELECT 1`` on a pooled connection, one
look at the RRD folder.  A check answers None when all is well, or a short reason
for the answer (no host names or paths: ``/healthz`` needs no sign-in); details go
to the log, once per change.

Features add their own with ``config.add_health_check(name, check)``: the RRD reader
service (:mod:`graphmetrics.web.services`) adds ``storage``, which lists the RRD
folder (``reader = local``) or PINGs the storage node (``reader = rrdcached``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.registry import Registry
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

HealthCheck = Callable[[Registry], str | None]
CHECKS = "graphmetrics.health_checks"


def database_check(registry: Registry) -> str | None:
    """The saved-graph database answers ``SELECT 1``."""
    engine: Engine = registry["graphmetrics.engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.debug("database check failed", exc_info=True)
        return _reason("cannot query", exc)
    return None


def _reason(what: str, exc: Exception) -> str:
    return f"{what} ({type(exc).__name__})"


class HealthChecks:
    """The named checks, run in order; a failing check is logged when it starts or
    stops failing (not at every probe of the load balancer)."""

    def __init__(self) -> None:
        self.checks: dict[str, HealthCheck] = {}
        self._failing: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: HealthCheck) -> None:
        self.checks[name] = check

    def run(self, registry: Registry) -> dict[str, str | None]:
        results = {name: check(registry) for name, check in self.checks.items()}
        with self._lock:
            for name, problem in results.items():
                if problem and self._failing.get(name) != problem:
                    log.warning("health check %s fails: %s", name, problem)
                elif not problem and name in self._failing:
                    log.warning("health check %s passes again", name)
            self._failing = {name: p for name, p in results.items() if p}
        return results


def add_health_check(config: Configurator, name: str, check: HealthCheck) -> None:
    config.registry[CHECKS].add(name, check)


def includeme(config: Configurator) -> None:
    config.registry[CHECKS] = HealthChecks()
    config.add_directive("add_health_check", add_health_check)
    config.add_health_check("database", database_check)
