"""The case bundle of one tracked child: JSON for inspectors and staff, HTML for a parent.

The bundle gathers, from the journey replayed at ``as_at`` (today by default): the
journey and its timeline, every plan version with its sections, the advice asked for and
how late it came, reviews, disputes and their outcomes, health referrals and waits,
placements, the family's own voice, and every delay with the body responsible for it.
Access is the journey's (``access.check_may_read`` through ``history.journey_at``):
staff of the authority, and inspectors only for children in an active sample. Sealed
free text is opened for the reader as the journey read does.

``application.parent_page`` turns it into what the family's page says, and
``web/templates/parent_page.html`` writes that page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.family_words import setting_words
from application.history import journey_at, load_journey
from application.views import plain
from domain.actors import Actor
from domain.ages import age_on
from domain.clocks import ClockStatus, compute_clocks

if TYPE_CHECKING:
    from application.tracking import CaseTracking

VOICE_TYPES = frozenset({"ChildViewsRecorded", "FamilyFeedbackRecorded", "FamilyViewsSubmitted",
                         "RepresentationsReceived", "PlacementPreferenceExpressed"})
LATE = (ClockStatus.LATE, ClockStatus.LATE_EXCEPTION_APPLIES)


def case_bundle(app: CaseTracking, child_id: UUID, *, actor: Actor,
                as_at: date | None = None, admitted: Callable[[], object] | None = None
                ) -> dict[str, Any]:
    """Return the child's case bundle (the caller's access is checked first; then
    ``admitted`` is called, before the bundle is built)."""
    today = app.today()
    view = journey_at(app, child_id, actor=actor, today=today, as_at=as_at,
                      admitted=admitted)
    journey = load_journey(app, child_id)
    state = journey.state_at(as_at=as_at)
    on = as_at or today
    readings = compute_clocks(state, on, policy=app.policy)
    k2 = {r.episode: r for r in readings if r.clock == "K2"}
    assert state.child is not None
    child = state.child
    section_i = state.plan.current.sections.get("I") if state.plan.current else None
    bundle: dict[str, Any] = {
        "child": {"child_id": str(child_id), "authority": child.authority,
                  "case_ref": child.case_ref, "date_of_birth": child.date_of_birth,
                  "age": age_on(child.date_of_birth, on), "sex": child.sex,
                  "status": state.status, "stage": state.stage},
        "as_at": on,
        "requests": [plain(r) | {"outcome": r.outcome} for r in state.assessment.requests],
        "plan_versions": [plain(v) for v in state.plan.versions],
        "drafts": [{"id": d.id, "served_on": d.served_on,
                    "representations_due": d.representations_due,
                    "finalised_on": d.finalised_on, "superseded_on": d.superseded_on}
                   for d in state.plan.drafts],
        "advice": [_advice(a, k2.get(a.id), on) for a in state.plan.advice],
        "adopted_advice": plain(state.plan.adopted_advice),
        "reviews": plain(state.reviews),
        "disputes": plain(state.disputes),
        "health": {"referrals": [plain(r) | {"wait_days": r.wait_days(on),
                                             "waiting": r.is_waiting}
                                 for r in state.health.referrals if r.referred_on <= on],
                   "social_care_assessments": plain(state.health.social_care_assessments)},
        "placements": plain(state.plan.placements),
        "out_of_school": plain(state.plan.out_of_school),
        "needs": plain(state.plan.needs),
        "voice": {"section_a": state.plan.current.sections.get("A")
                  if state.plan.current else None,
                  "records": plain(state.voice.views),
                  "entries": [{"type": e["type"], "occurred_on": e["occurred_on"],
                               "data": e["as_corrected"] or e["data"]}
                              for e in view["timeline"]
                              if e["type"] in VOICE_TYPES and e["in_force"]]},
        "delays": [_delay(r, on) for r in readings if r.status in LATE],
        "clocks": view["clocks"],
        "next_due": view["next_due"],
        "assignment": plain(state.governance.assignment),
        "school": setting_words(section_i, on) if section_i else None,
        "anomalies": view["anomalies"],
        "timeline": view["timeline"],
        "documents": [plain(d) | {"event_type": _type_at(journey, d.event_version)}
                      for d in state.documents],
    }
    return _revealed(app, child_id, bundle, actor)


def _revealed(app: CaseTracking, child_id: UUID, data: dict[str, Any], actor: Actor
              ) -> dict[str, Any]:
    vault = getattr(app, "vault", None)
    if vault is None:
        return data
    from application.personal_data import reveal

    revealed: dict[str, Any] = reveal(vault, child_id, data, actor)
    return revealed


def _type_at(journey: Any, version: int) -> str | None:
    event = journey.event(version)
    return event.type_name if event is not None else None


def _advice(advice: Any, reading: Any, on: date) -> dict[str, Any]:
    due = reading.due_on if reading else None
    return plain(advice) | {
        "due_on": due, "status": reading.status.value if reading else "not_applicable",
        "days_late": (reading.days_late or 0) if reading and advice.under_reg_8_duty else 0,
        "responsible_name": reading.responsible_name if reading else advice.recipient_org,
        "exception_ground": reading.exception_ground if reading else None}


def _delay(reading: Any, on: date) -> dict[str, Any]:
    return {"clock": reading.clock, "name": reading.name, "episode": reading.episode,
            "limit": reading.limit, "citation": reading.citation,
            "started_on": reading.started_on, "due_on": reading.due_on,
            "done_on": reading.stopped_on,
            "days_late": reading.days_late or 0,
            "responsible": reading.responsible.value,
            "responsible_name": reading.responsible_name,
            "exception_ground": reading.exception_ground, "status": reading.status.value}
