"""Shared fixtures: settings on a temporary data dir, the app, a client, tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app
from web.auth import mint_token
from web.config import Settings, load_settings
from web.services import services_of

pytest_plugins = ["tests.postgres"]

TEST_SECRET = "test-secret-" + "x" * 40
AUTHORITY = "LA-901"
# The inspectorates the tests' deployment recognises (CASETRACK_INSPECTORATES).
INSPECTORATES = "OFSTED,OFSTED-CQC,OTHER-INSPECTORATE,ANOTHER-INSPECTORATE"


def settings_for(data_dir: Path, database_url: str | None = None) -> Settings:
    # The run's PostgreSQL database is shared by every test and most run no projection
    # worker: readiness's lag bound is tested on its own (tests/e2e/test_readiness.py).
    environ = {"CASETRACK_DATA_DIR": str(data_dir), "CASETRACK_SECRET_KEY": TEST_SECRET,
               "CASETRACK_LOG_FORMAT": "json", "CASETRACK_INSPECTORATES": INSPECTORATES,
               "CASETRACK_READY_MAX_LAG": "1000000000"}
    if database_url:
        environ["CASETRACK_DATABASE_URL"] = database_url
    return load_settings(environ)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None for the embedded SQLite store, else the run's PostgreSQL database URL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_store_url(request: pytest.FixtureRequest) -> str | None:
    """As ``store_url``, but on PostgreSQL a schema of this test's own: for a test that reads
    or changes its whole store (every journey, every orphan), which in the run's shared
    database would meet what the tests running beside it keep there. A module takes it with
    ``store_url = own_store`` (below)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


def own_store(own_store_url: str | None) -> str | None:
    """A module's ``store_url`` fixture that gives each test a store of its own."""
    return own_store_url


@pytest.fixture
def app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    if store_url:  # as an operator would: `casetrack db upgrade` before serving
        from infrastructure.migrations import upgrade
        from infrastructure.projections import ReadModelDatabase

        engine = ReadModelDatabase.beside(store_url, tmp_path).engine()
        upgrade(engine)
        engine.dispose()
    flask_app = create_app(settings_for(tmp_path, store_url))
    yield flask_app
    services_of(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """Return headers with a bearer token for a role and organisation."""

    def headers(role: str = "caseworker", org: str = AUTHORITY, sub: str = "user-1",
                **extra: Any) -> dict[str, str]:
        token = mint_token(TEST_SECRET, subject=sub, role=role, organisation=org)
        return {"Authorization": f"Bearer {token}", **extra}

    return headers


@pytest.fixture
def read_side(app: Flask) -> Iterator[None]:
    """Projection runners for the app's store: the embedded server starts its own; with
    PostgreSQL they run outside the server (``casetrack projections run``), so here."""
    if services_of(app).runners is not None:
        yield
        return
    from application.tracking import CaseTracking
    from infrastructure.projections import EmbeddedRunners, ReadModelDatabase

    settings = services_of(app).settings
    runners = EmbeddedRunners(
        application_class=CaseTracking, event_store_env=settings.event_store_env(),
        database=ReadModelDatabase.beside(settings.database_url, settings.data_dir))
    yield
    runners.close()
