"""Event-store settings: turn a database URL into the eventsourcing environment.

SQLite (``eventsourcing.sqlite``) is the embedded default, one file under the data
directory; a ``postgresql://`` URL selects ``eventsourcing.postgres`` (psycopg 3, pooled).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

SQLITE_FILE = "casetrack-events.sqlite"
# eventsourcing.sqlite's application recorder with group commit (sqlitestore.py).
SQLITE_RECORDER = "infrastructure.sqlitestore:SQLiteApplicationRecorder"
# eventsourcing.postgres's factory, passing the URL's connection options (pgstore.py).
POSTGRES_MODULE = "infrastructure.pgstore:PostgresFactory"


class DatabaseURLError(ValueError):
    """Raised when a database URL is not one casetrack can use."""


# Journeys recently written or read stay in memory; a cached journey is brought up to
# date from the store ("fast-forward") on every get, so other processes' writes are seen,
# and callers get a deep copy, so a refused or lost write never touches the cached one.
CACHE_SETTINGS = {"AGGREGATE_CACHE_MAXSIZE": "5000", "AGGREGATE_CACHE_FASTFORWARD": "y",
                  "DEEPCOPY_FROM_AGGREGATE_CACHE": "y"}


def event_store_env(database_url: str | None, data_dir: Path) -> dict[str, str]:
    """Return the eventsourcing settings for ``database_url`` (SQLite when None)."""
    return _store_env(database_url, data_dir) | CACHE_SETTINGS


def _store_env(database_url: str | None, data_dir: Path) -> dict[str, str]:
    if not database_url:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(Path(data_dir) / SQLITE_FILE),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER,
        }
    parts = urlsplit(database_url)
    if parts.scheme in ("sqlite", "sqlite3"):
        name = unquote(parts.path.lstrip("/")) if parts.netloc == "" else unquote(
            parts.netloc + parts.path)
        if not name:
            raise DatabaseURLError("a sqlite URL needs a file path, e.g. sqlite:///var/x.db")
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": name,
                "SQLITE_LOCK_TIMEOUT": "10", "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER}
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise DatabaseURLError(
            f"unsupported database URL scheme {parts.scheme!r}; use postgresql:// or sqlite://")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise DatabaseURLError("a postgresql URL needs a database name")
    env = {
        "PERSISTENCE_MODULE": POSTGRES_MODULE,
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        # Not "y": in eventsourcing 9.5.6 the database insert function skips tracking
        # records and the table lock that keeps notification ids in commit order
        # (tests/integration/test_recorders.py shows both); projections need both.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    query = dict(parse_qsl(parts.query))
    if query.get("schema"):
        env["POSTGRES_SCHEMA"] = query.pop("schema")
    query.pop("schema", None)
    if query:  # sslmode, application_name, options...: every connection gets them
        env["POSTGRES_CONNECT_OPTIONS"] = urlencode(query)
    return env


def is_postgres(env: Mapping[str, str]) -> bool:
    """Is this event-store environment PostgreSQL's?"""
    return env.get("PERSISTENCE_MODULE") in (POSTGRES_MODULE, "eventsourcing.postgres")


def sqlalchemy_url(database_url: str | None, data_dir: Path, filename: str) -> str:
    """Return the SQLAlchemy URL for the read models beside the event store."""
    if not database_url:
        return f"sqlite:///{Path(data_dir) / filename}"
    parts = urlsplit(database_url)
    if parts.scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return database_url


def split_schema(url: str) -> tuple[str, dict[str, str]]:
    """Take ``?schema=`` off a SQLAlchemy URL; return the URL and the connect arguments
    that put that schema first on PostgreSQL's search path (none without a schema).

    Every other query option stays on the URL, which SQLAlchemy hands to psycopg; an
    ``options`` of the URL's own is kept beside the search path, not replaced by it.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", None)
    if not schema:
        return url, {}
    return with_search_path(urlunsplit(parts._replace(query=urlencode(query))), schema)


def with_search_path(url: str, schema: str | None) -> tuple[str, dict[str, str]]:
    """Return ``url`` and connect arguments putting ``schema`` first on the search path,
    keeping any ``options`` the URL gives (connect arguments would replace it)."""
    if not schema:
        return url, {}
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    options = " ".join(filter(None, [query.pop("options", ""),
                                     f"-csearch_path={unquote(schema)}"]))
    return urlunsplit(parts._replace(query=urlencode(query))), {"options": options}


def secure_data_dir(data_dir: Path) -> None:
    """Make the data directory (0700) and keep every file in it readable by its owner
    only (0600): SQLite creates its files, and their -wal and -shm files take the
    database file's mode, so one pass after the stores open covers them (issue 12.5)."""
    import os
    import stat

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, stat.S_IRWXU)
    for path in data_dir.iterdir():
        if path.is_file() and not path.is_symlink() and \
                stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
