"""The cohort read model's tables: a child, its requests, its disputes, its dated facts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.events import JourneyEvent
from domain.journey import ChildJourney
from infrastructure.readmodels import Base

COHORT = "cohort"


class CohortChild(Base):
    """One row per child: who they are for the equality lens, and their plan's life."""

    __tablename__ = "rm_cohort_child"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    primary_need: Mapped[str | None] = mapped_column(String(20))
    setting_type: Mapped[str | None] = mapped_column(String(100))
    requester: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    plan_made_on: Mapped[date | None] = mapped_column(Date)
    plan_ceased_on: Mapped[date | None] = mapped_column(Date)
    cease_reason: Mapped[str | None] = mapped_column(String(40))
    transferred_out_on: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_rm_cohort_child_authority", "authority"),)


class CohortRequest(Base):
    """One row per assessment request (or child brought to the LA's attention)."""

    __tablename__ = "rm_request"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    received_on: Mapped[date] = mapped_column(Date)
    route: Mapped[str] = mapped_column(String(40))
    requester_role: Mapped[str | None] = mapped_column(String(40))
    request_source: Mapped[str | None] = mapped_column(String(10))
    rya: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_notified_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    issue_decision: Mapped[str | None] = mapped_column(String(20))
    issue_decision_on: Mapped[date | None] = mapped_column(Date)
    no_plan_notified_on: Mapped[date | None] = mapped_column(Date)
    final_issued_on: Mapped[date | None] = mapped_column(Date)
    # The K1 and K4 readings' due dates: None where no time limit applies (withdrawn by
    # the due date; K4 after a decision not to assess or not to issue).
    k1_due_on: Mapped[date | None] = mapped_column(Date)
    k4_due_on: Mapped[date | None] = mapped_column(Date)
    k1_ground: Mapped[str | None] = mapped_column(String(60))
    k4_ground: Mapped[str | None] = mapped_column(String(60))
    mediation: Mapped[bool] = mapped_column(Boolean, default=False)
    tribunal: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_rm_request_authority_received", "authority", "received_on"),
        Index("ix_rm_request_authority_final", "authority", "final_issued_on"),
    )


class CohortDispute(Base):
    """One row per appealable decision: the mediation and appeal funnel."""

    __tablename__ = "rm_dispute"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    notified_on: Mapped[date] = mapped_column(Date)
    adviser_contacted_on: Mapped[date | None] = mapped_column(Date)
    mediation_requested_on: Mapped[date | None] = mapped_column(Date)
    mediation_declined_on: Mapped[date | None] = mapped_column(Date)
    mediation_held_on: Mapped[date | None] = mapped_column(Date)
    mediation_outcome: Mapped[str | None] = mapped_column(String(40))
    certificate_on: Mapped[date | None] = mapped_column(Date)
    appeal_registered_on: Mapped[date | None] = mapped_column(Date)
    appeal_closed_on: Mapped[date | None] = mapped_column(Date)
    appeal_outcome: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_rm_dispute_authority_notified", "authority", "notified_on"),)


class CohortFact(Base):
    """A dated fact of a child's journey: a clock episode, a wait, a placement, a claim."""

    __tablename__ = "rm_cohort_fact"

    child_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    responsible: Mapped[str | None] = mapped_column(String(30))
    exception_ground: Mapped[str | None] = mapped_column(String(60))
    subject: Mapped[str | None] = mapped_column(String(100))
    parent: Mapped[str | None] = mapped_column(String(60))
    anchor_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_rm_cohort_fact_authority_kind", "authority", "kind", "started_on"),
    )


COHORT_TABLES: tuple[type[Base], ...] = (CohortChild, CohortRequest, CohortDispute, CohortFact)


def _fact(child_id: str, authority: str, kind: str, key: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
           "child_id": child_id, "kind": kind, "key": key[:120], "authority": authority,
           "started_on": None, "due_on": None, "stopped_on": None, "responsible": None,
           "exception_ground": None, "subject": None, "parent": None, "anchor_on": None,
           "outcome": None, "detail": {}}
    row.update(values)
    if row["subject"] is not None:
        row["subject"] = str(row["subject"])[:100]
    return row


def _effective(journey: ChildJourney) -> list[JourneyEvent]:
    from domain.state import effective_events

    return effective_events(journey.log)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
