"""CASETRACK_DATABASE_URL means what it says: every query option (sslmode,
application_name, options...) reaches every connection — the event store and access log
(eventsourcing), the read models, the vault, the access index and the checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import eventsourcing.persistence
import pytest
import sqlalchemy.exc
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from sqlalchemy import text

from infrastructure.checkpoints import CheckpointStore
from infrastructure.persistence import event_store_env
from infrastructure.projections import ReadModelDatabase
from tests.conftest import settings_for
from web.config import Settings

APP_NAME = "casetrack-url-options"


def test_query_options_other_than_schema_go_to_the_event_store_connections() -> None:
    env = event_store_env("postgresql://u@db.example/cases?schema=s1&sslmode=require"
                          "&application_name=ct&options=-c%20statement_timeout%3D5000",
                          Path("."))
    assert env["POSTGRES_SCHEMA"] == "s1"
    assert dict(p.split("=", 1) for p in env["POSTGRES_CONNECT_OPTIONS"].split("&")) == {
        "sslmode": "require", "application_name": "ct",
        "options": "-c+statement_timeout%3D5000"}


def test_a_url_without_options_adds_none() -> None:
    env = event_store_env("postgresql://u@db.example/cases?schema=s1", Path("."))
    assert "POSTGRES_CONNECT_OPTIONS" not in env


@contextmanager
def _eventsourcing(env: dict[str, str]) -> Iterator[Callable[[str], Any]]:
    factory = InfrastructureFactory.construct(Environment("CaseTracking", env))
    datastore = factory.datastore  # type: ignore[attr-defined]
    try:
        def show(setting: str) -> Any:
            with datastore.get_connection() as conn:
                return next(iter(conn.execute(f"SHOW {setting}").fetchone().values()))
        yield show
    finally:
        datastore.close()


@contextmanager
def _engine(engine: Any) -> Iterator[Callable[[str], Any]]:
    try:
        def show(setting: str) -> Any:
            with engine.connect() as conn:
                return conn.execute(text(f"SHOW {setting}")).scalar()
        yield show
    finally:
        engine.dispose()


def _openers(settings: Settings) -> dict[str, Callable[[], Any]]:
    from web.personal_data import vault_for
    from web.security import access_index_for

    return {
        "event store": lambda: _eventsourcing(settings.event_store_env()),
        "access log": lambda: _eventsourcing(settings.access_log_env()),
        "read models": lambda: _engine(ReadModelDatabase.beside(
            settings.database_url, settings.data_dir).engine()),
        "vault": lambda: _engine(vault_for(settings)._engine),
        "access index": lambda: _engine(access_index_for(settings).engine),
        "checkpoints": lambda: _engine(CheckpointStore.beside(
            settings.database_url, settings.data_dir).engine),
    }


PARTS = ["event store", "access log", "read models", "vault", "access index", "checkpoints"]


@pytest.mark.postgres
@pytest.mark.parametrize("part", PARTS)
def test_every_connection_carries_the_urls_options_and_its_schema(
        tmp_path: Path, postgres_schema_url: str, part: str) -> None:
    url = (postgres_schema_url + f"&application_name={APP_NAME}"
           "&options=-c%20statement_timeout%3D4321")
    schema = dict(p.split("=", 1) for p in postgres_schema_url.split("?")[1].split("&"))[
        "schema"]
    settings = settings_for(tmp_path, url)
    with _openers(settings)[part]() as show:
        assert show("application_name") == APP_NAME
        assert show("statement_timeout") == "4321ms"
        if part not in ("event store", "access log"):  # eventsourcing qualifies names
            assert show("search_path").split(",")[0].strip() == schema


@pytest.mark.postgres
@pytest.mark.parametrize("part", PARTS)
def test_sslmode_require_is_not_dropped(tmp_path: Path, postgres_schema_url: str,
                                        part: str) -> None:
    """The test server has no TLS: a connection that honours sslmode=require fails (the
    eventsourcing pool keeps retrying it until its timeout); one that drops it succeeds."""
    settings = settings_for(tmp_path, postgres_schema_url + "&sslmode=require")
    with pytest.raises((sqlalchemy.exc.OperationalError, eventsourcing.persistence.
                        OperationalError)) as raised:
        with _openers(settings)[part]() as show:
            show("ssl")
    expected = ("couldn't get a connection" if part in ("event store", "access log")
                else "SSL")
    assert expected in str(raised.value)
