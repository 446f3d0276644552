"""Read-model tables (SQLAlchemy 2.x typed declarative), built by ``projections``.

Every table here can be dropped and rebuilt from the event log. Alembic owns their
schema (``infrastructure/migrations``); the constraint names follow ``NAMING`` so that
batch migrations on SQLite can find them. Dates are calendar dates; ``recorded_at``
values are UTC (SQLite keeps them naive, so they are always written in UTC).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import domain.catalogue  # noqa: F401  (registers every clock, which status_on reads)
from domain.clocks import never_late_while_open, overdue_on, status_on
from infrastructure import sqlite_rows
from infrastructure.persistence import with_search_path
from infrastructure.pools import PoolSettings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_MODEL_FILE = "casetrack-readmodels.sqlite"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class CaseSummary(Base):
    """One row per child: where the journey stands, for lists and filters."""

    __tablename__ = "rm_case_summary"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40), index=True)
    case_ref: Mapped[str | None] = mapped_column(String(60))
    date_of_birth: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(40))
    primary_need: Mapped[str | None] = mapped_column(String(20))
    needs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    clocks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    placement_type: Mapped[str | None] = mapped_column(String(40))
    placement_ref: Mapped[str | None] = mapped_column(String(40))
    plan_named_setting: Mapped[str | None] = mapped_column(String(100))
    plan_setting_type: Mapped[str | None] = mapped_column(String(100))
    plan_names_type_only: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    assigned_organisation: Mapped[str | None] = mapped_column(String(100))
    last_recorded_by: Mapped[str | None] = mapped_column(String(100))
    last_event_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_rm_case_summary_authority_case_ref", "authority", "case_ref"),
        Index("ix_rm_case_summary_authority_stage", "authority", "stage"),
        Index("ix_rm_case_summary_authority_assigned_to", "authority", "assigned_to"),
    )


class CaseClock(Base):
    """One row per clock episode of a child, so lists can filter on overdue clocks."""

    __tablename__ = "rm_case_clock"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    clock: Mapped[str] = mapped_column(String(8), primary_key=True)
    episode: Mapped[str] = mapped_column(String(60), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30))
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(30))
    exception_ground: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (
        Index("ix_rm_case_clock_clock_due_on", "clock", "stopped_on", "due_on"),
    )


class EventIndex(Base):
    """One row per journey event, for audit questions across children."""

    __tablename__ = "rm_event_index"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    child_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(80))
    authority: Mapped[str] = mapped_column(String(40))
    actor_user: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_organisation: Mapped[str] = mapped_column(String(100))
    responsible: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    corrects_version: Mapped[int | None] = mapped_column(Integer)
    correction_kind: Mapped[str | None] = mapped_column(String(20))
    corrected_by_version: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_rm_event_index_child_version", "child_id", "version", unique=True),
        Index("ix_rm_event_index_actor_recorded", "actor_user", "recorded_at", "position"),
        Index("ix_rm_event_index_actor_occurred", "actor_user", "occurred_on", "position"),
        Index("ix_rm_event_index_recorded", "recorded_at", "position"),
        Index("ix_rm_event_index_type", "type", "position"),
        Index("ix_rm_event_index_organisation", "actor_organisation", "position"),
        Index("ix_rm_event_index_corrections", "correction_kind", "position"),
    )


class ServiceRecord(Base):
    """A service in a child's journey (provision delivery, out of school, direct payment)."""

    __tablename__ = "rm_service_record"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HealthWait(Base):
    """A wait for a health service: referred, and when (if yet) the child was seen."""

    __tablename__ = "rm_health_wait"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40), index=True)
    service: Mapped[str] = mapped_column(String(60))
    referred_on: Mapped[date] = mapped_column(Date)
    wait_ended_on: Mapped[date | None] = mapped_column(Date)
    waited_days: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProjectionTracking(Base):
    """How far each projection has processed each application's log (one row each)."""

    __tablename__ = "rm_tracking"

    projection: Mapped[str] = mapped_column(String(60), primary_key=True)
    application_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    notification_id: Mapped[int] = mapped_column(BigInteger)


def make_engine(url: str, schema: str | None = None, pool: PoolSettings | None = None
                ) -> Engine:
    """Return an engine for the read models (WAL and a busy timeout on SQLite).

    On PostgreSQL, ``schema`` is put first on the search path (the event store's schema).
    """
    if url.startswith("sqlite"):
        sqlite_rows.bind_none_as_null()
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               json_serializer=json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take the write lock at
            # BEGIN instead, so two writers never deadlock upgrading a read lock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            writing = conn.get_execution_options().get("casetrack_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    url, connect_args = with_search_path(url, schema)
    return create_engine(url, **(pool or PoolSettings()).engine_options(url, connect_args),
                         json_serializer=json_text)


def json_text(value: Any) -> str:
    """Return a JSON column's text, written by orjson (docs/decisions/0029-orjson.md),
    or by ``json.dumps`` where orjson refuses the value (a number past 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


# Queries: the read-model store the application's read side asks (``ReadModels``).

STREAM_CHUNK = 1000


class SQLReadModels:
    """Answer list and audit questions from the read-model tables."""

    def __init__(self, engine: Engine, application_name: str) -> None:
        self.engine = engine
        self.application_name = application_name

    def close(self) -> None:
        self.engine.dispose()

    def position(self, projection: str) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(ProjectionTracking.notification_id).where(
                ProjectionTracking.projection == projection,
                ProjectionTracking.application_name == self.application_name)) or 0

    def wait(self, position: int, projections: tuple[str, ...], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        interval = 0.01
        while True:
            if all(self.position(p) >= position for p in projections):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.2)

    def holder_cases(self, *, organisation: str, assigned_to: str,
                     stage: str | None = None) -> list[dict[str, Any]]:
        """The cases a caseworker holds, with their open clock readings (the work tray)."""
        from infrastructure.worktray import holder_cases

        return holder_cases(self.engine, organisation=organisation,
                            assigned_to=assigned_to, stage=stage)

    def unassigned_cases(self, *, authority: str, stage: str | None = None
                         ) -> list[dict[str, Any]]:
        """The authority's cases no one holds, with their open clock readings."""
        from infrastructure.worktray import unassigned_cases

        return unassigned_cases(self.engine, authority=authority, stage=stage)

    def child_cases(self, *, authority: str, child_id: str) -> list[dict[str, Any]]:
        """One child's case of the authority with its open readings (a family's reminders)."""
        from infrastructure.worktray import child_cases

        return child_cases(self.engine, authority=authority, child_id=child_id)

    def holders(self) -> list[tuple[str, str]]:
        """Everyone holding a case (the daily digest's caseworkers)."""
        from infrastructure.worktray import holders

        return holders(self.engine)

    def cases_naming(self, names: Any) -> list[dict[str, Any]]:
        """The cases with a step of one of the named bodies open (the digest's contacts)."""
        from infrastructure.worktray import cases_naming

        return cases_naming(self.engine, names)

    def team_counts(self, authority: str) -> list[dict[str, Any]]:
        """The authority's cases counted per holder (the team tray)."""
        from infrastructure.worktray import team_counts

        return team_counts(self.engine, authority)

    def addressed_to(self, organisation: str) -> list[dict[str, Any]]:
        """The requests addressed to a partner organisation, with their clock readings."""
        from infrastructure.partner_requests import addressed_to

        return addressed_to(self.engine, organisation)

    def children(self, where: Any, today: date) -> list[dict[str, Any]]:
        stmt = select(CaseSummary).where(CaseSummary.authority == where.authority)
        if where.stage:
            stmt = stmt.where(CaseSummary.stage == where.stage)
        if where.primary_need:
            stmt = stmt.where(CaseSummary.primary_need == where.primary_need)
        if where.case_ref:
            stmt = stmt.where(CaseSummary.case_ref == where.case_ref)
        if where.assigned_to:
            stmt = stmt.where(CaseSummary.assigned_to == where.assigned_to)
        if where.placement_type:
            stmt = stmt.where(CaseSummary.placement_type == where.placement_type)
        if where.plan_names_type_only is not None:
            stmt = stmt.where(CaseSummary.plan_names_type_only.is_(where.plan_names_type_only))
        if where.age_band:
            from application.queries import AGE_BANDS

            youngest, oldest = AGE_BANDS[where.age_band]
            stmt = stmt.where(CaseSummary.date_of_birth > _years_before(today, oldest + 1),
                              CaseSummary.date_of_birth <= _years_before(today, youngest))
        if where.overdue_clock:
            # ``domain.clocks.overdue_on`` in SQL: open, past due, and of a clock whose
            # open episodes turn late past due (not K3, nor a family's window).
            overdue = select(CaseClock.child_id).where(
                CaseClock.child_id == CaseSummary.child_id, CaseClock.stopped_on.is_(None),
                CaseClock.due_on < today, CaseClock.status != "not_applicable",
                CaseClock.clock.not_in(never_late_while_open()))
            if where.overdue_clock != "any":
                overdue = overdue.where(CaseClock.clock == where.overdue_clock)
            stmt = stmt.where(overdue.exists())
        if where.after:
            stmt = stmt.where(CaseSummary.child_id > where.after)
        stmt = stmt.order_by(CaseSummary.child_id).limit(where.limit)
        with Session(self.engine) as session:
            return [_summary_dict(row, today) for row in session.scalars(stmt)]

    def events(self, where: Any) -> Iterator[dict[str, Any]]:
        """Yield matching events in log order, fetched in keyset chunks (no open cursor)."""
        remaining = where.limit
        after = where.after
        while remaining is None or remaining > 0:
            chunk = STREAM_CHUNK if remaining is None else min(remaining, STREAM_CHUNK)
            stmt = _event_query(where, after).limit(chunk)
            with self.engine.connect() as conn:
                rows = [_event_dict(r) for r in conn.execute(stmt).mappings()]
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1]["position"]
            if remaining is not None:
                remaining -= len(rows)


def _event_query(where: Any, after: int | None) -> Any:
    e = EventIndex
    stmt = select(EventIndex.__table__)
    for column, value in ((e.authority, where.authority), (e.actor_user, where.actor),
                          (e.actor_role, where.role), (e.actor_organisation, where.organisation),
                          (e.type, where.type), (e.child_id, where.child_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.occurred_from:
        stmt = stmt.where(e.occurred_on >= where.occurred_from)
    if where.occurred_to:
        stmt = stmt.where(e.occurred_on <= where.occurred_to)
    if where.recorded_from:
        stmt = stmt.where(e.recorded_at >= _utc_naive_if_sqlite(where.recorded_from))
    if where.recorded_to:
        stmt = stmt.where(e.recorded_at <= _utc_naive_if_sqlite(where.recorded_to))
    if where.corrections_only:
        stmt = stmt.where(e.correction_kind.is_not(None))
    if after is not None:
        stmt = stmt.where(e.position > after)
    return stmt.order_by(e.position)


def _utc_naive_if_sqlite(moment: datetime) -> datetime:
    # Stored in UTC; SQLite compares the text without its offset, so convert first.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _clock_on(clock: dict[str, Any], today: date) -> dict[str, Any]:
    """A stored clock with its status as at ``today`` (``domain.clocks.status_on``)."""
    status = status_on(clock["clock"], due_on=_day(clock.get("due_on")),
                       stopped_on=_day(clock.get("stopped_on")), status=clock["status"],
                       exception_ground=clock.get("exception_ground"), day=today)
    return {**clock, "status": status.value}


def _summary_dict(row: CaseSummary, today: date) -> dict[str, Any]:
    overdue = sorted({c["clock"] for c in row.clocks if overdue_on(
        c["clock"], due_on=_day(c.get("due_on")), stopped_on=_day(c.get("stopped_on")),
        status=c["status"], exception_ground=c.get("exception_ground"), day=today)})
    return {
        "child_id": row.child_id, "authority": row.authority, "case_ref": row.case_ref,
        "date_of_birth": row.date_of_birth, "status": row.status, "stage": row.stage,
        "primary_need": row.primary_need, "needs": row.needs, "steps": row.steps,
        "clocks": [_clock_on(c, today) for c in row.clocks], "overdue_clocks": overdue,
        "placement_type": row.placement_type, "placement_ref": row.placement_ref,
        "plan_named_setting": row.plan_named_setting,
        "plan_setting_type": row.plan_setting_type,
        "plan_names_type_only": row.plan_names_type_only,
        "assigned_to": row.assigned_to, "assigned_organisation": row.assigned_organisation,
        "last_recorded_by": row.last_recorded_by, "last_event_on": row.last_event_on,
        "version": row.version, "position": row.position,
    }


def _event_dict(row: Any) -> dict[str, Any]:
    recorded_at = row["recorded_at"]
    if recorded_at.tzinfo is None:
        recorded_at = recorded_at.replace(tzinfo=UTC)
    return {
        "position": row["position"], "child_id": row["child_id"], "version": row["version"],
        "type": row["type"], "authority": row["authority"],
        "actor": {"user_id": row["actor_user"], "role": row["actor_role"],
                  "organisation": row["actor_organisation"]},
        "responsible": row["responsible"], "occurred_on": row["occurred_on"],
        "recorded_at": recorded_at, "corrects_version": row["corrects_version"],
        "correction_kind": row["correction_kind"],
        "corrected_by_version": row["corrected_by_version"], "request_id": row["request_id"],
    }
