"""The work-tray read model: who holds each case, and its open clocks as the domain read
them (issue 16).

The projection stores each open clock reading whole (``ClockReading.as_dict``): its due
date, the body whose step it is and that body's name, exactly as ``domain.clocks`` decided
them. It never stores a status to be believed later: a reading's status and days late as
at the day asked are derived again at read time by ``domain.clocks.status_on`` and
``days_late`` (``application.worktray``), so the tray stays true as days pass without
an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, Date, Index, Integer, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from domain.calendar import iso_text
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from infrastructure.batches import IN_CHUNK, ReadModelProjection, child_key
from infrastructure.readmodels import Base
from infrastructure.tracking import among

WORKTRAY = "worktray"


class TrayCase(Base):
    """One row per child: who holds the case, its reference and stage."""

    __tablename__ = "rm_tray_case"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    assigned_organisation: Mapped[str] = mapped_column(String(100))
    case_ref: Mapped[str | None] = mapped_column(String(60))
    stage: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_rm_tray_case_holder", "assigned_organisation", "assigned_to"),
        # The team tray: the count per holder (an index-only scan of the authority's
        # entries, in group order) and the cases no one holds (assigned_to IS NULL).
        Index("ix_rm_tray_case_team", "authority", "assigned_to", "assigned_organisation"),
    )


class TrayClock(Base):
    """One row per open clock episode of a child: the domain's reading, kept whole."""

    __tablename__ = "rm_tray_clock"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    clock: Mapped[str] = mapped_column(String(8), primary_key=True)
    episode: Mapped[str] = mapped_column(String(60), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(30))
    reading: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_rm_tray_clock_child_due", "child_id", "due_on"),)


TRAY_TABLES: tuple[type[Base], ...] = (TrayCase, TrayClock)


def tray_rows(journey: ChildJourney, today: date, policy: LocalPolicy = DEFAULT_POLICY,
              readings: Sequence[ClockReading] | None = None
              ) -> dict[type[Base], list[dict[str, Any]]]:
    """Return the tray rows of one journey: its holder, and its readings still open
    (under the authority's local policy, as the journey's own clocks read them;
    ``readings``: its state's ``compute_clocks`` on ``today``, when the caller has them)."""
    state = journey.state
    assert state.child is not None
    child_id, authority = child_key(journey.id), state.child.authority
    assigned = state.governance.assignment
    case = {"child_id": child_id, "authority": authority,
            "assigned_to": assigned.assigned_to if assigned else None,
            "assigned_organisation": assigned.assigned_organisation if assigned
            else authority, "case_ref": state.child.case_ref, "stage": state.stage,
            "version": journey.version}
    if readings is None:
        readings = compute_clocks(state, today, policy=policy)
    still_open = {(r.clock, r.episode): r for r in readings
                  if r.is_open and r.due_on is not None}
    clocks = [{"child_id": child_id, "clock": r.clock, "episode": r.episode,
               "due_on": r.due_on, "responsible": r.responsible.value,
               "reading": iso_dates(r.as_dict())} for r in still_open.values()]
    return {TrayCase: [case], TrayClock: clocks}


def iso_dates(reading: dict[str, object]) -> dict[str, object]:
    """Return the reading with its dates as ISO text (the JSON the read models hold)."""
    return {k: iso_text(v) if isinstance(v, date) else v
            for k, v in reading.items()}


class WorktrayProjection(ReadModelProjection):
    """The work tray's tables, from each touched journey's folded state."""

    name = WORKTRAY
    tables: ClassVar[tuple[type[Base], ...]] = TRAY_TABLES

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        return tray_rows(journey, today, self.policy,
                         self.folds.readings(journey.state, today, self.policy))


# Queries.


def holder_cases(engine: Engine, *, organisation: str, assigned_to: str,
                 stage: str | None = None) -> list[dict[str, Any]]:
    """Return the cases ``assigned_to`` of ``organisation`` holds, each with its stored
    open readings (``readings``), unordered."""
    return _cases_with_readings(engine, select(TrayCase.__table__).where(
        TrayCase.assigned_organisation == organisation,
        TrayCase.assigned_to == assigned_to), stage)


def unassigned_cases(engine: Engine, *, authority: str, stage: str | None = None
                     ) -> list[dict[str, Any]]:
    """Return the authority's cases no one holds, each with its open readings."""
    return _cases_with_readings(engine, select(TrayCase.__table__).where(
        TrayCase.authority == authority, TrayCase.assigned_to.is_(None)), stage)


def child_cases(engine: Engine, *, authority: str, child_id: str) -> list[dict[str, Any]]:
    """Return one child's case of the authority (none if not theirs), with its readings."""
    return _cases_with_readings(engine, select(TrayCase.__table__).where(
        TrayCase.authority == authority, TrayCase.child_id == child_id), None)


def _cases_with_readings(engine: Engine, stmt: Any, stage: str | None
                         ) -> list[dict[str, Any]]:
    if stage is not None:
        stmt = stmt.where(TrayCase.stage == stage)
    with engine.connect() as conn:
        cases = {r["child_id"]: {**r, "readings": []} for r in conn.execute(stmt).mappings()}
        ids = sorted(cases)
        for start in range(0, len(ids), IN_CHUNK):
            for child_id, reading in conn.execute(select(
                    TrayClock.child_id, TrayClock.reading).where(
                    among(conn, TrayClock.child_id, ids[start:start + IN_CHUNK]))):
                cases[child_id]["readings"].append(reading)
    return list(cases.values())


def team_counts(engine: Engine, authority: str) -> list[dict[str, Any]]:
    """Return the authority's cases counted per holder (None: not assigned to anyone)."""
    # Grouped in the index's order (ix_rm_tray_case_team): no sort, no hash.
    stmt = select(TrayCase.assigned_organisation, TrayCase.assigned_to,
                  func.count()).where(TrayCase.authority == authority).group_by(
        TrayCase.assigned_to, TrayCase.assigned_organisation)
    with engine.connect() as conn:
        return [{"assigned_organisation": o, "assigned_to": a, "cases": n}
                for o, a, n in conn.execute(stmt)]


def holders(engine: Engine) -> list[tuple[str, str]]:
    """Return everyone holding a case, as (organisation, user id), in order."""
    stmt = select(TrayCase.assigned_organisation, TrayCase.assigned_to).where(
        TrayCase.assigned_to.is_not(None)).distinct().order_by(
        TrayCase.assigned_organisation, TrayCase.assigned_to)
    with engine.connect() as conn:
        return [(o, a) for o, a in conn.execute(stmt) if a is not None]


def cases_naming(engine: Engine, names: Sequence[str]) -> list[dict[str, Any]]:
    """Return the cases with an open reading whose step is the named bodies' (by
    ``responsible_name``: an adviser organisation as the request named it), each with
    every open reading."""
    wanted = set(names)
    found: set[str] = set()
    with engine.connect() as conn:
        for child_id, reading in conn.execute(select(TrayClock.child_id, TrayClock.reading)):
            if reading.get("responsible_name") in wanted:
                found.add(child_id)
    ids = sorted(found)
    cases: list[dict[str, Any]] = []
    for start in range(0, len(ids), IN_CHUNK):
        cases.extend(_cases_with_readings(engine, select(TrayCase.__table__).where(
            TrayCase.child_id.in_(ids[start:start + IN_CHUNK])), None))
    return cases
