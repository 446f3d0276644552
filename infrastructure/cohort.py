"""The cohort read model: facts per child for thematic questions and the area picture.

``CohortProjection`` follows the ``ReadModelProjection`` pattern: each batch folds every
touched journey once and replaces that child's rows in four tables:

- ``rm_cohort_child``: one row per child (authority, equality fields, primary need,
  setting type, first requester, plan made / ceased and why);
- ``rm_request``: one row per assessment request (received, decisions, final plan,
  the K1/K4 due dates and standing exception grounds, links to disputes);
- ``rm_dispute``: one row per appealable decision (mediation and appeal funnel);
- ``rm_cohort_fact``: dated facts of every other kind: each clock episode (K1..K26, with
  responsible body and exception ground), health waits, placements, out-of-school
  spells, looked-after periods, personal budgets, exception claims (and whether they
  hold), corrections
  that changed a clock's outcome, and for the later questions plan versions (section I,
  F and G content), placement decisions, transfers, held reviews, the school at each
  appealable decision and advice recorded as unobtainable (``question_facts``).

Every row keeps dates, not statuses: the reports decide "as at" a date from the dates
(docs/decisions/0007-reports.md). ``SQLCohortReports`` reads these tables for
``application.reports``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    Float,
    Index,
    Numeric,
    String,
    Text,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from domain.catalogue.exceptions import CLOSURE_GROUNDS, check_closure_window
from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.clocks import compute_clocks
from domain.errors import RuleViolationError
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import replay
from infrastructure.projections import (
    PROJECTIONS,
    ReadModelProjection,
    _current_placement,
    _primary_need,
)
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
    k1_due_on: Mapped[date] = mapped_column(Date)
    k4_due_on: Mapped[date] = mapped_column(Date)
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


@dataclass
class CohortRows:
    child: dict[str, Any]
    requests: list[dict[str, Any]]
    disputes: list[dict[str, Any]]
    facts: list[dict[str, Any]]


class CohortProjection(ReadModelProjection):
    """The cohort tables, from each touched journey's folded state (one fold per batch)."""

    name = COHORT
    tables: ClassVar[tuple[type[Base], ...]] = COHORT_TABLES

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        rows = cohort_rows(journey, position, today)
        return {CohortChild: [rows.child], CohortRequest: rows.requests,
                CohortDispute: rows.disputes, CohortFact: rows.facts}


# Rows from one journey.


def cohort_rows(journey: ChildJourney, position: int, today: date) -> CohortRows:
    """Return the cohort rows of one journey as it now stands."""
    state = journey.state
    assert state.child is not None
    child_id, authority = str(journey.id), state.child.authority
    readings = compute_clocks(state, today)
    readings = list({(r.clock, r.episode): r for r in readings}.values())
    requests = state.assessment.requests
    current = _current_placement(state)
    plan = state.plan.current
    needs = [n for n in (state.plan.needs or getattr(state.support, "needs", None) or [])
             if isinstance(n, dict)]
    cease_reason = next((getattr(e, "cease_reason", None) for e in reversed(
        _effective(journey)) if e.type_name == "PlanCeased"), None)
    first = requests[0] if requests else None
    child = {
        "child_id": child_id, "authority": authority,
        "date_of_birth": state.child.date_of_birth, "sex": state.child.sex,
        "ethnicity": state.child.ethnicity, "primary_need": _primary_need(needs),
        "setting_type": (current.sen_setting if current else None)
        or (plan.setting_type if plan else None),
        "requester": (first.requester_role or first.route) if first else None,
        "status": state.status, "plan_made_on": state.plan.made_on,
        "plan_ceased_on": state.plan.ceased_on, "cease_reason": cease_reason,
        "transferred_out_on": next((m.transferred_out_on for m in state.movement.moves
                                    if m.transferred_out_on), None),
        "position": position,
    }
    by_episode = {(r.clock, r.episode): r for r in readings}
    decisions = {d.id: d for d in state.appealable_decisions}
    mediations = {m.decision_id: m for m in state.disputes.mediations}
    appeals = {a.decision_id: a for a in state.disputes.appeals if a.decision_id}
    request_rows = []
    for r in requests:
        k1, k4 = by_episode.get(("K1", r.id)), by_episode.get(("K4", r.id))
        linked = [d.id for d in state.appealable_decisions
                  if d.kind in ("refuse_assessment", "refuse_plan", "plan_content")
                  and r.received_on <= d.notified_on]
        request_rows.append({
            "child_id": child_id, "request_id": r.id, "authority": authority,
            "received_on": r.received_on, "route": r.route,
            "requester_role": r.requester_role or r.route, "request_source": r.request_source,
            "rya": r.rya, "decision": r.decision,
            "decision_notified_on": r.decision_notified_on, "withdrawn_on": r.withdrawn_on,
            "issue_decision": r.issue_decision, "issue_decision_on": r.issue_decision_on,
            "no_plan_notified_on": r.no_plan_notified_on, "final_issued_on": r.final_issued_on,
            "k1_due_on": _add_weeks(r.received_on, 6), "k4_due_on": _add_weeks(r.received_on, 20),
            "k1_ground": k1.exception_ground if k1 else None,
            "k4_ground": k4.exception_ground if k4 else None,
            "mediation": any(d in mediations for d in linked),
            "tribunal": any(d in appeals for d in linked),
        })
    dispute_rows = []
    for d in decisions.values():
        m, a = mediations.get(d.id), appeals.get(d.id)
        dispute_rows.append({
            "child_id": child_id, "decision_id": d.id, "authority": authority,
            "kind": d.kind, "notified_on": d.notified_on,
            "adviser_contacted_on": m.adviser_contacted_on if m else None,
            "mediation_requested_on": m.requested_on if m else None,
            "mediation_declined_on": m.declined_on if m else None,
            "mediation_held_on": m.held_on if m else None,
            "mediation_outcome": m.outcome if m else None,
            "certificate_on": m.certificate_on if m else None,
            "appeal_registered_on": a.registered_on if a else None,
            "appeal_closed_on": a.closed_on if a else None,
            "appeal_outcome": a.outcome if a else None,
        })
    facts = _clock_facts(state, readings, child_id, authority)
    facts += _other_facts(state, child_id, authority)
    facts += _claim_facts(journey, child_id, authority)
    facts += _correction_facts(journey, child_id, authority, today)
    facts += question_facts(journey, child_id, authority)
    return CohortRows(child, request_rows, dispute_rows, facts)


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


def _clock_facts(state: Any, readings: list[Any], child_id: str, authority: str
                 ) -> list[dict[str, Any]]:
    advice = {a.id: a for a in state.plan.advice}
    k4_due = {r.id: _add_weeks(r.received_on, 20) for r in state.assessment.requests}
    final_on = {r.id: r.final_issued_on for r in state.assessment.requests}
    orders = {o.id: o for o in state.disputes.obligations}
    transfers = {t.id: t for t in state.reviews.phase_transfers}
    referrals = {r.id: r for r in state.health.referrals}
    reviews = {r.id: r for r in state.reviews.reviews}
    amendments = {a.id: a for a in state.reviews.amendments}
    rows = []
    for r in readings:
        subject = parent = anchor = None
        detail: dict[str, Any] = {}
        if r.clock == "K2" and r.episode in advice:
            a = advice[r.episode]
            subject, parent, anchor = a.advice_type, a.request_id, k4_due.get(a.request_id)
            detail = {"final_issued_on": _iso(final_on.get(a.request_id)),
                      "recipient_org": a.recipient_org}
        elif r.clock == "K22" and r.episode in orders:
            subject = orders[r.episode].order
            detail = {"step": orders[r.episode].step}
        elif r.clock == "K12" and r.episode in transfers:
            subject = transfers[r.episode].transfer_type
            anchor = transfers[r.episode].transfer_on
        elif r.clock == "K26" and r.episode in referrals:
            subject = referrals[r.episode].service
        elif r.clock in ("K9", "K10") and r.episode in reviews:
            subject = reviews[r.episode].review_type
        elif r.clock == "K11" and r.episode in amendments:
            source = reviews.get(amendments[r.episode].source_id or "")
            subject = amendments[r.episode].trigger
            anchor = source.held_on if source else None
            parent = source.id if source else None
        rows.append(_fact(child_id, authority, r.clock, r.episode, started_on=r.started_on,
                          due_on=r.due_on, stopped_on=r.stopped_on,
                          responsible=r.responsible.value,
                          exception_ground=r.exception_ground, subject=subject,
                          parent=parent, anchor_on=anchor,
                          outcome="not_applicable" if r.status.value == "not_applicable"
                          else None, detail=detail))
    return rows


def _other_facts(state: Any, child_id: str, authority: str) -> list[dict[str, Any]]:
    rows = []
    for index, period in enumerate(state.child.looked_after_periods):
        # Stopped on the first day no longer looked after (the equality lens, Q23).
        rows.append(_fact(child_id, authority, "looked_after", f"looked-after-{index + 1}",
                          started_on=period.start_on, stopped_on=period.end_on))
    for h in state.health.referrals:
        rows.append(_fact(child_id, authority, "health_wait", h.id, started_on=h.referred_on,
                          stopped_on=h.first_contact_on, subject=h.service,
                          anchor_on=h.intervention_started_on,
                          outcome=h.diagnosis_outcome, responsible="health",
                          detail={"accepted_on": _iso(h.accepted_on),
                                  "first_contact_kind": h.first_contact_kind}))
    for p in state.plan.placements:
        rows.append(_fact(child_id, authority, "placement", p.id, started_on=p.start_on,
                          stopped_on=p.end_on, subject=p.sen_setting, outcome=p.attendance,
                          detail={"rank": p.rank}))
    for o in state.plan.out_of_school:
        rows.append(_fact(child_id, authority, "out_of_school", o.id, started_on=o.start_on,
                          stopped_on=o.end_on, subject=o.kind,
                          detail={"hours_per_week": o.hours_per_week}))
    for b in state.budgets.requests:
        rows.append(_fact(child_id, authority, "budget_request", b.id,
                          started_on=b.requested_on, stopped_on=b.determined_on,
                          subject=",".join(sorted(b.elements)), outcome=b.arrangement,
                          detail={"direct_payment_requested": b.direct_payment_requested,
                                  "amount_pence": b.amount_pence}))
    elements = sorted({e for b in state.budgets.requests for e in b.elements})
    for p in state.budgets.payments:
        rows.append(_fact(child_id, authority, "direct_payment", p.id, started_on=p.agreed_on,
                          stopped_on=p.stopped_on, subject=",".join(elements) or None,
                          detail={"amount_pence": p.amount_pence,
                                  "first_reviewed_on": _iso(min(p.reviewed_on, default=None))}))
    for f in state.budgets.refusals:
        rows.append(_fact(child_id, authority, "dp_refusal", f.id, started_on=f.refused_on,
                          stopped_on=f.reconsidered_on, subject=f.reasons,
                          outcome=f.outcome))
    return rows


def _effective(journey: ChildJourney) -> list[JourneyEvent]:
    from domain.state import effective_events

    return effective_events(journey.log)


def _claim_facts(journey: ChildJourney, child_id: str, authority: str
                 ) -> list[dict[str, Any]]:
    """Every exception claim as now corrected, and whether it holds against the dates."""
    state = journey.state
    standing = {c.id: c for c in state.exception_claims}
    advice_dates = {a.request_id: [] for a in state.plan.advice}  # type: dict[str, list[date]]
    for a in state.plan.advice:
        advice_dates[a.request_id].append(a.received_by_adviser_on)
    rows = []
    effective = _effective(journey)
    withdrawn_on = {getattr(e, "claim_id", None): e.occurred_on for e in effective
                    if e.type_name == "TimescaleExceptionWithdrawn"}
    for event in effective:
        if event.type_name not in ("TimescaleExceptionClaimed", "AdviceDelayExceptionClaimed"):
            continue
        claim_id = f"exception-{event.originator_version}"
        claim = standing.get(claim_id)
        ground = getattr(event, "ground", None)
        clock = getattr(event, "clock", "K2")
        episode = claim.episode if claim else (getattr(event, "episode", None)
                                               or getattr(event, "advice_request_id", None))
        if claim is None:
            anomaly = next((a for a in state.anomalies
                            if a.event_version == event.originator_version), None)
            verdict = f"rejected:{anomaly.code}" if anomaly else "withdrawn"
            if anomaly is None:
                verdict = "withdrawn" if any(
                    c.id == claim_id for c in state.exception_claims) else "withdrawn"
        else:  # a withdrawn claim: whether it held until it was withdrawn
            verdict = "holds"
        if ground in CLOSURE_GROUNDS and verdict == "holds":
            starts, reopens = event.closure_starts_on, event.reopens_on  # type: ignore[attr-defined]
            try:
                check_closure_window(starts, reopens, event.advice_requested_on)  # type: ignore[attr-defined]
            except RuleViolationError as violation:
                verdict = f"rejected:{violation.code}"
            else:
                asked = advice_dates.get(episode or "", [])
                window = (starts - _weeks(1), reopens - _weeks(1))
                if asked and not any(window[0] <= d <= window[1] for d in asked):
                    verdict = "no_advice_asked_in_closure_window"
        standing_verdict = verdict
        if claim is not None and claim.withdrawn:
            verdict = "withdrawn"
        rows.append(_fact(child_id, authority, "exception_claim", claim_id,
                          started_on=getattr(event, "period_from", None),
                          stopped_on=getattr(event, "period_to", None), subject=ground,
                          parent=clock, outcome=verdict, anchor_on=event.occurred_on,
                          detail={"episode": episode, "phase": getattr(event, "phase", None),
                                  "closure_starts_on": _iso(getattr(event, "closure_starts_on",
                                                                    None)),
                                  "reopens_on": _iso(getattr(event, "reopens_on", None)),
                                  "withdrawn_on": _iso(withdrawn_on.get(claim_id))
                                  if verdict == "withdrawn" else None,
                                  "outcome_until_withdrawn": standing_verdict
                                  if verdict == "withdrawn" else None}))
    return rows


def _correction_facts(journey: ChildJourney, child_id: str, authority: str, today: date
                      ) -> list[dict[str, Any]]:
    """Each correction or retraction that changed a clock episode's outcome."""
    log = journey.log
    rows = []
    for index, event in enumerate(log):
        if not isinstance(event, EntryCorrected | EntryRetracted):
            continue
        before = {(r.clock, r.episode): r.status.value
                  for r in compute_clocks(replay(log[:index]), today)}
        after = {(r.clock, r.episode): r.status.value
                 for r in compute_clocks(replay(log[:index + 1]), today)}
        target = next((e for e in log if e.originator_version == event.target_version), None)
        for key in sorted(set(before) | set(after)):
            was, now = before.get(key, "absent"), after.get(key, "absent")
            if was == now:
                continue
            rows.append(_fact(
                child_id, authority, "correction",
                f"{event.originator_version}:{key[0]}:{key[1]}", started_on=event.occurred_on,
                subject=key[0], parent=target.type_name if target else None,
                outcome=f"{was}->{now}", detail={
                    "episode": key[1], "version": event.originator_version,
                    "target_version": event.target_version, "before": was, "after": now,
                    "kind": "corrected" if isinstance(event, EntryCorrected) else "retracted",
                    "actor_user": event.actor.user_id,
                    "actor_organisation": event.actor.organisation}))
    return rows


def _add_weeks(day: date, weeks: int) -> date:
    from domain.calendar import DEFAULT_COUNTING

    return DEFAULT_COUNTING.add_weeks(day, weeks)


def _weeks(n: int) -> Any:
    from datetime import timedelta

    return timedelta(weeks=n)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# Facts for the questions on plan content, placement sufficiency, moves between LAs,
# preparation for adulthood, refusals overturned and health advice (Q6, Q11, Q13, Q15,
# Q18, Q24 of the reference's section 8).

THERAPIES = ("SALT", "OT", "PHYSIO")
_THERAPY_KEYS = ("service", "therapy", "profession")


def therapies(items: Any) -> list[str]:
    """The therapies (SALT, OT, PHYSIO) a plan section's items name by code.

    An item names a therapy by one of the health service codes (``SALT``, ``OT``,
    ``PHYSIO``, any case) in ``service``, ``therapy`` or ``profession``: those keys are
    codes and stay in clear (``domain.personal_data.STRUCTURED_CODES``), while the
    provision's words are sealed personal data the read models never read.
    """
    found: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            found |= {str(item[k]).upper() for k in _THERAPY_KEYS if item.get(k)} & set(
                THERAPIES)
    return sorted(found)


def _uncoded(items: Any) -> int:
    """How many of a section's items carry no service code."""
    return sum(1 for item in items if isinstance(item, dict) and not any(
        item.get(k) for k in _THERAPY_KEYS)) if isinstance(items, list) else 0


def _names_setting(section_i: Any) -> bool | None:
    """Whether a section I names a setting (True), only a type (False), or is absent."""
    if not isinstance(section_i, dict) or not section_i:
        return None
    if section_i.get("setting_ref") or section_i.get("setting_name"):
        return True
    return False if section_i.get("setting_type") else None


def question_facts(journey: ChildJourney, child_id: str, authority: str
                   ) -> list[dict[str, Any]]:
    """The facts of the later questions: plan versions (section F/G content and whether
    section I names a setting), placement decisions, transfers in and out, held reviews
    (PfA discussed), the school at each appealable decision and mandatory advice recorded
    as unobtainable."""
    state = journey.state
    events = {e.originator_version: e for e in _effective(journey)}
    rows = _plan_version_facts(state, events, child_id, authority)
    preferences = {p.setting_ref: p for p in state.plan.preferences}
    for d in state.plan.placement_decisions:
        refused = preferences.get(d.refused_preference or "")
        rows.append(_fact(child_id, authority, "placement_decision", d.id,
                          started_on=d.decided_on, subject=d.refusal_ground,
                          outcome="named" if d.named_setting_ref else "type_only",
                          detail={"setting_type": d.setting_type,
                                  "preference_refused": d.refused_preference is not None,
                                  "preference_category": refused.category if refused
                                  else None}))
    transfer = state.movement.transfer_in
    if transfer is not None:
        rows.append(_fact(child_id, authority, "transfer", transfer.id, outcome="in",
                          started_on=transfer.transferred_on, subject=transfer.old_la,
                          anchor_on=transfer.made_on, stopped_on=transfer.notice_on,
                          detail={"last_reviewed_on": _iso(transfer.last_reviewed_on)}))
    for m in state.movement.moves:
        rows.append(_fact(child_id, authority, "transfer", m.id, outcome="out",
                          started_on=m.aware_on, subject=m.new_la, anchor_on=m.move_on,
                          stopped_on=m.transferred_out_on))
    for r in state.reviews.reviews:
        if r.held_on is not None:
            rows.append(_fact(child_id, authority, "review", r.id, started_on=r.held_on,
                              subject=r.review_type,
                              outcome="pfa_discussed" if r.pfa_discussed else "no_pfa"))
    for a in state.appealable_decisions:
        rows.append(_fact(child_id, authority, "decision_school", a.id,
                          started_on=a.notified_on, subject=_school_on(state, a.notified_on),
                          parent=a.kind))
    for event in events.values():
        if event.type_name != "DecisionToIssuePlanMade":
            continue
        request = next((r for r in state.assessment.requests
                        if r.issue_decision_on == event.occurred_on), None)
        for item in getattr(event, "advice_unobtainable", None) or []:
            advice_type = str(item.get("advice_type"))
            rows.append(_fact(
                child_id, authority, "advice_unobtainable",
                f"{event.originator_version}:{advice_type}", started_on=event.occurred_on,
                subject=advice_type, parent=request.id if request else None,
                outcome="independent_advice" if item.get("independent_advice_ref")
                else "none"))
    return rows


def _plan_version_facts(state: Any, events: dict[int, JourneyEvent], child_id: str,
                        authority: str) -> list[dict[str, Any]]:
    """One fact per plan version: in force from its issue to the next version (or the
    plan's end); whether section I names a setting or only a type; section F and G."""
    versions = state.plan.versions
    end = min((d for d in (state.plan.ceased_on, state.movement.transferred_out_on) if d),
              default=None)
    rows = []
    named: bool | None = None
    for index, v in enumerate(versions):
        event = events.get(int(v.id.removeprefix("plan-")))
        own = getattr(event, "sections", None) or {}
        if getattr(event, "named_setting", None):
            named = True
        elif "I" in own:
            named = _names_setting(own["I"])
        elif index == 0 or v.source != "amendment":
            named = bool(v.named_setting) if (v.named_setting or v.setting_type) else None
        stopped = versions[index + 1].issued_on if index + 1 < len(versions) else end
        f_items = [i for i in v.sections.get("F") or [] if isinstance(i, dict)]
        rows.append(_fact(
            child_id, authority, "plan_version", v.id, started_on=v.issued_on,
            stopped_on=stopped, subject=v.setting_type, parent=v.source,
            outcome={True: "named", False: "type_only", None: "none"}[named],
            detail={"f_items": len(f_items),
                    "f_not_quantified": sum(1 for i in f_items if i.get("quantified") is False),
                    "f_quantification_unrecorded": sum(1 for i in f_items
                                                       if "quantified" not in i),
                    "therapies_f": therapies(v.sections.get("F")),
                    "therapies_g": therapies(v.sections.get("G")),
                    "g_items_uncoded": _uncoded(v.sections.get("G"))}))
    return rows


def _school_on(state: Any, day: date) -> str | None:
    """The school the child was at on ``day``: the main placement (URN, UKPRN or SEN2
    setting code), else the setting of the SEN support period."""
    placements = sorted((p for p in state.plan.placements if p.covers(day)),
                        key=lambda p: p.rank)
    if placements:
        p = placements[0]
        return p.urn or p.ukprn or p.sen_setting
    support = [s for s in state.support.periods
               if s.start_on <= day and (s.end_on is None or day <= s.end_on)]
    return support[-1].setting_urn if support else None


# Queries.


Window = tuple[str, date | None, date | None]


class SQLCohortReports:
    """Fetch cohort rows for one authority (the reports aggregate them).

    Every method takes optional filters the reports push down: ``within`` (a row is kept
    when any of the named date columns falls in its ``(from, to)`` range, either end
    open), and for facts a due window, late-only, open on a day, and ``parent_plan_late``
    (advice whose request's plan was issued past week 20 in a window). Rows come back as
    plain dicts built from Core tuples; JSON ``detail`` is fetched as text and decoded
    here (cheaper than the driver's JSON loader), and only where asked.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def children(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> dict[str, dict[str, Any]]:
        table = CohortChild.__table__
        stmt = _windows(select(*table.c).where(table.c.authority == authority), table, within)
        return {r["child_id"]: r for r in self._fetch(stmt.order_by(self._by_child(table)))}

    def requests(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]:
        table = CohortRequest.__table__
        return self._fetch(_windows(select(*table.c).where(table.c.authority == authority),
                                    table, within).order_by(self._by_child(table)))

    def _by_child(self, table: Any) -> Any:
        """Rows in child id order as Python sorts them (code points: "C" on PostgreSQL),
        so the children behind a figure come nearly sorted."""
        return table.c.child_id.collate("C") if self.engine.dialect.name == "postgresql" \
            else table.c.child_id

    def disputes(self, authority: str, *, within: Sequence[Window] = ()
                 ) -> list[dict[str, Any]]:
        table = CohortDispute.__table__
        return self._fetch(_windows(select(*table.c).where(table.c.authority == authority),
                                    table, within))

    def facts(self, authority: str, kinds: Iterable[str], *, due_from: date | None = None,
              due_to: date | None = None, late_only: bool = False,
              within: Sequence[Window] = (), open_on: date | None = None,
              parent_plan_late: tuple[date, date] | None = None,
              detail: bool | None = None, columns: Sequence[str] | None = None
              ) -> list[dict[str, Any]]:
        """Fetch facts of ``kinds``, filtered in SQL as asked (see the class); only the
        named ``columns`` when given (``kind`` always)."""
        kinds = list(kinds)
        table = CohortFact.__table__
        if detail is None:  # only where a question reads it: JSON costs the most to load
            detail = any(not k.startswith("K") or k == "K2" for k in kinds)
        wanted = [c for c in table.c if c.name != "detail" and (
            columns is None or c.name in columns or c.name == "kind")]
        if detail:
            wanted.append(cast(table.c.detail, Text).label("detail"))
        stmt = select(*wanted).where(table.c.authority == authority,
                                      table.c.kind.in_(kinds))
        if due_from is not None:
            stmt = stmt.where(table.c.due_on >= due_from)
        if due_to is not None:
            stmt = stmt.where(table.c.due_on <= due_to)
        if late_only:
            stmt = stmt.where(table.c.due_on.is_not(None)).where(
                table.c.stopped_on.is_(None) | (table.c.stopped_on > table.c.due_on))
        if open_on is not None:
            stmt = stmt.where(table.c.started_on <= open_on).where(
                table.c.stopped_on.is_(None) | (table.c.stopped_on > open_on))
        if parent_plan_late is not None:
            request = CohortRequest.__table__
            stmt = stmt.where(select(request.c.request_id).where(
                request.c.child_id == table.c.child_id,
                request.c.request_id == table.c.parent,
                request.c.final_issued_on.between(*parent_plan_late),
                request.c.final_issued_on > request.c.k4_due_on).exists())
        rows = self._fetch(_windows(stmt, table, within))
        if detail:
            for row in rows:
                text_value = row["detail"]
                row["detail"] = json.loads(text_value) if text_value is not None else None
        return rows

    # Aggregates computed in PostgreSQL (None elsewhere: the reports then count in Python).

    def aggregate(self, question: str, *, authority: str, as_at: date,
                  period_from: date | None, period_to: date | None,
                  filters: dict[str, Any], breakdown: str | None,
                  age_bands: dict[str, tuple[int, int]], measures: Sequence[str],
                  values: Sequence[str]) -> dict[str, Any] | None:
        """Count a question's records in SQL: overall and per ``breakdown`` group, each
        measure's count and children, each value's numbers (medians are taken by the
        caller, exactly as for records counted in Python). None when the question has
        no SQL form here, or the database is not PostgreSQL."""
        build = SQL_RECORDS.get(question)
        if build is None or self.engine.dialect.name != "postgresql":
            return None
        child = CohortChild.__table__.alias("c")
        dims = _child_dims(child, as_at, age_bands)
        records = build(child, authority, as_at, period_from, period_to)
        merged = {**dims, **records.dims}
        if breakdown is not None and breakdown not in merged:
            return None
        stmt = records.select.add_columns(*(v.label(f"dim_{k}") for k, v in merged.items()))
        for name, wanted in filters.items():
            stmt = stmt.where(merged[name] == wanted)
        rec = stmt.subquery("rec")
        # Children in code-point order ("C"), as Python sorts them: a cheaper sort here,
        # and next to none in Python.
        child_id = rec.c.child_id.collate("C")
        columns: list[Any] = [func.count(), func.count(distinct(child_id)),
                              func.array_agg(distinct(child_id))]
        for flag in measures:
            hit = rec.c[f"flag_{flag}"]
            columns += [func.count().filter(hit),
                        func.array_agg(distinct(child_id)).filter(hit)]
        for value in values:
            number = rec.c[f"value_{value}"]
            columns.append(func.array_agg(number).filter(number.is_not(None)))
        query = select(*columns)
        if breakdown is not None:
            key = rec.c[f"dim_{breakdown}"]
            query = select(key, func.grouping(key), *columns).group_by(
                func.grouping_sets(tuple_(), tuple_(key)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        total: dict[str, Any] | None = None
        groups: list[tuple[Any, dict[str, Any]]] = []
        for found in rows:
            row: Sequence[Any] = found
            if breakdown is not None:
                key_value, grouped, row = found[0], found[1], found[2:]
            figures = _raw_figures(row, measures, values)
            if breakdown is None or grouped:
                total = figures
            else:
                groups.append((key_value, figures))
        if total is None:  # no record at all: COUNT over nothing still gives a row
            total = _raw_figures((0, 0, None, *([0, None] * len(measures)),
                                  *([None] * len(values))), measures, values)
        return {"total": total, "groups": groups}

    def plan_counts(self, authority: str, *, census: date, ceased_from: date,
                    ceased_to: date, age_bands: dict[str, tuple[int, int]]
                    ) -> dict[str, Any] | None:
        """Plans active on the census day (overall, by primary need, setting type, age
        band on the day and sex) and ceased in the window (overall, by reason): each a
        count and its children. None off PostgreSQL (the caller counts the children)."""
        if self.engine.dialect.name != "postgresql":
            return None
        child = CohortChild.__table__
        child_id = child.c.child_id.collate("C")
        active = child.c.plan_made_on.is_not(None) & (child.c.plan_made_on <= census) & (
            child.c.plan_ceased_on.is_(None) | (child.c.plan_ceased_on > census)) & (
            child.c.transferred_out_on.is_(None) | (child.c.transferred_out_on > census))
        dims = {"primary_need": child.c.primary_need, "setting_type": child.c.setting_type,
                "age_band": _child_dims(child, census, age_bands)["age_band"],
                "sex": child.c.sex}
        ceased = {"reason": child.c.cease_reason}
        out: dict[str, Any] = {}
        for part, where, by in (
                ("active", active, dims),
                ("ceased", child.c.plan_ceased_on.between(ceased_from, ceased_to), ceased)):
            rec = select(child_id.label("child_id"), *(v.label(k) for k, v in by.items())
                         ).where(child.c.authority == authority, where).subquery(part)
            keys = [rec.c[k] for k in by]
            query = select(*keys, *(func.grouping(k) for k in keys), func.count(),
                           func.array_agg(distinct(rec.c.child_id))).group_by(
                func.grouping_sets(tuple_(), *(tuple_(k) for k in keys)))
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            found: dict[str, Any] = {"total": (0, []), **{k: {} for k in by}}
            for row in rows:
                values, grouped = row[:len(keys)], row[len(keys):2 * len(keys)]
                figure = (row[-2], row[-1] or [])
                grouped_by = [k for k, g in zip(by, grouped, strict=True) if not g]
                if grouped_by:
                    found[grouped_by[0]][values[list(by).index(grouped_by[0])]] = figure
                else:
                    found["total"] = figure
            out[part] = found
        return out

    def late_advice(self, authority: str, *, plans_from: date, plans_to: date
                    ) -> list[tuple[str, str, str | None, int]] | None:
        """For each plan issued in the window past its week 20: the most days any of its
        advice was late as at the plan's issue, by the adviser's responsible body, as
        ``(child, request, body, days)``. None off PostgreSQL."""
        if self.engine.dialect.name != "postgresql":
            return None
        fact, request = CohortFact.__table__, CohortRequest.__table__
        issued = request.c.final_issued_on
        end = case((fact.c.stopped_on <= issued, fact.c.stopped_on), else_=issued)
        query = select(fact.c.child_id, fact.c.parent, fact.c.responsible,
                       func.max(end - fact.c.due_on)).join(
            request, (request.c.child_id == fact.c.child_id)
            & (request.c.request_id == fact.c.parent)).where(
            fact.c.authority == authority, fact.c.kind == "K2", fact.c.due_on.is_not(None),
            request.c.authority == authority, issued.between(plans_from, plans_to),
            issued > request.c.k4_due_on, end > fact.c.due_on).group_by(
            fact.c.child_id, fact.c.parent, fact.c.responsible)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query).all()]  # type: ignore[misc]

    def late_episodes(self, authority: str, kinds: Sequence[str], *, due_from: date,
                      due_to: date, as_at: date) -> list[dict[str, Any]] | None:
        """Clock episodes due in the window (and by ``as_at``) and late as at ``as_at``,
        by responsible body and clock: episodes, days late, children. None off
        PostgreSQL (the caller counts the rows itself)."""
        if self.engine.dialect.name != "postgresql":
            return None
        fact = CohortFact.__table__
        end = case((fact.c.stopped_on <= as_at, fact.c.stopped_on), else_=literal(as_at, Date))
        body = func.coalesce(fact.c.responsible, "unknown")
        rec = select(body.label("body"), fact.c.kind, fact.c.child_id,
                     (end - fact.c.due_on).label("days")).where(
            fact.c.authority == authority, fact.c.kind.in_(list(kinds)),
            fact.c.due_on.is_not(None), fact.c.due_on >= due_from, fact.c.due_on <= due_to,
            fact.c.due_on <= as_at, fact.c.outcome.is_distinct_from("not_applicable"),
            end > fact.c.due_on).subquery("late")
        query = select(rec.c.body, rec.c.kind, func.grouping(rec.c.kind), func.count(),
                       func.sum(rec.c.days), func.array_agg(distinct(rec.c.child_id.collate("C")))
                       ).group_by(func.grouping_sets(tuple_(rec.c.body),
                                                     tuple_(rec.c.body, rec.c.kind)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        out: dict[str, dict[str, Any]] = {}
        for body_name, kind, whole, episodes, days, children in rows:
            entry = out.setdefault(body_name, {"body": body_name, "by_clock": {}})
            if whole:
                entry.update(episodes=episodes, days=float(days), children=children)
            else:
                entry["by_clock"][kind] = episodes
        return list(out.values())


    def _fetch(self, stmt: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            keys = list(result.keys())
            return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _windows(stmt: Any, table: Any, within: Sequence[Window]) -> Any:
    """Keep rows where any named date column falls in its window (ends may be open)."""
    if not within:
        return stmt
    clauses = []
    for column, low, high in within:
        clause = table.c[column].is_not(None)
        if low is not None:
            clause = clause & (table.c[column] >= low)
        if high is not None:
            clause = clause & (table.c[column] <= high)
        clauses.append(clause)
    return stmt.where(or_(*clauses))


@dataclass
class RecordsSQL:
    """A question's records as SQL: one row per record with ``child_id``, ``flag_<m>``
    and ``value_<v>`` columns, and the record's own dimensions (they override the
    child's, as a record's ``dims`` do)."""

    select: Any
    dims: dict[str, Any]


def _raw_figures(row: Sequence[Any], measures: Sequence[str], values: Sequence[str]
                 ) -> dict[str, Any]:
    count, children_count, children = row[0], row[1], row[2]
    at = 3
    flags = {}
    for flag in measures:
        flags[flag] = (row[at], row[at + 1] or [])
        at += 2
    numbers = {}
    for value in values:
        numbers[value] = [float(n) for n in row[at] or []]
        at += 1
    return {"count": count, "children_count": children_count, "children": children or [],
            "measures": flags, "values": numbers}


def _child_dims(child: Any, as_at: date, age_bands: dict[str, tuple[int, int]]
                ) -> dict[str, Any]:
    """The child's dimensions as SQL expressions (age band and looked-after status as at
    ``as_at``)."""
    age = _age(child.c.date_of_birth, as_at)
    band = case(*((age.between(low, high), band) for band, (low, high) in age_bands.items()),
                else_=None)
    fact = CohortFact.__table__.alias("looked_after")
    looked_after = select(fact.c.child_id).where(
        fact.c.child_id == child.c.child_id, fact.c.authority == child.c.authority,
        fact.c.kind == "looked_after", fact.c.started_on <= as_at,
        fact.c.stopped_on.is_(None) | (fact.c.stopped_on > as_at)).exists()
    return {"primary_need": child.c.primary_need, "sex": child.c.sex,
            "ethnicity": child.c.ethnicity, "setting_type": child.c.setting_type,
            "requester": child.c.requester, "age_band": band,
            "looked_after": case((looked_after, "yes"), else_="no")}


def _age(born: Any, day: date) -> Any:
    """``application.reports.age_on`` in SQL: whole years on ``day``."""
    birthday_to_come = (func.date_part("month", born) * 100 + func.date_part("day", born)
                        ) > day.month * 100 + day.day
    return day.year - func.date_part("year", born) - case((birthday_to_come, 1), else_=0)


def _in_period(column: Any, as_at: date, period_from: date | None,
               period_to: date | None) -> Any:
    clause = column.is_not(None) & (column <= as_at)
    if period_from is not None:
        clause = clause & (column >= period_from)
    if period_to is not None:
        clause = clause & (column <= period_to)
    return clause


def _late_at(due: Any, stopped: Any, as_at: date) -> Any:
    """``application.reports.late_at`` with ``stopped`` already cut at ``as_at``."""
    return case((stopped.is_not(None), stopped > due), else_=literal(as_at, Date) > due)


def _advice_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                period_to: date | None) -> RecordsSQL:
    """``application.reports.advice_records`` in SQL."""
    f = CohortFact.__table__
    day = literal(as_at, Date)
    stopped = case((f.c.stopped_on <= as_at, f.c.stopped_on), else_=None)
    final = cast(f.c.detail["final_issued_on"].as_string(), Date)
    final_on = case((final <= as_at, final), else_=None)
    week_20 = f.c.anchor_on
    late = _late_at(f.c.due_on, stopped, as_at)
    plan_late = week_20.is_not(None) & _late_at(week_20, final_on, as_at)
    pushed = late & plan_late & (stopped.is_(None) | (stopped > week_20) | (
        final_on.is_not(None) & (stopped > final_on - 14)))
    days = case((late, cast(case((stopped.is_not(None), stopped), else_=day) - f.c.due_on,
                            Float)), else_=None)
    stmt = select(f.c.child_id, stopped.is_not(None).label("flag_returned"),
                  (stopped.is_not(None) & (stopped <= f.c.due_on)).label("flag_within_6_weeks"),
                  late.label("flag_late"),
                  (late & f.c.exception_ground.is_not(None)).label(
                      "flag_late_exception_applies"),
                  pushed.label("flag_pushed_plan_past_week_20"),
                  days.label("value_days_late")).join(
        child, (child.c.child_id == f.c.child_id) & (child.c.authority == authority)).where(
        f.c.authority == authority, f.c.kind == "K2", f.c.due_on.is_not(None),
        _in_period(f.c.started_on, as_at, period_from, period_to))
    return RecordsSQL(stmt, {"adviser_type": f.c.subject, "responsible": f.c.responsible,
                             "month": func.to_char(f.c.started_on, "YYYY-MM")})


def _timeliness_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                    period_to: date | None) -> RecordsSQL:
    """``application.reports.timeliness_records`` in SQL."""
    r = CohortRequest.__table__
    within = r.c.final_issued_on <= r.c.k4_due_on
    exception = r.c.k4_ground.is_not(None)
    taken = r.c.final_issued_on - r.c.received_on
    weeks = cast(func.round(cast(taken, Numeric) / 7, 2), Float)
    stmt = select(r.c.child_id, within.label("flag_within_20_weeks"),
                  (~within).label("flag_over_20_weeks"),
                  exception.label("flag_exception_applied"),
                  (~exception).label("flag_no_exception"),
                  (within & ~exception).label("flag_within_20_weeks_excluding_exceptions"),
                  (~within & ~exception).label("flag_late_without_exception"),
                  (~within & exception).label("flag_late_exception_applies"),
                  (~within & (taken <= 365)).label("flag_over_20_weeks_within_a_year"),
                  (taken > 365).label("flag_over_a_year"),
                  weeks.label("value_weeks_to_issue")).join(
        child, (child.c.child_id == r.c.child_id) & (child.c.authority == authority)).where(
        r.c.authority == authority,
        _in_period(r.c.final_issued_on, as_at, period_from, period_to))
    return RecordsSQL(stmt, {"exception_ground": r.c.k4_ground,
                             "requester": r.c.requester_role,
                             "month": func.to_char(r.c.final_issued_on, "YYYY-MM")})


def _reviews_overdue_sql(child: Any, authority: str, as_at: date, period_from: date | None,
                         period_to: date | None) -> RecordsSQL:
    """``application.reports.reviews_overdue_records`` in SQL (months as
    ``DEFAULT_COUNTING.add_months``: the same day, clamped to a shorter month's end)."""
    f = CohortFact.__table__
    day = literal(as_at, Date)
    active = child.c.plan_made_on.is_not(None) & (child.c.plan_made_on <= as_at) & (
        child.c.plan_ceased_on.is_(None) | (child.c.plan_ceased_on > as_at)) & (
        child.c.transferred_out_on.is_(None) | (child.c.transferred_out_on > as_at))
    under_5 = _age(child.c.date_of_birth, as_at) < 5
    six_months = cast(f.c.started_on + text("interval '6 months'"), Date)
    overdue = day > f.c.due_on
    stmt = select(f.c.child_id, overdue.label("flag_overdue"), under_5.label("flag_under_5"),
                  (under_5 & (day > six_months)).label("flag_under_5_no_review_in_6_months"),
                  case((overdue, cast(day - f.c.due_on, Float)), else_=None).label(
                      "value_days_overdue")).join(
        child, (child.c.child_id == f.c.child_id) & (child.c.authority == authority)).where(
        f.c.authority == authority, f.c.kind == "K7", f.c.due_on.is_not(None),
        f.c.started_on.is_not(None), f.c.started_on <= as_at,
        f.c.stopped_on.is_(None) | (f.c.stopped_on > as_at), active)
    return RecordsSQL(stmt, {"last_review_or_plan_on": func.to_char(f.c.started_on,
                                                                    "YYYY-MM-DD")})


SQL_RECORDS: dict[str, Any] = {"advice": _advice_sql, "timeliness": _timeliness_sql,
                               "reviews-overdue": _reviews_overdue_sql}


# Registered beside the other projections (``infrastructure.projections`` imports this
# module before it defines its runners, so they run this projection too).
PROJECTIONS[CohortProjection.name] = CohortProjection
