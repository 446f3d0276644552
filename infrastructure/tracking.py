"""Where the read models live, and the tracking recorder whose records commit with them.

``ReadModelView`` is an ``eventsourcing`` tracking recorder backed by SQLAlchemy: a
projection writes its rows and the tracking record in one transaction, and a batch
already tracked is skipped, so every event counts exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import structlog
from eventsourcing.persistence import (
    Tracking,
    TrackingRecorder,
)
from sqlalchemy import (
    JSON,
    Connection,
    Delete,
    String,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from infrastructure import sqlite_rows
from infrastructure.pools import PoolSettings
from infrastructure.readmodels import (
    READ_MODEL_FILE,
    Base,
    ProjectionTracking,
    json_text,
    make_engine,
)

logger = structlog.get_logger()

# The read-model database.


@dataclass(frozen=True)
class ReadModelDatabase:
    """Where the read models live: a SQLAlchemy URL and, on PostgreSQL, a schema."""

    url: str
    schema: str | None = None
    pool: PoolSettings | None = None

    @classmethod
    def beside(cls, database_url: str | None, data_dir: Path,
               pool: PoolSettings | None = None) -> ReadModelDatabase:
        """Return the read-model database beside the event store.

        SQLite: a file of its own in the data dir (the projection commits never wait for
        the event store's write lock). PostgreSQL: the same database and schema.
        """
        if not database_url or urlsplit(database_url).scheme in ("sqlite", "sqlite3"):
            return cls(f"sqlite:///{Path(data_dir) / READ_MODEL_FILE}", pool=pool)
        parts = urlsplit(database_url)
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", None)
        url = urlunsplit(parts._replace(scheme="postgresql+psycopg", query=urlencode(query)))
        return cls(url, unquote(schema) if schema else None, pool)

    def engine(self) -> Engine:
        return make_engine(self.url, schema=self.schema, pool=self.pool)


# The view: a tracking recorder whose records commit with the read-model rows.


class ProjectionFault(Exception):
    """Raised by an injected fault before a projection's commit (tests only)."""


class ReadModelView(TrackingRecorder):
    """A tracking recorder over SQLAlchemy: rows and tracking commit together."""

    def __init__(self, engine: Engine, projection: str) -> None:
        self.engine = engine
        self.projection = projection
        # Called inside the transaction just before it commits; tests inject faults here.
        self.before_commit: Callable[[], None] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Open one write transaction (BEGIN IMMEDIATE on SQLite)."""
        with write_transaction(self.engine) as conn:
            yield conn
            if self.before_commit is not None:
                self.before_commit()

    def tracked(self, conn: Connection, application_name: str) -> int | None:
        """Return the tracked position, locking the row on PostgreSQL until commit."""
        stmt = select(ProjectionTracking.notification_id).where(
            ProjectionTracking.projection == self.projection,
            ProjectionTracking.application_name == application_name)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return conn.scalar(stmt)

    def track(self, conn: Connection, tracking: Tracking) -> None:
        upsert(conn, ProjectionTracking, [{
            "projection": self.projection, "application_name": tracking.application_name,
            "notification_id": tracking.notification_id}],
            keys=("projection", "application_name"))

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.transaction() as conn:
            self.track(conn, tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(ProjectionTracking.notification_id).where(
                ProjectionTracking.projection == self.projection,
                ProjectionTracking.application_name == application_name))


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open one write transaction on the read models (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect().execution_options(casetrack_write=True) as conn, conn.begin():
        yield conn


def tracked_positions(conn: Connection, application_name: str) -> dict[str, int]:
    """Return every projection's tracked position (``ReadModelView.tracked`` for all of
    them in one query, the rows locked on PostgreSQL until commit)."""
    if sqlite_rows.is_sqlite(conn):  # once a batch: past SQLAlchemy's per-statement work
        return dict(sqlite_rows.select_rows(conn, _TRACKED, [application_name]))
    stmt = select(ProjectionTracking.projection, ProjectionTracking.notification_id).where(
        ProjectionTracking.application_name == application_name)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {row.projection: row.notification_id for row in conn.execute(stmt)}


_TRACKED = ("SELECT projection, notification_id FROM rm_tracking "
            "WHERE application_name = ?")


def track_all(conn: Connection, projections: Sequence[str], tracking: Tracking) -> None:
    """Track ``tracking`` for each of ``projections`` (``ReadModelView.track`` for many)."""
    upsert(conn, ProjectionTracking, [{
        "projection": name, "application_name": tracking.application_name,
        "notification_id": tracking.notification_id} for name in projections],
        keys=("projection", "application_name"))


def among(conn: Connection, column: Any, values: Sequence[str]) -> Any:
    """``column IN values``: one array parameter on PostgreSQL (one statement text, so the
    driver prepares it once), an IN list on SQLite."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("among", list(values),
                                        type_=postgresql.ARRAY(String)))
    return column.in_(list(values))


def delete_children(conn: Connection, model: type[Base], child_ids: Sequence[str]) -> None:
    """Delete ``model``'s rows of the children ``child_ids`` (``among`` them), by a
    statement built once per table and dialect (a batch deletes from every table); on
    SQLite through the driver's cursor (``infrastructure.sqlite_rows``)."""
    if sqlite_rows.is_sqlite(conn):
        sqlite_rows.delete_among(conn, model.__table__, "child_id",  # type: ignore[arg-type]
                                 child_ids)
        return
    conn.execute(_children_delete(model.__table__, conn.dialect.name),  # type: ignore[arg-type]
                 {"among": list(child_ids)})


@cache
def _children_delete(table: Table, dialect_name: str) -> Delete:
    column = table.c.child_id
    if dialect_name == "postgresql":
        return delete(table).where(column == any_(bindparam(
            "among", type_=postgresql.ARRAY(String))))
    return delete(table).where(column.in_(bindparam("among", expanding=True)))


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): COPY on PostgreSQL, the driver's
    executemany on SQLite (``infrastructure.sqlite_rows``), SQLAlchemy's else.

    COPY writes in the connection's transaction, so the rows still commit with the
    tracking record. JSON values are serialised as SQLAlchemy's JSON type serialises them
    (the engine's ``json_text``; None as JSON null).
    """
    if not rows:
        return
    if sqlite_rows.is_sqlite(conn) and sqlite_rows.insert(
            conn, model.__table__, rows):  # type: ignore[arg-type]
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    table = model.__table__
    columns = list(rows[0])
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]  # type: ignore[attr-defined]
    statement = "COPY {} ({}) FROM STDIN".format(
        conn.dialect.identifier_preparer.format_table(table),  # type: ignore[arg-type]
        ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json_text(row[c]) if j else row[c]
                            for c, j in zip(columns, as_json, strict=True)])


def upsert(conn: Connection, model: type[Base], rows: list[dict[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert ``rows``, replacing any with the same ``keys`` (PostgreSQL and SQLite)."""
    if not rows:
        return
    if sqlite_rows.is_sqlite(conn) and sqlite_rows.upsert(
            conn, model.__table__, rows, keys):  # type: ignore[arg-type]
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)

