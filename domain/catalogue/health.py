"""Health and social care beside the plan: referrals and waits, assessments, DCO checks.

The LA holds only what partners share, so each referral names who shared it. Waits are
kept per service for the inspection questions about health waits; only the autism
diagnostic wait has a standard, and it is a quality standard, not law (K26, NICE QS51).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from domain.ages import age_on
from domain.catalogue.common import check, check_not_before
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState

AUTISM_SERVICE = "ND_AUTISM"
_Service = Literal["SALT", "OT", "PHYSIO", "COMMUNITY_PAEDIATRICS", "ND_AUTISM", "ADHD",
                   "CAMHS", "OTHER"]


REFERRAL = record_kind(
    "referral_id", "referral",
    "a health referral; its first contact, intervention and diagnosis name it")
SOCIAL_CARE_ASSESSMENT = record_kind(
    "social_care_assessment_id", "social-care", "a social care assessment")
QUALITY_ASSURANCE = record_kind(
    "quality_assurance_id", "dco-qa", "a DCO's quality assurance of advice or a plan section")


@dataclass
class HealthReferral:
    """A referral to a children's health service and the steps that ended the wait."""

    id: str
    service: str
    referred_on: date
    referrer: str
    shared_by: str
    accepted_on: date | None = None
    first_contact_on: date | None = None
    first_contact_kind: str | None = None
    intervention_started_on: date | None = None
    diagnosis_on: date | None = None
    diagnosis_outcome: str | None = None

    @property
    def wait_ended_on(self) -> date | None:
        """Return the first day the child was seen, treated or given a diagnosis."""
        ends = [d for d in (self.first_contact_on, self.intervention_started_on,
                            self.diagnosis_on) if d is not None]
        return min(ends) if ends else None

    @property
    def is_waiting(self) -> bool:
        return self.wait_ended_on is None

    def wait_days(self, today: date) -> int:
        """Return the days waited from referral to being seen, or to ``today`` if waiting."""
        return ((self.wait_ended_on or today) - self.referred_on).days


@dataclass
class SocialCareAssessment:
    """A completed social care assessment (Children Act 1989 s.17, carers, Care Act)."""

    id: str
    assessment_type: str
    completed_on: date
    outcome: str


@dataclass
class QualityAssurance:
    """A Designated Clinical (or Medical) Officer's check of health advice or sections."""

    id: str
    target: str
    target_ref: str
    rating: str
    recorded_on: date


@dataclass
class HealthState:
    """Health referrals and waits, social care assessments and DCO checks."""

    referrals: list[HealthReferral] = field(default_factory=list)
    social_care_assessments: list[SocialCareAssessment] = field(default_factory=list)
    quality_assurance: list[QualityAssurance] = field(default_factory=list)

    def referral(self, referral_id: str) -> HealthReferral | None:
        return next((r for r in self.referrals if r.id == referral_id), None)

    def waits_by_service(self, today: date) -> dict[str, list[int]]:
        """Return, per service, the days each referral waited (or has waited by ``today``)."""
        waits: dict[str, list[int]] = {}
        for referral in self.referrals:
            if referral.referred_on <= today:
                waits.setdefault(referral.service, []).append(referral.wait_days(today))
        return waits


HEALTH_RULES = "casetrack journey rule (health referrals and waits)"

ALREADY_WAITING = rule(
    "health-referral-already-waiting", HEALTH_RULES,
    "A child waits on one referral per service at a time; record the first contact of "
    "the waiting one before referring again.", Body.HEALTH)
STEP_NEEDS_REFERRAL = rule(
    "health-step-needs-referral", HEALTH_RULES,
    "A first contact, intervention or diagnosis names a referral of this journey and is "
    "recorded once for it.", Body.HEALTH)
SOCIAL_CARE_AGE = rule(
    "social-care-assessment-age", "Children Act 1989 ss.17, 105(1); Care Act 2014 ss.9, 58",
    "A child in need assessment and a Care Act transition assessment are for under-18s; "
    "a Care Act needs assessment is for adults.", Body.SOCIAL_CARE)
QA_NEEDS_CONTENT = rule(
    "dco-qa-needs-plan-content", "SEND Code of Practice 2015, 3.45-3.47",
    "A DCO's check of section C or G needs a draft or issued plan to check.", Body.HEALTH)


def _referral_without(state: JourneyState, referral_id: str, attribute: str) -> HealthReferral:
    referral = state.health.referral(referral_id)
    check(referral is not None and getattr(referral, attribute) is None, STEP_NEEDS_REFERRAL,
          f"no referral {referral_id!r} without {attribute}")
    assert referral is not None
    return referral


class HealthReferralMade(JourneyEvent):
    """The child was referred to a health service (starts the wait; K26 for autism)."""

    service: _Service
    referrer: str
    shared_by: str
    accepted_on: date | None = None

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        check(not any(r.service == self.service and r.is_waiting
                      for r in state.health.referrals), ALREADY_WAITING,
              f"the child is already waiting for {self.service}")
        check_not_before(self.accepted_on, self.occurred_on, "accepted_on", "occurred_on")
        state.health.referrals.append(HealthReferral(
            id=state.mint(REFERRAL, self.originator_version), service=self.service,
            referred_on=self.occurred_on, referrer=self.referrer, shared_by=self.shared_by,
            accepted_on=self.accepted_on))


class HealthServiceFirstContact(JourneyEvent):
    """The service first saw the child (ends the wait; an assessment contact stops K26)."""

    referral_id: str
    kind: Literal["triage", "assessment", "treatment"] = "assessment"

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        referral = _referral_without(state, self.referral_id, "first_contact_on")
        check_not_before(self.occurred_on, referral.referred_on, "occurred_on", "referred_on")
        referral.first_contact_on = self.occurred_on
        referral.first_contact_kind = self.kind


class HealthInterventionStarted(JourneyEvent):
    """The service started therapy or treatment."""

    referral_id: str
    intervention: str

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        referral = _referral_without(state, self.referral_id, "intervention_started_on")
        check_not_before(self.occurred_on, referral.referred_on, "occurred_on", "referred_on")
        referral.intervention_started_on = self.occurred_on


class HealthDiagnosisRecorded(JourneyEvent):
    """A diagnostic assessment concluded (ends the wait and K26)."""

    referral_id: str
    outcome: Literal["diagnosed", "not_diagnosed", "inconclusive"]
    condition_code: str | None = None

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        referral = _referral_without(state, self.referral_id, "diagnosis_on")
        check_not_before(self.occurred_on, referral.referred_on, "occurred_on", "referred_on")
        referral.diagnosis_on = self.occurred_on
        referral.diagnosis_outcome = self.outcome


class SocialCareAssessmentCompleted(JourneyEvent):
    """Social care completed an assessment of the child, a carer or the young adult."""

    assessment_type: Literal["s17_child_in_need", "carers", "care_act_transition",
                             "care_act_needs"]
    outcome: str

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.SOCIAL_CARE

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        adult = age_on(state.child.date_of_birth, self.occurred_on) >= 18
        if self.assessment_type in ("s17_child_in_need", "care_act_transition"):
            check(not adult, SOCIAL_CARE_AGE, f"{self.assessment_type} is for under-18s")
        if self.assessment_type == "care_act_needs":
            check(adult, SOCIAL_CARE_AGE, "a Care Act needs assessment is for adults; use "
                  "care_act_transition before 18")
        state.health.social_care_assessments.append(SocialCareAssessment(
            id=state.mint(SOCIAL_CARE_ASSESSMENT, self.originator_version),
            assessment_type=self.assessment_type, completed_on=self.occurred_on,
            outcome=self.outcome))


class DCOQualityAssuranceRecorded(JourneyEvent):
    """The DCO recorded a quality check of health advice or of section C or G."""

    target: Literal["advice", "section_c", "section_g"]
    target_ref: str
    rating: Literal["good", "requires_improvement", "inadequate"]
    comments_ref: str | None = None

    group: ClassVar[str] = "health"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        if self.target != "advice":
            drafted = any(r.draft_issued_on is not None for r in state.assessment.requests)
            check(drafted or state.plan.current is not None, QA_NEEDS_CONTENT,
                  "no draft or plan has been issued")
        state.health.quality_assurance.append(QualityAssurance(
            id=state.mint(QUALITY_ASSURANCE, self.originator_version), target=self.target,
            target_ref=self.target_ref, rating=self.rating, recorded_on=self.occurred_on))


K26 = ClockSpec("K26", "Autism diagnostic assessment start", "3 months from referral accepted",
                "NICE quality standard QS51, statement 1", Body.HEALTH, statutory=False)


@clock(K26)
def autism_assessment_clock(state: JourneyState, context: ClockContext
                            ) -> Iterator[ClockReading]:
    for referral in state.health.referrals:
        if referral.service != AUTISM_SERVICE:
            continue
        start = referral.accepted_on or referral.referred_on
        assessed = [d for d in (
            referral.first_contact_on if referral.first_contact_kind == "assessment" else None,
            referral.diagnosis_on) if d is not None]
        yield reading(K26, context, episode=referral.id, started_on=start,
                      due_on=context.due("K26", start),
                      stopped_on=min(assessed) if assessed else None)
