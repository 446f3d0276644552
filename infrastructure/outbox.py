"""The outbox (issue 16): a message for each change an event makes to a clock, written in
the same transaction as the projection's tracking record, so each is produced exactly
once however often the worker stops and starts.

For each event the projection reads the journey's clocks just before and just after it
(``domain.clocks.compute_clocks``, the same day for both, so only the event makes a
difference) and writes one message for each clock episode that:

- opened (``clock.started``: "... is due on 24 April 2025 (6 weeks from ...)"; for the
  draft plan, "Representations on the draft plan for CR-1: the window closes on ...");
- stopped (``clock.stopped``: done in time, done late by N days, or no longer owed);
- moved its due date (``clock.due_changed``);
- vanished, the event that started it being retracted (``clock.withdrawn``).

A message's id is a uuid5 of the log position, the kind and the episode: the same event
gives the same id on every run, so a rebuild adds nothing twice (``ON CONFLICT DO
NOTHING``) and receivers can deduplicate on it. The words come from
``application.notifications``; the readings from the domain. Messages name the child by
its pseudonymous id and the authority's case reference, nothing else about the child.

Messages are kept (they are what has been sent): clearing the projection for a rebuild
removes only its tracking record.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, Float, Index, Integer, String, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from application.notifications import message, stopped_message
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import Folded, JourneyState, folded, folded_onto
from infrastructure import sqlite_rows
from infrastructure.batches import ReadModelProjection, child_key
from infrastructure.readmodels import Base, ProjectionTracking
from infrastructure.worktray import iso_dates

OUTBOX = "outbox"
# The namespace of message ids (uuid5 of position, kind, clock and episode).
MESSAGE_NAMESPACE = uuid.UUID("6f9d3c62-3f0e-5d9b-9a57-0c1d2e3f4a5b")


class OutboxMessage(Base):
    """One message to send: its body is final when written."""

    __tablename__ = "rm_outbox_message"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    authority: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    child_id: Mapped[str] = mapped_column(String(36))
    produced_at: Mapped[float] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_rm_outbox_message_authority_seq", "authority", "seq"),)


Key = tuple[str, str]


Readings = Callable[[JourneyState], list[ClockReading]]


def _open_readings(readings: Sequence[ClockReading]
                   ) -> tuple[dict[Key, ClockReading], dict[Key, ClockReading]]:
    """Return the open episodes with a due date, and every episode, by (clock, episode)."""
    every = {(r.clock, r.episode): r for r in readings}
    return {k: r for k, r in every.items() if r.is_open and r.due_on is not None}, every


def message_id(application_name: str, position: int, kind: str, key: Key) -> str:
    """The message's id: the same event and episode give the same id on every run."""
    return str(uuid.uuid5(MESSAGE_NAMESPACE,
                          f"{application_name}:{position}:{kind}:{key[0]}:{key[1]}"))


def clock_changes(before: dict[Key, ClockReading], after: dict[Key, ClockReading],
                  every: dict[Key, ClockReading]) -> list[tuple[str, ClockReading]]:
    """Return (kind, reading) for each episode the event opened, stopped, moved or
    withdrew, in clock order."""
    changes: list[tuple[str, ClockReading]] = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            changes.append(("clock.started", after[key]))
        elif key not in after:
            ended = every.get(key)
            changes.append(("clock.stopped", ended) if ended is not None
                           else ("clock.withdrawn", before[key]))
        elif after[key].due_on != before[key].due_on:
            changes.append(("clock.due_changed", after[key]))
    return changes


def message_body(kind: str, reading: ClockReading, *, state: Any, child_id: str,
                 tracking: Tracking, produced_at: float) -> dict[str, Any]:
    """Return the JSON body of one message (the reading, the words, the case)."""
    case_ref = state.child.case_ref if state.child is not None else None
    words = stopped_message(case_ref, reading) if kind == "clock.stopped" else \
        message(case_ref, reading)
    if kind == "clock.withdrawn":
        words = f"{reading.name} for {case_ref or 'this case'} was withdrawn"
    return {
        "id": message_id(tracking.application_name, tracking.notification_id, kind,
                         (reading.clock, reading.episode)),
        "kind": kind, "authority": state.child.authority, "child_id": child_id,
        "case_ref": case_ref, "position": tracking.notification_id,
        "produced_at": produced_at, "message": words,
        "reading": iso_dates(reading.as_dict()),
    }


def fold_states(log: Sequence[JourneyEvent], first: int, last: int
                ) -> dict[int, JourneyState | None]:
    """Return the state of ``log`` before version ``first`` (None before version 1) and
    after each version to ``last``, by version."""
    kept: Folded | None = folded(log[:first - 1]) if first > 1 else None
    states: dict[int, JourneyState | None] = {first - 1: kept.state if kept else None}
    for version in range(first, last + 1):
        onto = folded_onto(kept, log[version - 1]) if kept is not None else None
        kept = onto if onto is not None else folded(log[:version])
        states[version] = kept.state
    return states


def journey_messages(journey: ChildJourney, entries: Sequence[tuple[JourneyEvent, Tracking]],
                     today: date, policy: LocalPolicy = DEFAULT_POLICY,
                     produced_at: float | None = None, *,
                     states: Mapping[int, JourneyState | None] | None = None,
                     readings: Readings | None = None) -> list[dict[str, Any]]:
    """Return the outbox rows of one journey's events (in version order, the journey
    folded at least to the last of them). ``states``: the journey's states by version
    from before the first entry to the last (``fold_states``; folded here if not given
    whole); ``readings``: ``compute_clocks`` of a state on ``today`` under ``policy``."""
    produced_at = time.time() if produced_at is None else produced_at
    first = entries[0][0].originator_version
    last = entries[-1][0].originator_version
    if states is None or any(v not in states for v in range(first - 1, last + 1)):
        states = fold_states(journey.log, first, last)
    if readings is None:
        def readings(state: JourneyState) -> list[ClockReading]:
            return compute_clocks(state, today, policy=policy)
    start = states[first - 1]
    before = _open_readings(readings(start))[0] if start is not None else {}
    child_id = child_key(journey.id)
    rows = []
    for event, tracking in entries:
        state = states[event.originator_version]
        assert state is not None
        after, every = _open_readings(readings(state))
        for kind, reading in clock_changes(before, after, every):
            body = message_body(kind, reading, state=state, child_id=child_id,
                                tracking=tracking, produced_at=produced_at)
            rows.append({"message_id": body["id"], "position": tracking.notification_id,
                         "authority": body["authority"], "kind": kind,
                         "child_id": body["child_id"], "produced_at": produced_at,
                         "body": body})
        before = after
    return rows


def add_messages(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert messages, leaving any already there (same id) as they were."""
    if not rows:
        return
    if sqlite_rows.is_sqlite(conn) and sqlite_rows.insert(
            conn, OutboxMessage.__table__, rows,  # type: ignore[arg-type]
            conflict=" ON CONFLICT (message_id) DO NOTHING"):
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(OutboxMessage).on_conflict_do_nothing(
        index_elements=["message_id"]), rows)


class OutboxProjection(ReadModelProjection):
    """The outbox's messages, from each event's change to the journey's clocks."""

    name = OUTBOX
    tables: ClassVar[tuple[type[Base], ...]] = ()  # messages are kept: see ``clear``

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        by_child: dict[UUID, list[tuple[JourneyEvent, Tracking]]] = {}
        for event, tracking in items:
            by_child.setdefault(event.originator_id, []).append((event, tracking))
        journeys = self.journeys
        assert journeys is not None, "the runner gives the projection its journeys"
        today, produced_at = self.today(), time.time()
        rows: list[dict[str, Any]] = []
        for child_id, entries in by_child.items():
            try:
                journey = journeys(child_id, entries[-1][0].originator_version)
            except OriginatorVersionError as gap:
                self.record_damage(child_id, entries[-1][0].originator_version, gap)
                continue
            rows.extend(journey_messages(
                journey, entries, today, self.policy, produced_at,
                states=self.folds.states(journey),
                readings=lambda state: self.folds.readings(state, today, self.policy)))
        rows.sort(key=lambda row: row["position"])  # log order (stable within an event)
        add_messages(conn, rows)

    def clear(self, conn: Connection) -> None:
        """Forget the tracking record only: a rebuild makes the same ids, added once."""
        conn.execute(delete(ProjectionTracking).where(
            ProjectionTracking.projection == self.view.projection))


def message_count(conn: Connection) -> int:
    return conn.scalar(select(func.count()).select_from(OutboxMessage)) or 0
