"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from application.tracking import CaseTracking
from infrastructure.migrations import upgrade
from infrastructure.persistence import event_store_env
from infrastructure.readmodels import make_engine
from tests.postgres import fresh_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def read_model_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty read-model database migrated to head: a SQLite file, or a PostgreSQL
    schema of this test's own."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'rm.sqlite'}")
        upgrade(made)
        yield made
        made.dispose()
        return
    from infrastructure.tracking import ReadModelDatabase

    with fresh_schema(request.getfixturevalue("postgres_url")) as url:
        made = ReadModelDatabase.beside(url, tmp_path).engine()
        upgrade(made)
        yield made
        made.dispose()


@contextmanager
def applications(store_url: str | None, tmp_path: Path, today: date, count: int = 2
                 ) -> Iterator[list[CaseTracking]]:
    """``count`` applications on one store (``store_url``, or SQLite in ``tmp_path``), as
    that many server processes would be, each on the day ``today``; closed afterwards."""
    env = event_store_env(store_url, tmp_path)
    made = [CaseTracking(env=env, today=lambda: today) for _ in range(count)]
    try:
        yield made
    finally:
        for app in made:
            app.close()
