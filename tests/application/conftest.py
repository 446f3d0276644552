"""The hand-built cohorts' world: a fresh SQLite store per test (tests/application), or
one per store for the worked examples whose questions the database may count itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.application.reports_cohort import World, world_on


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_on(tmp_path, None) as w:
        yield w


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world on SQLite, then on a PostgreSQL schema of its own (where some questions
    are counted in SQL: the worked example must give the same figures there)."""
    if request.param == "sqlite":
        with world_on(tmp_path, None) as w:
            yield w
        return
    from tests.postgres import fresh_schema

    with fresh_schema(request.getfixturevalue("postgres_url")) as url, \
            world_on(tmp_path, url) as w:
        yield w
