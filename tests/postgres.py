"""Pytest plugin: a fresh PostgreSQL database for the test run, and a schema per test.

Set ``CASETRACK_TEST_POSTGRES_URL`` to a server URL whose user may create databases,
e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``. The session fixture
``postgres_url`` creates ``casetrack_test_<pid>_<random>`` on that server, yields its URL
and drops it when the run ends. Without the variable, tests that need PostgreSQL are
skipped, except under CI (``CI=true``), where a missing server is a failure.

Register with ``pytest_plugins = ["tests.postgres"]`` (or ``-p tests.postgres``) and
mark the tests ``@pytest.mark.postgres``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

URL_VARIABLE = "CASETRACK_TEST_POSTGRES_URL"
DATABASE_PREFIX = "casetrack_test"


def server_url_or_skip() -> str:
    """Return the server URL from the environment; skip, or fail under CI, without it."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{URL_VARIABLE} is not set, and CI=true requires the PostgreSQL tests "
                    f"to run; set it to e.g. postgresql://postgres@127.0.0.1:5432/postgres",
                    pytrace=False)
    pytest.skip(f"PostgreSQL tests are off: set {URL_VARIABLE}, e.g. "
                f"{URL_VARIABLE}=postgresql://postgres@127.0.0.1:5432/postgres")


def with_database(url: str, dbname: str) -> str:
    """Return ``url`` pointing at database ``dbname`` (query string kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def with_schema(url: str, schema: str) -> str:
    """Return ``url`` with ``?schema=`` set, which ``event_store_env`` reads."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"]
    query.append(("schema", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(url)
    # psycopg does not understand our own ``schema`` query parameter.
    conninfo = urlunsplit(parts._replace(query=urlencode(
        [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"])))
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


@contextmanager
def fresh_database(server_url: str, prefix: str = DATABASE_PREFIX) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, then drop it."""
    from psycopg.sql import SQL, Identifier

    dbname = unique_name(prefix)
    with _connect(server_url) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    try:
        yield with_database(server_url, dbname)
    finally:
        with _connect(server_url) as conn:
            # FORCE ends connections a test left open, so the drop cannot hang.
            conn.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                Identifier(dbname)))


@contextmanager
def fresh_schema(database_url: str, prefix: str = "t") -> Iterator[str]:
    """Create an empty schema in the database, yield the URL naming it, then drop it.

    eventsourcing.postgres puts its tables, composite type and insert function in
    ``POSTGRES_SCHEMA``, so a schema per test gives each test empty tables.
    """
    from psycopg.sql import SQL, Identifier

    schema = f"{prefix}_{secrets.token_hex(6)}"
    with _connect(database_url) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    try:
        yield with_schema(database_url, schema)
    finally:
        with _connect(database_url) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database created for this test run (dropped at the end)."""
    server_url = server_url_or_skip()
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """The URL of the run's database with a schema of this test's own (``?schema=``)."""
    with fresh_schema(postgres_url) as url:
        yield url
