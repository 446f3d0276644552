"""The cohort rows of one journey: what the domain's clock readings and effective
events decided, stored as dates, due dates, statuses and verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.catalogue.exceptions import CLAIM_EVENTS, EXCEPTION_CLAIM, claim_verdict
from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.journey import ChildJourney
from domain.state import replay
from infrastructure.batches import child_key
from infrastructure.cohort.question_facts import question_facts
from infrastructure.cohort.tables import (
    _effective,
    _fact,
    _iso,
)
from infrastructure.summaries import _current_placement, _primary_need


@dataclass
class CohortRows:
    child: dict[str, Any]
    requests: list[dict[str, Any]]
    disputes: list[dict[str, Any]]
    facts: list[dict[str, Any]]


# Rows from one journey.


def cohort_rows(journey: ChildJourney, position: int, today: date,
                policy: LocalPolicy = DEFAULT_POLICY,
                every: Sequence[ClockReading] | None = None) -> CohortRows:
    """Return the cohort rows of one journey as it now stands (``every``: its state's
    ``compute_clocks`` on ``today``, when the caller has them)."""
    state = journey.state
    assert state.child is not None
    child_id, authority = child_key(journey.id), state.child.authority
    if every is None:
        every = compute_clocks(state, today, policy=policy)
    readings = list({(r.clock, r.episode): r for r in every}.values())
    facts = _clock_facts(state, readings, child_id, authority)
    facts += _other_facts(state, child_id, authority)
    facts += _claim_facts(journey, child_id, authority)
    facts += _correction_facts(journey, child_id, authority, today, policy)
    facts += question_facts(journey, child_id, authority)
    return CohortRows(_child_row(journey, position),
                      _request_rows(state, readings, child_id, authority),
                      _dispute_rows(state, child_id, authority), facts)


def _child_row(journey: ChildJourney, position: int) -> dict[str, Any]:
    state = journey.state
    assert state.child is not None
    requests = state.assessment.requests
    current = _current_placement(state)
    plan = state.plan.current
    needs = [n for n in (state.plan.needs or getattr(state.support, "needs", None) or [])
             if isinstance(n, dict)]
    cease_reason = next((getattr(e, "cease_reason", None) for e in reversed(
        _effective(journey)) if e.type_name == "PlanCeased"), None)
    first = requests[0] if requests else None
    return {
        "child_id": child_key(journey.id), "authority": state.child.authority,
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


def _request_rows(state: Any, readings: list[Any], child_id: str, authority: str
                  ) -> list[dict[str, Any]]:
    """One row per request, its K1 and K4 due dates and grounds as the readings give."""
    by_episode = {(r.clock, r.episode): r for r in readings}
    mediations = {m.decision_id for m in state.disputes.mediations}
    appeals = {a.decision_id for a in state.disputes.appeals if a.decision_id}
    rows = []
    for r in state.assessment.requests:
        k1, k4 = by_episode.get(("K1", r.id)), by_episode.get(("K4", r.id))
        linked = [d.id for d in state.appealable_decisions
                  if d.kind in ("refuse_assessment", "refuse_plan", "plan_content")
                  and r.received_on <= d.notified_on]
        rows.append({
            "child_id": child_id, "request_id": r.id, "authority": authority,
            "received_on": r.received_on, "route": r.route,
            "requester_role": r.requester_role or r.route, "request_source": r.request_source,
            "rya": r.rya, "decision": r.decision,
            "decision_notified_on": r.decision_notified_on, "withdrawn_on": r.withdrawn_on,
            "issue_decision": r.issue_decision, "issue_decision_on": r.issue_decision_on,
            "no_plan_notified_on": r.no_plan_notified_on, "final_issued_on": r.final_issued_on,
            "k1_due_on": k1.due_on if k1 else None, "k4_due_on": k4.due_on if k4 else None,
            "k1_ground": k1.exception_ground if k1 else None,
            "k4_ground": k4.exception_ground if k4 else None,
            "mediation": any(d in mediations for d in linked),
            "tribunal": any(d in appeals for d in linked),
        })
    return rows


def _dispute_rows(state: Any, child_id: str, authority: str) -> list[dict[str, Any]]:
    mediations = {m.decision_id: m for m in state.disputes.mediations}
    appeals = {a.decision_id: a for a in state.disputes.appeals if a.decision_id}
    rows = []
    for d in {d.id: d for d in state.appealable_decisions}.values():
        m, a = mediations.get(d.id), appeals.get(d.id)
        rows.append({
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
    return rows


def _clock_facts(state: Any, readings: list[Any], child_id: str, authority: str
                 ) -> list[dict[str, Any]]:
    advice = {a.id: a for a in state.plan.advice}
    # Week 20 of each request: its K4 reading's due date (none where K4 does not apply).
    k4_due = {r.episode: r.due_on for r in readings if r.clock == "K4"}
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
        elif r.clock in ("K22", "K27") and r.episode in orders:
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


def _claim_facts(journey: ChildJourney, child_id: str, authority: str
                 ) -> list[dict[str, Any]]:
    """Every exception claim as now corrected, with the domain's verdict on it
    (``domain.catalogue.exceptions.claim_verdict``) and whether it was withdrawn."""
    state = journey.state
    standing = {c.id: c for c in state.exception_claims}
    effective = _effective(journey)
    withdrawn_on = {getattr(e, "claim_id", None): e.occurred_on for e in effective
                    if e.type_name == "TimescaleExceptionWithdrawn"}
    rows = []
    for event in effective:
        if event.type_name not in CLAIM_EVENTS:
            continue
        claim_id = EXCEPTION_CLAIM.id_for(event.originator_version)
        claim = standing.get(claim_id)
        held = claim_verdict(state, event)  # as it stood until any withdrawal
        withdrawn = claim is not None and claim.withdrawn
        rows.append(_fact(
            child_id, authority, "exception_claim", claim_id,
            started_on=getattr(event, "period_from", None),
            stopped_on=getattr(event, "period_to", None), subject=getattr(event, "ground", None),
            parent=getattr(event, "clock", "K2"), outcome="withdrawn" if withdrawn else held,
            anchor_on=event.occurred_on, detail={
                "episode": claim.episode if claim else (
                    getattr(event, "episode", None) or getattr(event, "advice_request_id", None)),
                "phase": getattr(event, "phase", None),
                "closure_starts_on": _iso(getattr(event, "closure_starts_on", None)),
                "reopens_on": _iso(getattr(event, "reopens_on", None)),
                "withdrawn_on": _iso(withdrawn_on.get(claim_id)) if withdrawn else None,
                "outcome_until_withdrawn": held if withdrawn else None}))
    return rows


def _correction_facts(journey: ChildJourney, child_id: str, authority: str, today: date,
                      policy: LocalPolicy = DEFAULT_POLICY
                      ) -> list[dict[str, Any]]:
    """Each correction or retraction that changed a clock episode's outcome."""
    log = journey.log
    rows = []
    for index, event in enumerate(log):
        if not isinstance(event, EntryCorrected | EntryRetracted):
            continue
        before = {(r.clock, r.episode): r.status.value
                  for r in compute_clocks(replay(log[:index]), today, policy=policy)}
        after = {(r.clock, r.episode): r.status.value
                 for r in compute_clocks(replay(log[:index + 1]), today, policy=policy)}
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
