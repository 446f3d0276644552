"""Assessment advice (reg 6), its 6-week clock K2 (reg 8), and the decision whether to issue.

Each advice request is its own episode (``advice-<version>``) with its own clock K2: 6
weeks from the day the adviser received the request, owed by the adviser's body. Advice
from the parent or young person (reg 6(1)(a)) is not under the reg 8(1) duty, so its
K2 reading is not applicable. Advice given for another purpose may be adopted instead of
asked afresh when the adviser, the LA and the family all agree it is sufficient (reg 6(4)).

The state lives in ``state.plan`` (``advice``, ``adopted_advice``, ``observations``); the
decision to issue or not is written onto the open assessment request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from domain.ages import year_group
from domain.catalogue.common import (
    EXCEPTION_GROUNDS,
    NOTICE_CONTENTS,
    check,
    check_not_before,
    check_notice_content,
)
from domain.catalogue.disputes import comply_order_steps
from domain.catalogue.exceptions import CLAIM_NEEDS_EPISODE, add_claim
from domain.clocks import ClockContext, ClockReading, ClockSpec, ClockStatus, clock, reading
from domain.code_lists import takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import Rule, rule

if TYPE_CHECKING:
    from domain.catalogue.assessment import AssessmentRequest
    from domain.state import JourneyState

AdviceType = Literal[
    "Parent", "Educational", "SpecialistTeacherEducational", "Medical", "Psychological",
    "SocialCare", "PreparationForAdulthood", "LAOther", "ParentRequested",
]
AdviserBody = Literal["local_authority", "setting", "health", "social_care"]

# Whose duty K2 is when the request does not say otherwise (reg 8(1) binds the adviser).
ADVISER_BODY: dict[str, Body] = {
    "Parent": Body.FAMILY,
    "Educational": Body.SETTING,
    "SpecialistTeacherEducational": Body.LOCAL_AUTHORITY,  # usually the LA sensory service
    "Medical": Body.HEALTH,
    "Psychological": Body.LOCAL_AUTHORITY,  # the LA's educational psychology service
    "SocialCare": Body.SOCIAL_CARE,
    "PreparationForAdulthood": Body.LOCAL_AUTHORITY,
    "LAOther": Body.LOCAL_AUTHORITY,
    "ParentRequested": Body.LOCAL_AUTHORITY,
}
# Advice types satisfying each mandatory head of reg 6(1)(a)-(e), (g).
MANDATORY_ADVICE: dict[str, frozenset[str]] = {
    "Parent": frozenset({"Parent"}),
    "Educational": frozenset({"Educational", "SpecialistTeacherEducational"}),
    "Medical": frozenset({"Medical"}),
    "Psychological": frozenset({"Psychological"}),
    "SocialCare": frozenset({"SocialCare"}),
}
PFA_FROM_YEAR = 9
SENSORY_NEEDS = frozenset({"HI", "VI", "MSI"})


ADVICE_REQUEST = record_kind(
    "advice_request_id", "advice",
    "an advice request; AdviceReceived, AdviceDelayExceptionClaimed and "
    "AssessmentObservationRecorded name it")
ADOPTED_ADVICE = record_kind(
    "adopted_advice_id", "adopted", "existing advice adopted instead of asked for")
OBSERVATION = record_kind(
    "observation_id", "observation", "an assessment observation or appointment")


@dataclass
class AdviceRequest:
    """One request for advice to one adviser, within one assessment request."""

    id: str
    request_id: str
    advice_type: str
    recipient_org: str
    recipient_person: str | None
    requested_on: date
    received_by_adviser_on: date
    responsible: Body
    received_on: date | None = None
    document_ref: str | None = None

    @property
    def under_reg_8_duty(self) -> bool:
        """Tell whether the 6-week duty binds the adviser (reg 6(1)(b)-(h) only)."""
        return self.advice_type != "Parent"


@dataclass
class AdoptedAdvice:
    """Advice given for another purpose, adopted with all three agreements (reg 6(4))."""

    id: str
    request_id: str
    advice_type: str
    document_ref: str
    adopted_on: date


@dataclass
class AssessmentObservation:
    """An appointment, observation or missed appointment during the assessment."""

    id: str
    kind: str
    on: date
    advice_request_id: str | None
    notes: str


ADVICE_NEEDS_DECISION = rule(
    "advice-needs-decision-to-assess", "SEND Regulations 2014, reg 6(1)",
    "Advice is sought (or existing advice adopted) only for an open request the LA has "
    "decided to assess.")
PFA_ADVICE_YEAR_9 = rule(
    "pfa-advice-needs-year-9", "SEND Regulations 2014, reg 6(1)(g)",
    "Preparation-for-adulthood advice is sought only for a child in or beyond Year 9.")
PSYCHOLOGICAL_FROM_EP = rule(
    "psychological-advice-needs-ep", "SEND Regulations 2014, reg 6(1)(d)",
    "Psychological advice comes from an educational psychologist.")
MEDICAL_FROM_ICB_NOMINEE = rule(
    "medical-advice-needs-icb-identified", "SEND Regulations 2014, reg 6(1)(c)",
    "Medical advice comes from a health care professional identified by the responsible "
    "commissioning body.", Body.HEALTH)
SENSORY_SPECIALIST = rule(
    "sensory-advice-needs-specialist-teacher", "SEND Regulations 2014, reg 6(2), 6(3)",
    "For a child with a hearing or vision impairment, educational advice is given by or "
    "after consulting a qualified specialist teacher (QTVI, QToD or MSI).")
THREE_AGREEMENTS = rule(
    "adopted-advice-needs-three-agreements", "SEND Regulations 2014, reg 6(4)",
    "Existing advice replaces fresh advice only when its author, the LA and the parent or "
    "young person all agree it is sufficient.")
PARENT_ADVICE_NOT_ADOPTABLE = rule(
    "parent-advice-not-adoptable", "SEND Regulations 2014, reg 6(1)(a), 6(4)",
    "Only the advice under reg 6(1)(b)-(h) may be adopted; the family's own advice and "
    "views are always sought.")
ADVICE_RECEIVED_NEEDS_REQUEST = rule(
    "advice-received-needs-open-advice-request", "SEND Regulations 2014, reg 8(1)",
    "Advice received answers an advice request of this journey not yet answered.")
ISSUE_DECISION_NEEDS_ASSESSMENT = rule(
    "issue-decision-needs-assessment", "CFA 2014 s.37(1); SEND Regulations 2014, reg 10(1)",
    "A decision whether to issue a plan follows a decision to assess on the open request, "
    "and is made once.")
ISSUE_DECISION_NEEDS_ADVICE = rule(
    "issue-decision-needs-advice", "SEND Regulations 2014, reg 6(1)",
    "A decision to issue a plan needs every mandatory advice received or adopted, or "
    "recorded as unobtainable with independent advice commissioned instead.")
NO_PLAN_NOTICE = rule(
    "no-plan-notice-content", "SEND Regulations 2014, reg 10(3)",
    "A decision not to issue a plan tells the family of appeal rights, time limits, "
    "mediation, disagreement resolution and information and advice services.")


def _assessing_request(state: JourneyState, violated: Rule) -> AssessmentRequest:
    request = state.assessment.open_request
    check(request is not None and request.decision == "assess", violated,
          "there is no open request the LA has decided to assess")
    assert request is not None
    return request


def _has_sensory_impairment(state: JourneyState, flagged: bool) -> bool:
    """Tell whether the child is known to have a hearing or vision impairment."""
    recorded = [need.get("code") for need in state.plan.needs]
    if state.support.periods:
        recorded += [need.get("code") for need in state.support.periods[-1].needs]
    return flagged or any(code in SENSORY_NEEDS for code in recorded)


def mandatory_advice(state: JourneyState, day: date) -> dict[str, frozenset[str]]:
    """Return the mandatory advice heads on ``day``; PfA joins them from Year 9 (reg 6(1))."""
    assert state.child is not None
    if year_group(state.child.date_of_birth, day) >= PFA_FROM_YEAR:
        return MANDATORY_ADVICE | {
            "PreparationForAdulthood": frozenset({"PreparationForAdulthood"})}
    return MANDATORY_ADVICE


def missing_advice(state: JourneyState, request_id: str, day: date,
                   unobtainable: list[dict[str, Any]]) -> list[str]:
    """Return the mandatory advice heads neither received, adopted nor replaced."""
    have = {a.advice_type for a in state.plan.advice
            if a.request_id == request_id and a.received_on is not None}
    have |= {a.advice_type for a in state.plan.adopted_advice if a.request_id == request_id}
    have |= {str(item.get("advice_type")) for item in unobtainable
             if item.get("independent_advice_ref")}
    return [head for head, types in mandatory_advice(state, day).items() if not types & have]


class AdviceRequested(JourneyEvent):
    """The LA asked an adviser for advice (occurred_on = sent; starts K2 on receipt)."""

    advice_type: AdviceType
    recipient_org: str
    received_by_adviser_on: date
    recipient_person: str | None = None
    adviser_body: AdviserBody | None = None
    adviser_is_educational_psychologist: bool = False
    adviser_identified_by_icb: bool = False
    adviser_is_qualified_specialist_teacher: bool = False
    specialist_teacher_consulted: bool = False
    hearing_or_vision_impairment: bool = False

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        request = _assessing_request(state, ADVICE_NEEDS_DECISION)
        check_not_before(self.received_by_adviser_on, self.occurred_on,
                         "received_by_adviser_on", "occurred_on")
        if self.advice_type == "PreparationForAdulthood":
            year = year_group(state.child.date_of_birth, self.occurred_on)
            check(year >= PFA_FROM_YEAR, PFA_ADVICE_YEAR_9,
                  f"the child is in Year {year} on {self.occurred_on}")
        if self.advice_type == "Psychological":
            check(self.adviser_is_educational_psychologist, PSYCHOLOGICAL_FROM_EP,
                  "set adviser_is_educational_psychologist: psychological advice is an EP's")
        if self.advice_type == "Medical":
            check(self.adviser_identified_by_icb, MEDICAL_FROM_ICB_NOMINEE,
                  "set adviser_identified_by_icb: the ICB identifies the medical adviser")
        if self.advice_type == "SpecialistTeacherEducational":
            check(self.adviser_is_qualified_specialist_teacher, SENSORY_SPECIALIST,
                  "the adviser must be a qualified specialist teacher")
        if self.advice_type == "Educational" and _has_sensory_impairment(
                state, self.hearing_or_vision_impairment):
            check(self.adviser_is_qualified_specialist_teacher
                  or self.specialist_teacher_consulted, SENSORY_SPECIALIST,
                  "the child has a hearing or vision impairment: the educational adviser "
                  "must be, or consult, a qualified specialist teacher")
        responsible = Body(self.adviser_body) if self.adviser_body else \
            ADVISER_BODY[self.advice_type]
        state.plan.advice.append(AdviceRequest(
            id=state.mint(ADVICE_REQUEST, self.originator_version), request_id=request.id,
            advice_type=self.advice_type, recipient_org=self.recipient_org,
            recipient_person=self.recipient_person, requested_on=self.occurred_on,
            received_by_adviser_on=self.received_by_adviser_on, responsible=responsible))


class ExistingAdviceAdopted(JourneyEvent):
    """Advice already given for another purpose was adopted as sufficient (reg 6(4))."""

    advice_type: AdviceType
    document_ref: str
    adviser: str
    adviser_agreed: bool = False
    la_agreed: bool = False
    family_agreed: bool = False

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        request = _assessing_request(state, ADVICE_NEEDS_DECISION)
        check(self.advice_type != "Parent", PARENT_ADVICE_NOT_ADOPTABLE,
              "the family's own advice is sought afresh")
        missing = [who for who, agreed in (
            ("adviser", self.adviser_agreed), ("local authority", self.la_agreed),
            ("parent or young person", self.family_agreed)) if not agreed]
        check(not missing, THREE_AGREEMENTS, "not agreed by: " + ", ".join(missing))
        state.plan.adopted_advice.append(AdoptedAdvice(
            id=state.mint(ADOPTED_ADVICE, self.originator_version), request_id=request.id,
            advice_type=self.advice_type, document_ref=self.document_ref,
            adopted_on=self.occurred_on))


class AdviceDelayExceptionClaimed(JourneyEvent):
    """A reg 8(2) ground was claimed for late advice (marks K2; never moves its due date)."""

    advice_request_id: str
    ground: Annotated[str, takes(EXCEPTION_GROUNDS)]
    period_from: date
    period_to: date
    family_informed: bool = False

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        check(any(a.id == self.advice_request_id for a in state.plan.advice),
              CLAIM_NEEDS_EPISODE, f"no advice request {self.advice_request_id!r}")
        add_claim(state, self, clock="K2", episode=self.advice_request_id, ground=self.ground,
                  period_from=self.period_from, period_to=self.period_to,
                  family_informed=self.family_informed)


class AdviceReceived(JourneyEvent):
    """The LA received the advice asked for (occurred_on = received; stops K2)."""

    advice_request_id: str
    author: str
    document_ref: str
    recommended_provision: list[str] = field(default_factory=list)
    quantified: bool = False

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        advice = next((a for a in state.plan.advice if a.id == self.advice_request_id
                       and a.received_on is None), None)
        check(advice is not None, ADVICE_RECEIVED_NEEDS_REQUEST,
              f"no unanswered advice request {self.advice_request_id!r}")
        assert advice is not None
        check_not_before(self.occurred_on, advice.requested_on, "occurred_on",
                         "the advice request's date")
        advice.received_on = self.occurred_on
        advice.document_ref = self.document_ref


class AssessmentObservationRecorded(JourneyEvent):
    """A partner recorded an appointment, observation or missed appointment (reg 8(2)(c))."""

    kind: Literal["appointment_attended", "appointment_missed", "observation"]
    notes: str = ""
    advice_request_id: str | None = None

    group: ClassVar[str] = "advice"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        state.plan.observations.append(AssessmentObservation(
            id=state.mint(OBSERVATION, self.originator_version),
            kind=self.kind, on=self.occurred_on,
            advice_request_id=self.advice_request_id, notes=self.notes))


class DecisionToIssuePlanMade(JourneyEvent):
    """The LA decided an EHC plan is necessary (s.37(1)); K4 runs on to the final plan.

    ``advice_unobtainable`` lists mandatory advice that could not be had, each
    ``{"advice_type": ..., "reason": ..., "independent_advice_ref": ...}``.
    """

    necessity_reasons: str
    panel_ref: str | None = None
    advice_unobtainable: list[dict[str, Any]] = field(default_factory=list)

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        request = _assessing_request(state, ISSUE_DECISION_NEEDS_ASSESSMENT)
        check(request.issue_decision is None, ISSUE_DECISION_NEEDS_ASSESSMENT,
              f"the LA already decided ({request.issue_decision})")
        missing = missing_advice(state, request.id, self.occurred_on, self.advice_unobtainable)
        check(not missing, ISSUE_DECISION_NEEDS_ADVICE,
              "not received, adopted or replaced: " + ", ".join(missing))
        request.issue_decision = "issue"
        request.issue_decision_on = self.occurred_on
        state.stage = "drafting"


class DecisionNotToIssuePlanMade(JourneyEvent):
    """The LA decided not to issue a plan (stops K3 and K4; appealable)."""

    reasons: str
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]
    notified_on: date | None = None
    feedback_shared: bool = False
    icb_notified: bool = False
    head_notified: bool = False

    group: ClassVar[str] = "advice"

    def evolve(self, state: JourneyState) -> None:
        request = _assessing_request(state, ISSUE_DECISION_NEEDS_ASSESSMENT)
        check(request.issue_decision is None, ISSUE_DECISION_NEEDS_ASSESSMENT,
              f"the LA already decided ({request.issue_decision})")
        check_notice_content(self.notice_includes, NO_PLAN_NOTICE)
        check_not_before(self.notified_on, self.occurred_on, "notified_on", "occurred_on")
        request.issue_decision = "not_issue"
        request.issue_decision_on = self.occurred_on
        request.no_plan_notified_on = self.notified_on or self.occurred_on
        state.add_appealable_decision("refuse_plan", request.no_plan_notified_on,
                                      self.originator_version)
        if request.is_ordered:  # the ordered assessment ended without a plan: 10 weeks
            comply_order_steps(state, self, ("outcome",), target_id=request.id,
                               on=request.no_plan_notified_on, outcome="no_plan")
        state.stage = "plan_refused"


K2 = ClockSpec("K2", "Advice from an adviser", "6 weeks",
               "SEND Regulations 2014, reg 8(1), 8(2)", Body.LOCAL_AUTHORITY)


@clock(K2)
def advice_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    """Yield one K2 reading per advice request, owed by the adviser's body."""
    requests = {r.id: r for r in state.assessment.requests}
    for advice in state.plan.advice:
        started = advice.received_by_adviser_on
        due: date | None = context.due("K2", started)
        stopped = advice.received_on
        request = requests.get(advice.request_id)
        ended = request.withdrawn_on if request is not None else None
        if not advice.under_reg_8_duty:
            due = None
        elif stopped is None and ended is not None and due is not None:
            # Withdrawn by the due date, the duty lapsed with the request; later, the
            # advice was already overdue and stays late.
            due, stopped = (None, ended) if ended <= due else (due, ended)
        yield reading(K2, context, episode=advice.id, started_on=started, due_on=due,
                      stopped_on=stopped, responsible=advice.responsible,
                      responsible_name=advice.recipient_org,
                      exception_ground=state.exception_for("K2", advice.id),
                      status=ClockStatus.NOT_APPLICABLE if due is None else None)
