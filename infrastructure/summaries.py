"""The case summaries and the event index: projections over ``JourneyEvent`` and the
journey's folded state, never per event type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import structlog
from eventsourcing.persistence import (
    Tracking,
)
from sqlalchemy import (
    Connection,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from domain.calendar import iso_text
from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.personal_data import STRUCTURED_CODES
from domain.state import JourneyState, effective_events
from infrastructure import sqlite_rows
from infrastructure.batches import IN_CHUNK, ReadModelProjection, child_key
from infrastructure.readmodels import (
    Base,
    CaseClock,
    CaseSummary,
    HealthWait,
    ServiceRecord,
)
from infrastructure.readmodels import EventIndex as EventIndexRow
from infrastructure.tracking import among

logger = structlog.get_logger()

class EventIndexProjection(ReadModelProjection):
    """One row per journey event: who, what, when it happened, when it was recorded."""

    name = "event_index"
    tables = (EventIndexRow,)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        if not items:
            return
        # Each row's authority is its child's, from the child's first event (in the batch
        # or already indexed): filled in once the rows (and their child_id) are made.
        rows = [event_index_row(e, t.notification_id, "") for e, t in items]
        authorities = {row["child_id"]: getattr(e, "authority", "")
                       for (e, _), row in zip(items, rows, strict=True)
                       if e.originator_version == 1 and hasattr(e, "authority")}
        missing = {row["child_id"] for row in rows} - set(authorities)
        if missing:
            ids = sorted(missing)
            for start in range(0, len(ids), IN_CHUNK):
                authorities.update(_authorities(conn, ids[start:start + IN_CHUNK]))
        for row in rows:
            row["authority"] = authorities.get(row["child_id"], "")
        # A correction marks what it corrects: in the batch's own rows when the target is
        # among them, else by one UPDATE per correction (executed as one executemany).
        corrected: dict[tuple[str, int], int] = {}
        for event, _ in items:
            if isinstance(event, EntryCorrected | EntryRetracted):
                corrected[(child_key(event.originator_id), event.target_version)] = \
                    event.originator_version
        for row in rows:
            row["corrected_by_version"] = corrected.get((row["child_id"], row["version"]))
        if not sqlite_rows.is_sqlite(conn) or not sqlite_rows.insert(
                conn, EventIndexRow.__table__, rows,  # type: ignore[arg-type]
                conflict=" ON CONFLICT DO NOTHING"):
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(EventIndexRow).on_conflict_do_nothing(), rows)
        in_batch = {(row["child_id"], row["version"]) for row in rows}
        earlier = [{"c": child, "v": version, "by": by}
                   for (child, version), by in corrected.items()
                   if (child, version) not in in_batch]
        if earlier:
            conn.execute(update(EventIndexRow).where(
                EventIndexRow.child_id == bindparam("c"),
                EventIndexRow.version == bindparam("v"),
            ).values(corrected_by_version=bindparam("by")), earlier)


def _authorities(conn: Connection, child_ids: list[str]) -> list[Any]:
    """Each of the children's authority, from its first event's row."""
    if sqlite_rows.is_sqlite(conn):
        return sqlite_rows.select_rows(
            conn, "SELECT child_id, authority FROM rm_event_index WHERE version = 1 "
            "AND child_id IN ({})".format(", ".join("?" * len(child_ids))), child_ids)
    return list(conn.execute(select(EventIndexRow.child_id, EventIndexRow.authority).where(
        among(conn, EventIndexRow.child_id, child_ids), EventIndexRow.version == 1)).all())


class CaseSummaryProjection(ReadModelProjection):
    """A summary per child, its clocks, services and health waits, from the folded state."""

    name = "case_summaries"
    tables = (CaseSummary, CaseClock, ServiceRecord, HealthWait)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        rows = case_rows(journey, position, today, self.policy,
                         self.folds.readings(journey.state, today, self.policy))
        return {CaseSummary: [rows.summary], CaseClock: rows.clocks,
                ServiceRecord: rows.services, HealthWait: rows.health_waits}



# Rows from events and folded state (generic over event types).


def event_index_row(event: JourneyEvent, position: int, authority: str) -> dict[str, Any]:
    corrects = event.target_version if isinstance(event, EntryCorrected | EntryRetracted) \
        else None
    kind = ("corrected" if isinstance(event, EntryCorrected) else "retracted") \
        if corrects is not None else None
    return {
        "position": position, "child_id": child_key(event.originator_id),
        "version": event.originator_version, "type": event.type_name,
        "authority": authority, "actor_user": event.actor.user_id,
        "actor_role": event.actor.role, "actor_organisation": event.actor.organisation,
        "responsible": str(type(event).recorded_by.value), "occurred_on": event.occurred_on,
        "recorded_at": _utc(event.timestamp), "corrects_version": corrects,
        "correction_kind": kind, "corrected_by_version": None,
        "request_id": event.request_id,
    }


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass
class CaseRows:
    summary: dict[str, Any]
    clocks: list[dict[str, Any]]
    services: list[dict[str, Any]]
    health_waits: list[dict[str, Any]]


def case_rows(journey: ChildJourney, position: int, today: date,
              policy: LocalPolicy = DEFAULT_POLICY,
              readings: Sequence[ClockReading] | None = None) -> CaseRows:
    """Return the read-model rows of one journey as it now stands (``readings``: its
    state's ``compute_clocks`` on ``today``, when the caller has them)."""
    from application.views import plain

    state = journey.state
    assert state.child is not None
    child_id, authority = child_key(journey.id), state.child.authority
    steps: dict[str, str] = {}
    for event in effective_events(journey.log):  # as corrected, by occurrence
        steps.setdefault(event.type_name, iso_text(event.occurred_on))
    last = journey.log[-1]
    if readings is None:
        readings = compute_clocks(state, today, policy=policy)
    current = _current_placement(state)
    plan = state.plan.current
    needs = _need_codes(plain(state.plan.needs)
                        or plain(getattr(state.support, "needs", []) or []))
    assigned = state.governance.assignment
    summary = {
        "child_id": child_id, "authority": authority, "case_ref": state.child.case_ref,
        "date_of_birth": state.child.date_of_birth, "status": state.status,
        "stage": state.stage, "primary_need": _primary_need(needs), "needs": needs,
        "steps": steps,
        "clocks": [{"clock": r.clock, "episode": r.episode, "status": r.status.value,
                    "due_on": _iso(r.due_on), "stopped_on": _iso(r.stopped_on),
                    "responsible": r.responsible.value,
                    "responsible_name": r.responsible_name,
                    "exception_ground": r.exception_ground} for r in readings],
        "placement_type": current.sen_setting if current else None,
        "placement_ref": (current.urn or current.ukprn) if current else None,
        "plan_named_setting": plan.named_setting if plan else None,
        "plan_setting_type": plan.setting_type if plan else None,
        "plan_names_type_only": bool(plan and plan.setting_type and not plan.named_setting),
        # Who holds the case: the last CaseAssigned (issue 6), else the authority.
        "assigned_to": assigned.assigned_to if assigned else None,
        "assigned_organisation": assigned.assigned_organisation if assigned else authority,
        "last_recorded_by": last.actor.organisation,
        "last_event_on": state.last_event_on, "version": journey.version,
        "position": position,
    }
    clocks = [{"child_id": child_id, "clock": r.clock, "episode": r.episode,
               "authority": authority, "status": r.status.value, "started_on": r.started_on,
               "due_on": r.due_on, "stopped_on": r.stopped_on,
               "responsible": r.responsible.value, "exception_ground": r.exception_ground}
              for r in {(r.clock, r.episode): r for r in readings}.values()]
    return CaseRows(summary, clocks, _service_rows(state, child_id, authority),
                    _health_wait_rows(state, child_id, authority))


def _iso(day: date | None) -> str | None:
    return iso_text(day) if day else None


def _need_codes(needs: list[Any]) -> list[Any]:
    """Keep each need's codes and rank; a description is sealed free text about the child,
    which a list across children neither opens nor needs (issue 6)."""
    return [{k: v for k, v in n.items() if k in STRUCTURED_CODES} if isinstance(n, dict)
            else n for n in needs]


def _need_rank(need: dict[str, Any]) -> int:
    rank = need.get("rank")
    return rank if isinstance(rank, int) else 99


def _primary_need(needs: list[dict[str, Any]]) -> str | None:
    ranked = sorted((n for n in needs if isinstance(n, dict)), key=_need_rank)
    if not ranked:
        return None
    code = ranked[0].get("code") or ranked[0].get("need")
    return str(code) if code else None


def _current_placement(state: JourneyState) -> Any:
    open_placements = [p for p in state.plan.placements if p.end_on is None]
    return min(open_placements, key=lambda p: (p.rank, p.start_on)) if open_placements \
        else None


# Where services are kept in the folded state: (part, attribute, kind).
SERVICE_SOURCES = (("plan", "delivery", "provision_delivery"),
                   ("plan", "out_of_school", "out_of_school"),
                   ("budgets", "payments", "direct_payment"))
START_FIELDS = ("start_on", "period_from", "agreed_on", "referred_on", "requested_on")
END_FIELDS = ("end_on", "period_to", "stopped_on")


def _service_rows(state: JourneyState, child_id: str, authority: str) -> list[dict[str, Any]]:
    from application.views import plain

    rows = []
    for part, attribute, kind in SERVICE_SOURCES:
        for item in getattr(getattr(state, part, None), attribute, None) or ():
            data = plain(item)
            rows.append({"child_id": child_id, "record_id": str(data.get("id")),
                         "authority": authority, "kind": getattr(item, "kind", None) or kind,
                         "started_on": _first(item, START_FIELDS),
                         "ended_on": _first(item, END_FIELDS), "data": _json(data)})
    return rows


def _health_wait_rows(state: JourneyState, child_id: str, authority: str
                      ) -> list[dict[str, Any]]:
    from application.views import plain

    rows = []
    for referral in getattr(getattr(state, "health", None), "referrals", None) or ():
        referred_on = getattr(referral, "referred_on", None)
        ended_on = getattr(referral, "wait_ended_on", None)
        rows.append({"child_id": child_id, "record_id": str(referral.id),
                     "authority": authority, "service": str(getattr(referral, "service", "")),
                     "referred_on": referred_on, "wait_ended_on": ended_on,
                     "waited_days": (ended_on - referred_on).days
                     if ended_on and referred_on else None,
                     "data": _json(plain(referral))})
    return rows


def _first(item: Any, names: Sequence[str]) -> date | None:
    for name in names:
        value = getattr(item, name, None)
        if isinstance(value, date):
            return value
    return None


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value

