"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from infrastructure.migrations import upgrade
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
