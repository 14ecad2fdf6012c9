"""Saved graphs: models, Alembic migrations and the storage service.

``config.include("graphmetrics.saved")`` opens the database named by ``db_url``,
upgrades its schema to the newest migration, gives each request a ``dbsession``
(closed when the request ends) and registers :class:`ISavedGraphs`.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy.orm import Session, sessionmaker

from graphmetrics.saved.db import Pool, make_engine, upgrade
from graphmetrics.saved.interfaces import ISavedGraphs
from graphmetrics.saved.services import service_factory


def _dbsession(request: Request) -> Session:
    factory: sessionmaker[Session] = request.registry["graphmetrics.session_factory"]
    session = factory()

    def close(_request: Any) -> None:
        session.close()

    request.add_finished_callback(close)
    return session


def includeme(config: Configurator) -> None:
    config.include("pyramid_services")
    settings = config.get_settings()["graphmetrics"]
    pool = Pool(settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout)
    engine = make_engine(settings.db_url, pool)
    upgrade(engine)
    config.registry["graphmetrics.engine"] = engine
    config.registry["graphmetrics.session_factory"] = sessionmaker(bind=engine)
    config.add_request_method(_dbsession, "dbsession", reify=True)
    config.register_service_factory(service_factory, ISavedGraphs)
