"""The access log's index: every look projected into an indexed table beside the log.

``application.access_log.AccessLog`` answers "who looked at this child's record?" from
this table when it has one: one row per look, keyed by its position in the access log,
with indexes on (child, position), (user, position) and (time, position), so a query by
child, actor or period reads only its own rows instead of the whole log. The table is a
projection: the log stays the record, and the table is caught up from the log's
notifications after its highest position before each query (inserts are idempotent:
the position is the primary key), so a look whose row was never written is found the
next time. It lives in the access log's own store: the SQLite file of the looks, or the
same PostgreSQL database (``casetrack_access_index``). See ADR 0005.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from infrastructure.persistence import split_schema
from infrastructure.pools import PoolSettings

metadata = MetaData()

looks_table = Table(
    "casetrack_access_index", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("child_id", String(36), nullable=True),
    Column("kind", String(20), nullable=False),
    Column("user_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("organisation", Text, nullable=False),
    Column("purpose", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    Column("route", Text, nullable=True),
    Column("inspection_id", String(36), nullable=True),
    Column("at_us", BigInteger, nullable=False),  # microseconds since the epoch, UTC
    Index("ix_casetrack_access_index_child", "child_id", "position"),
    Index("ix_casetrack_access_index_user", "user_id", "position"),
    Index("ix_casetrack_access_index_at", "at_us", "position"),
)

CHUNK = 500


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    delta = aware.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


class SQLAccessIndex:
    """Looks in an indexed table (``casetrack_access_index``), queried by SQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        from infrastructure.migrations import ACCESS_INDEX, ensure_current

        ensure_current(engine, ACCESS_INDEX)

    @classmethod
    def at(cls, url: str, pool: PoolSettings | None = None) -> SQLAccessIndex:
        """Open the index at a SQLAlchemy URL (the access log's SQLite file or database)."""
        url, connect_args = split_schema(url)
        return cls(create_engine(url, **{"pool_pre_ping": True, "connect_args": connect_args,
                                         **(pool or PoolSettings()).engine_options(
                                             url, connect_args)}))

    def close(self) -> None:
        self.engine.dispose()

    def high_water(self) -> int:
        """Return the highest position indexed (0 when empty)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(looks_table.c.position))).scalar() or 0)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Index looks (the rows ``AccessLog`` yields); a position already indexed is kept."""
        values = [{
            "position": row["position"],
            "child_id": str(row["child_id"]) if row["child_id"] is not None else None,
            "kind": row["kind"], "user_id": row["actor"]["user_id"],
            "role": row["actor"]["role"], "organisation": row["actor"]["organisation"],
            "purpose": row["purpose"], "request_id": row["request_id"],
            "route": row["route"], "at_us": _micros(row["at"]),
            "inspection_id": str(row["inspection_id"]) if row.get("inspection_id") else None,
        } for row in rows]
        if not values:
            return
        dialect = self.engine.dialect.name
        ignore: Any
        if dialect == "postgresql":
            ignore = postgresql.insert(looks_table).on_conflict_do_nothing()
        elif dialect == "sqlite":
            ignore = sqlite.insert(looks_table).on_conflict_do_nothing()
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            ignore = insert(looks_table)
        with self.engine.begin() as conn:
            conn.execute(ignore, values)

    def looks(self, *, child_id: UUID | None, user_id: str | None, since: datetime | None,
              until: datetime | None, after: int) -> Iterator[dict[str, Any]]:
        """Yield the indexed looks matching, in position order after ``after``."""
        t = looks_table
        stmt = select(t)
        if child_id is not None:
            stmt = stmt.where(t.c.child_id == str(child_id))
        if user_id is not None:
            stmt = stmt.where(t.c.user_id == user_id)
        if since is not None:
            stmt = stmt.where(t.c.at_us >= _micros(since))
        if until is not None:
            stmt = stmt.where(t.c.at_us < _micros(until))
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt.where(t.c.position > after).order_by(
                    t.c.position).limit(CHUNK)).mappings().all()
            for r in rows:
                yield {"position": r["position"],
                       "child_id": UUID(r["child_id"]) if r["child_id"] else None,
                       "kind": r["kind"],
                       "actor": {"user_id": r["user_id"], "role": r["role"],
                                 "organisation": r["organisation"]},
                       "purpose": r["purpose"], "request_id": r["request_id"],
                       "route": r["route"],
                       "inspection_id": UUID(r["inspection_id"]) if r["inspection_id"]
                       else None, "at": _moment(r["at_us"])}
            if len(rows) < CHUNK:
                return
            after = rows[-1]["position"]

    def user_ids(self) -> list[str]:
        """Return every user id that looked (for finding a pseudonym's user)."""
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(looks_table.c.user_id).distinct())]
