"""Request for an EHC needs assessment, and the decision whether to assess.

Clocks K1 (decision whether to assess, 6 weeks), K3 (notice of a decision not to issue a
plan, 16 weeks) and K4 (final plan, 20 weeks) all start when the LA receives the request
or the child is brought to its attention.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from domain.ages import age_on, is_young_person
from domain.catalogue.common import (
    ASSESSMENT_REQUEST,
    NOTICE_CONTENTS,
    REQUEST_SOURCES,
    REQUESTER_ROLES,
    check,
    check_code,
    check_not_before,
    check_notice_content,
)
from domain.catalogue.disputes import comply_order_steps
from domain.clocks import ClockContext, ClockReading, ClockSpec, ClockStatus, clock, reading
from domain.code_lists import takes
from domain.events import JourneyEvent
from domain.responsibility import Body
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState


@dataclass
class AssessmentRequest:
    """One request for assessment (or child brought to attention) and what followed."""

    id: str
    received_on: date
    # "request" | "brought_to_attention"; an ordered assessment's "tribunal_order" or
    # "mediation_agreement" (reg 42(2))
    route: str
    requester_role: str | None = None
    request_source: str | None = None
    rya: bool = False
    acknowledged_on: date | None = None
    partners_notified_on: date | None = None
    views_submitted: int = 0
    decision: str | None = None  # "assess" | "not_assess"
    decision_on: date | None = None
    decision_notified_on: date | None = None
    withdrawn_on: date | None = None
    # Set by the assessment-and-plan events (domain.catalogue.plan).
    issue_decision: str | None = None  # "issue" | "not_issue"
    issue_decision_on: date | None = None
    no_plan_notified_on: date | None = None
    draft_issued_on: date | None = None
    final_issued_on: date | None = None
    # An assessment the Tribunal ordered (or the LA conceded): the order it carries out,
    # and the day a compliance recorded as a whole closed it.
    order: str | None = None
    closed_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Tell whether the request still awaits its outcome (a final plan or a refusal)."""
        return (self.withdrawn_on is None and self.decision != "not_assess"
                and self.issue_decision != "not_issue" and self.final_issued_on is None
                and self.closed_on is None)

    @property
    def is_ordered(self) -> bool:
        return self.order is not None

    @property
    def plan_source(self) -> str:
        """Name what a final plan from this request is (``PlanVersion.source``)."""
        if not self.is_ordered:
            return "final"
        return "mediation_agreement" if self.route == "mediation_agreement" else "tribunal"

    @property
    def outcome(self) -> str:
        if self.withdrawn_on is not None:
            return "withdrawn"
        if self.decision == "not_assess":
            return "not_assessed"
        if self.issue_decision == "not_issue":
            return "plan_not_issued"
        if self.final_issued_on is not None:
            return "plan_issued"
        return "open"


@dataclass
class AssessmentState:
    """The journey's assessment requests, oldest first, and the assessments ordered.

    ``ordered`` holds what a Tribunal order or the LA's concession opened (reg 44(2),
    45): not requests received (so not counted as such, and not timed by K1, K3 or K4,
    which K22 replaces), but carried out through the same steps; ``open_request`` finds
    an open ordered assessment first.
    """

    requests: list[AssessmentRequest] = field(default_factory=list)
    ordered: list[AssessmentRequest] = field(default_factory=list)

    @property
    def open_request(self) -> AssessmentRequest | None:
        for request in [*reversed(self.ordered), *reversed(self.requests)]:
            if request.is_open:
                return request
        return None

    def open_ordered(self, request_id: str, ordered_on: date, *, order: str,
                     decided: bool, route: str = "tribunal_order") -> AssessmentRequest:
        """Open the assessment an order (or a mediation agreement, ``route``) requires;
        ``decided`` when a plan is ordered."""
        request = AssessmentRequest(id=request_id, received_on=ordered_on,
                                    route=route, order=order)
        if decided:
            request.decision, request.decision_on = "assess", ordered_on
            request.decision_notified_on = ordered_on
            request.issue_decision, request.issue_decision_on = "issue", ordered_on
        self.ordered.append(request)
        return request

    def close_ordered(self, request_id: str, on: date) -> None:
        for request in self.ordered:
            if request.id == request_id and request.is_open:
                request.closed_on = on

    @property
    def latest(self) -> AssessmentRequest | None:
        return self.requests[-1] if self.requests else None


ONE_OPEN_REQUEST = rule(
    "one-open-request", "CFA 2014 s.36; SEND Regulations 2014, regs 3-5",
    "A child has at most one open request for an EHC needs assessment at a time.")
DECISION_NEEDS_REQUEST = rule(
    "decision-needs-request", "CFA 2014 s.36(1), s.24; SEND Regulations 2014, reg 4(1), 5(1)",
    "A decision whether to assess follows a request or the child being brought to the "
    "LA's attention, and is made once.")
REQUEST_STEP_NEEDS_OPEN_REQUEST = rule(
    "request-step-needs-open-request", "CFA 2014 s.36(4), (7); SEND Regulations 2014, reg 3",
    "Acknowledging, notifying partners, taking views and withdrawing need an open "
    "request awaiting its decision.")
REQUESTER_STANDING = rule(
    "requester-standing", "CFA 2014 s.36(1)",
    "Only the parent, the young person, a school or post-16 institution on the child's "
    "behalf, or a detained person may request an assessment; a young person only after "
    "compulsory school age and before 25.", Body.FAMILY)
DETAINED_NEEDS_RYA = rule(
    "detained-request-needs-rya", "SEND (Detained Persons) Regulations 2015",
    "A request by a detained person relates to relevant youth accommodation (RYA).")
PARTNER_LIST = rule(
    "partners-notification-incomplete", "SEND Regulations 2014, reg 4(2)",
    "While considering assessment the LA notifies the ICB, social care and the head "
    "teacher, SENCO or principal.")
ASSESSMENT_TEST = rule(
    "assessment-test-not-recorded", "CFA 2014 s.36(8)",
    "A decision to assess records that the child has or may have SEN and may need "
    "provision through an EHC plan.")
ORDERED_NOT_REFUSABLE = rule(
    "ordered-assessment-not-refusable", "SEND Regulations 2014, regs 44(2)(b)-(c), 45",
    "An assessment or a plan the Tribunal ordered (or the LA conceded) is carried out; "
    "the LA does not decide again whether to assess or to issue a plan.")
REFUSAL_NOTICE = rule(
    "refusal-notice-content", "SEND Regulations 2014, reg 5(3)",
    "A decision not to assess tells the family of appeal rights, time limits, mediation, "
    "disagreement resolution and information and advice services.")

def _open_request_awaiting_decision(state: JourneyState) -> AssessmentRequest:
    request = state.assessment.open_request
    check(request is not None and request.decision is None, REQUEST_STEP_NEEDS_OPEN_REQUEST,
          "there is no open request awaiting a decision whether to assess")
    assert request is not None
    return request


def _open_new_request(state: JourneyState, event: JourneyEvent, *, route: str,
                      requester_role: str | None = None, request_source: str | None = None,
                      rya: bool = False) -> None:
    check(state.assessment.open_request is None, ONE_OPEN_REQUEST,
          "a request is already open; record its outcome or withdrawal first")
    state.assessment.requests.append(AssessmentRequest(
        id=state.mint(ASSESSMENT_REQUEST, event.originator_version),
        received_on=event.occurred_on, route=route,
        requester_role=requester_role, request_source=request_source, rya=rya))
    state.stage = "assessment_requested"


class ChildBroughtToLAAttention(JourneyEvent):
    """Someone brought the child to the LA's attention as possibly having SEN (s.24)."""

    brought_by: str
    consent_known: bool = False

    group: ClassVar[str] = "identification"

    def evolve(self, state: JourneyState) -> None:
        _open_new_request(state, self, route="brought_to_attention")


class EHCNeedsAssessmentRequested(JourneyEvent):
    """The LA received a request for an EHC needs assessment (occurred_on = received)."""

    requester_role: Annotated[str, takes(REQUESTER_ROLES)]
    request_source: Annotated[str, takes(REQUEST_SOURCES)]
    requester_ref: str | None = None
    channel: str | None = None
    rya: bool = False
    consent_to_share: list[str] = field(default_factory=list)
    previous_assessment_within_6_months: bool = False
    on_behalf_of_young_person_lacking_capacity: bool = False

    group: ClassVar[str] = "request"

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        check_code(self.reference_version, "request_sources", self.request_source,
                   "request_source")
        check_code(self.reference_version, "requester_roles", self.requester_role,
                   "requester_role")
        young_person = is_young_person(state.child.date_of_birth, self.occurred_on)
        if self.requester_role == "YoungPerson":
            check(young_person and age_on(state.child.date_of_birth, self.occurred_on) < 25,
                  REQUESTER_STANDING,
                  "a young person may request only after compulsory school age and before 25")
        if self.requester_role == "Parent" and young_person:
            check(self.on_behalf_of_young_person_lacking_capacity, REQUESTER_STANDING,
                  "after compulsory school age the young person requests, unless they lack "
                  "capacity")
        if self.requester_role == "DetainedPerson":
            check(self.rya, DETAINED_NEEDS_RYA, "a detained person's request must set rya")
        _open_new_request(state, self, route="request", requester_role=self.requester_role,
                          request_source=self.request_source, rya=self.rya)


class RequestAcknowledged(JourneyEvent):
    """The LA told the family it is considering assessment and of their right to views."""

    # Whether the notice explained the family's right to give views (s.36(4)); absent when
    # the recorder did not say. Once defaulted to True, which nobody had stated.
    views_right_explained: bool | None = None

    group: ClassVar[str] = "request"
    hashed_defaults: ClassVar[dict[str, Any]] = {"views_right_explained": True}

    def evolve(self, state: JourneyState) -> None:
        request = _open_request_awaiting_decision(state)
        request.acknowledged_on = self.occurred_on


class FamilyNotifiedAssessmentBeingConsidered(RequestAcknowledged):
    """The family was notified that the LA is considering an assessment (s.36(7))."""


class PartnersNotifiedOfConsideration(JourneyEvent):
    """The LA notified the ICB, social care and the setting it is considering assessment."""

    icb_notified_on: date | None = None
    social_care_notified_on: date | None = None
    setting_notified_on: date | None = None
    no_setting: bool = False

    group: ClassVar[str] = "request"

    def evolve(self, state: JourneyState) -> None:
        request = _open_request_awaiting_decision(state)
        missing = [name for name, day in (
            ("icb_notified_on", self.icb_notified_on),
            ("social_care_notified_on", self.social_care_notified_on),
            ("setting_notified_on", None if self.no_setting else self.setting_notified_on or
             None),
        ) if day is None and not (name == "setting_notified_on" and self.no_setting)]
        check(not missing, PARTNER_LIST, "missing: " + ", ".join(missing))
        request.partners_notified_on = self.occurred_on


class FamilyViewsSubmitted(JourneyEvent):
    """The parent or young person gave views on the request."""

    author_role: str
    document_refs: list[str] = field(default_factory=list)

    group: ClassVar[str] = "request"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        request = _open_request_awaiting_decision(state)
        request.views_submitted += 1


class EvidenceSubmitted(FamilyViewsSubmitted):
    """Evidence was submitted for the LA's consideration of the request."""


def _request_awaiting_decision(state: JourneyState) -> AssessmentRequest:
    request = state.assessment.open_request
    check(request is not None and request.decision is None, DECISION_NEEDS_REQUEST,
          "there is no open request awaiting a decision whether to assess")
    assert request is not None
    return request


def _decide(request: AssessmentRequest, event: JourneyEvent, decision: str,
            notified_on: date | None) -> None:
    """Record the decision whether to assess; K1 stops on the day it was notified."""
    check_not_before(notified_on, event.occurred_on, "notified_on", "occurred_on")
    request.decision = decision
    request.decision_on = event.occurred_on
    request.decision_notified_on = notified_on or event.occurred_on


class DecisionToAssessMade(JourneyEvent):
    """The LA decided to carry out an EHC needs assessment (stops K1)."""

    reasons: str
    notified_on: date | None = None
    panel_ref: str | None = None
    # The s.36(8) test, as the decision maker stated it. Once defaulted to True, so a
    # decision nobody tested passed the rule; now a decision that does not say is refused.
    assessment_test_met: bool | None = None

    group: ClassVar[str] = "request"
    hashed_defaults: ClassVar[dict[str, Any]] = {"assessment_test_met": True}

    def evolve(self, state: JourneyState) -> None:
        request = _request_awaiting_decision(state)
        check(self.assessment_test_met is not None, ASSESSMENT_TEST,
              "state whether the s.36(8) test is met (assessment_test_met)")
        check(self.assessment_test_met is True, ASSESSMENT_TEST,
              "the s.36(8) test must be met to decide to assess")
        _decide(request, self, "assess", self.notified_on)
        if request.is_ordered:
            comply_order_steps(state, self, ("notify_assessment",), target_id=request.id,
                               on=request.decision_notified_on)
        state.stage = "assessment"


class DecisionNotToAssessMade(JourneyEvent):
    """The LA decided not to assess (stops K1, K3, K4; appealable)."""

    reasons: str
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]
    notified_on: date | None = None
    partners_notified: bool = False

    group: ClassVar[str] = "request"

    def evolve(self, state: JourneyState) -> None:
        request = _request_awaiting_decision(state)
        check(not request.is_ordered, ORDERED_NOT_REFUSABLE,
              f"the assessment was ordered ({request.order}): record the decision to assess")
        check_notice_content(self.notice_includes, REFUSAL_NOTICE)
        _decide(request, self, "not_assess", self.notified_on)
        assert request.decision_notified_on is not None
        state.add_appealable_decision("refuse_assessment", request.decision_notified_on,
                                      self.originator_version)
        state.stage = "assessment_refused"


class AssessmentRequestWithdrawn(JourneyEvent):
    """The request was withdrawn (SEN2 outcome "withdrawn"); its clocks stop."""

    withdrawn_by: str
    reason: str

    group: ClassVar[str] = "request"

    def evolve(self, state: JourneyState) -> None:
        request = state.assessment.open_request
        check(request is not None, REQUEST_STEP_NEEDS_OPEN_REQUEST,
              "there is no open request to withdraw")
        assert request is not None
        request.withdrawn_on = self.occurred_on
        state.stage = "request_withdrawn"


K1 = ClockSpec("K1", "Decision whether to assess", "6 weeks",
               "SEND Regulations 2014, regs 4(1), 5(1), 5(4)", Body.LOCAL_AUTHORITY)
K3 = ClockSpec("K3", "Notice of a decision not to issue a plan", "16 weeks",
               "SEND Regulations 2014, reg 10(1), 10(4)", Body.LOCAL_AUTHORITY,
               open_past_due=ClockStatus.RUNNING)  # late only if the answer is "no plan"
K4 = ClockSpec("K4", "Final EHC plan", "20 weeks",
               "SEND Regulations 2014, reg 13(2), 13(3)", Body.LOCAL_AUTHORITY)


def _withdrawn_or(request: AssessmentRequest, due_on: date, stopped: date | None
                  ) -> tuple[date | None, date | None]:
    """Return (due, stopped) for a clock whose request may have been withdrawn.

    A request withdrawn by its due date leaves the clock not applicable; withdrawn
    later, the step was already overdue and the clock stays late.
    """
    if stopped is None and request.withdrawn_on is not None:
        if request.withdrawn_on <= due_on:
            return None, request.withdrawn_on
        return due_on, request.withdrawn_on
    return due_on, stopped


@clock(K1)
def decision_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for request in state.assessment.requests:
        due, stopped = _withdrawn_or(
            request, context.due("K1", request.received_on),
            request.decision_notified_on)
        yield reading(K1, context, episode=request.id, started_on=request.received_on,
                      due_on=due, stopped_on=stopped,
                      exception_ground=state.exception_for("K1", request.id))


@clock(K3)
def no_plan_notice_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for request in state.assessment.requests:
        if request.decision == "not_assess" or request.issue_decision == "issue" or \
                request.final_issued_on is not None:
            # The 16-week limit binds only a decision not to issue a plan (reg 10(1)).
            yield reading(K3, context, episode=request.id, started_on=request.received_on,
                          due_on=None, stopped_on=request.decision_notified_on
                          or request.issue_decision_on or request.final_issued_on)
            continue
        due, stopped = _withdrawn_or(
            request, context.due("K3", request.received_on),
            request.no_plan_notified_on)
        # Undecided past week 16 is no breach yet: it is late only if the answer turns
        # out to be "no plan", so an undecided clock stays running with its due date.
        yield reading(K3, context, episode=request.id, started_on=request.received_on,
                      due_on=due, stopped_on=stopped,
                      exception_ground=state.exception_for("K3", request.id),
                      status=ClockStatus.RUNNING if due and stopped is None else None)


@clock(K4)
def final_plan_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for request in state.assessment.requests:
        due_on: date | None = context.due("K4", request.received_on)
        stopped = request.final_issued_on
        if request.decision == "not_assess" or request.issue_decision == "not_issue":
            due_on, stopped = None, request.decision_notified_on or request.no_plan_notified_on
        else:
            due_on, stopped = _withdrawn_or(request, due_on, stopped)  # type: ignore[arg-type]
        yield reading(K4, context, episode=request.id, started_on=request.received_on,
                      due_on=due_on, stopped_on=stopped,
                      exception_ground=state.exception_for("K4", request.id))

