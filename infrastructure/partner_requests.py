"""The partners' read model: every request addressed to an organisation outside the
authority (issue 16) — advice asked of an adviser (reg 6; its clock K2) and a setting
consulted about being named (s.39(2); its clock K6) — so a school, EP service or health
provider lists what is asked of it and answers against the request's id.

Each row keeps the request's clock reading whole, as the domain read it
(``ClockReading.as_dict``): its due date and the body whose step it is are the domain's,
never computed here; its status and days late on the day asked are derived again at read
time (``application.partner_requests``), as the work tray does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, Date, Index, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from infrastructure.batches import ReadModelProjection, child_key
from infrastructure.readmodels import Base
from infrastructure.worktray import iso_dates

PARTNER_REQUESTS = "partner_requests"


class PartnerRequest(Base):
    """One request of one journey addressed to an organisation, with its clock reading."""

    __tablename__ = "rm_partner_request"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(40))
    case_ref: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    advice_type: Mapped[str | None] = mapped_column(String(40))
    requested_on: Mapped[date] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    reading: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_rm_partner_request_organisation", "organisation",
                            "answered_on"),)


def request_rows(journey: ChildJourney, today: date, policy: LocalPolicy = DEFAULT_POLICY,
                 every: Sequence[ClockReading] | None = None) -> list[dict[str, Any]]:
    """Return the rows of one journey: each advice request and consultation, with the
    reading of its clock (K2, K6) as the journey's own clocks read it (``every``: its
    state's ``compute_clocks`` on ``today``, when the caller has them)."""
    state = journey.state
    assert state.child is not None
    if every is None:
        every = compute_clocks(state, today, policy=policy)
    readings = {(r.clock, r.episode): r for r in every}
    common = {"child_id": child_key(journey.id), "authority": state.child.authority,
              "case_ref": state.child.case_ref}
    rows = []
    for advice in state.plan.advice:
        if not advice.under_reg_8_duty:  # the family's own advice: asked of no partner
            continue
        reading = readings.get(("K2", advice.id))
        rows.append({**common, "request_id": advice.id, "organisation": advice.recipient_org,
                     "kind": "advice", "advice_type": advice.advice_type,
                     "requested_on": advice.requested_on, "answered_on": advice.received_on,
                     "due_on": reading.due_on if reading else None,
                     "reading": iso_dates(reading.as_dict()) if reading else None})
    for consultation in state.plan.consultations:
        reading = readings.get(("K6", consultation.id))
        rows.append({**common, "request_id": consultation.id,
                     "organisation": consultation.setting_ref, "kind": "consultation",
                     "advice_type": None, "requested_on": consultation.consulted_on,
                     "answered_on": consultation.responded_on,
                     "due_on": reading.due_on if reading else None,
                     "reading": iso_dates(reading.as_dict()) if reading else None})
    return rows


class PartnerRequestsProjection(ReadModelProjection):
    """The requests addressed to partners, from each touched journey's folded state."""

    name = PARTNER_REQUESTS
    tables: ClassVar[tuple[type[Base], ...]] = (PartnerRequest,)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        return {PartnerRequest: request_rows(
            journey, today, self.policy,
            self.folds.readings(journey.state, today, self.policy))}


def addressed_to(engine: Engine, organisation: str) -> list[dict[str, Any]]:
    """Return every request addressed to ``organisation``, unordered."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(PartnerRequest.__table__).where(
            PartnerRequest.organisation == organisation)).mappings()]
