"""Reviews, amendments, phase transfer and re-assessment of an EHC plan in force.

Clocks K7 (review due, 12 months), K8 (2 weeks' notice and advice before a review
meeting), K9 (review report, 2 weeks), K10 (review decision, 4 weeks), K11 (amended plan,
8 weeks), K12 (phase transfer, reg 18), K13 (re-assessment decision, 15 days) and K14
(plan after re-assessment, 14 weeks).

Modelling choices (the long story is in the reference, sections 1.12-1.15 and 9.3):

- K7 counts from the plan being made, then from each review *meeting* (``K7_COUNTS_FROM``;
  reference 9.3 leaves meeting or decision open, and both dates are stored on ``Review``).
  A plan transferred in from another LA starts with K17 instead of K7 (reg 15(5)).
- K8 is a clock, not a refusal: invitations or advice sent with less than 2 weeks'
  notice really happened, and the record must say so (the reading is "late").
- Devon (R (L, M, P) v Devon CC [2022] EWHC 493 (Admin)): a review decision to amend
  carries its ``proposed_amendments`` and is itself the reg 22(2) amendment notice; it
  opens the amendment (15-day representations, K11). ``AmendmentNoticeIssued`` is for
  amendments outside a review (reg 28) and after a re-assessment.
- K12 stops on ``PhaseTransferPlanFinalised``, a kind of ``AmendedPlanFinalised`` that
  names the next setting; a plain amended plan does not stop K12.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from domain.ages import age_on, birthday, year_group
from domain.calendar import DayOfYear, Period, Unit, Wording, add_calendar_months
from domain.catalogue.age_limits import check_phase_transfer_year
from domain.catalogue.common import (
    NOTICE_CONTENTS,
    RECIPIENTS,
    SETTING_TYPES,
    check,
    check_code,
    check_not_before,
    check_notice_content,
)
from domain.catalogue.disputes import OrderObligation, comply_order_steps
from domain.catalogue.plan import PLAN_SECTIONS, PLAN_VERSION, PlanSections
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.code_lists import takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import Rule, rule
from domain.rules import due as rules_due

if TYPE_CHECKING:
    from domain.state import JourneyState

# Which date of a review starts the next 12 months of K7: "meeting" or "decision".
K7_COUNTS_FROM: Literal["meeting", "decision"] = "meeting"


AMENDMENT = record_kind("amendment_id", "amendment", "an amendment notice and what follows it")
REVIEW = record_kind("review_id", "review", "an annual or early review; CeasingProposed names it")
PHASE_TRANSFER = record_kind("phase_transfer_id", "phase-transfer", "a phase transfer")
REASSESSMENT = record_kind("reassessment_id", "reassessment", "a request for a re-assessment")


@dataclass
class Review:
    """One review of the plan, from scheduling to the LA's decision (regs 18-22)."""

    id: str
    scheduled_on: date
    due_by: date
    review_type: str
    organiser: str  # "local_authority" | "setting"
    meeting_on: date | None = None  # as planned in the invitations
    invitations_sent_on: date | None = None
    advice_circulated_on: date | None = None
    held_on: date | None = None
    pfa_discussed: bool = False
    report_on: date | None = None
    decision: str | None = None  # "Maintain" | "Amend" | "CeaseProposal"
    decision_on: date | None = None
    decision_notified_on: date | None = None

    @property
    def meeting_date(self) -> date | None:
        return self.held_on or self.meeting_on

    @property
    def responsible(self) -> Body:
        return Body.SETTING if self.organiser == "setting" else Body.LOCAL_AUTHORITY


@dataclass
class Amendment:
    """A proposal to amend the plan (reg 22), from notice to amended plan or not."""

    id: str
    noticed_on: date
    trigger: str  # "review" | "reassessment" | "reg28"
    representations_end_on: date
    source_id: str | None = None  # the review or re-assessment it follows
    finalised_on: date | None = None
    not_amended_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.finalised_on is None and self.not_amended_on is None


@dataclass
class PhaseTransfer:
    """A transfer between phases of education within 12 months (reg 18)."""

    id: str
    identified_on: date
    transfer_type: str
    transfer_on: date
    deadline: date
    finalised_on: date | None = None
    next_setting: str | None = None


@dataclass
class Reassessment:
    """A request for re-assessment of a child with a plan (s.44(2); regs 24-27)."""

    id: str
    requested_on: date
    requester: str
    decision: str | None = None  # "agree" | "refuse"
    decision_notified_on: date | None = None
    plan_finalised_on: date | None = None


@dataclass
class ReviewsState:
    """Reviews, amendments, phase transfers and re-assessments, oldest first."""

    reviews: list[Review] = field(default_factory=list)
    amendments: list[Amendment] = field(default_factory=list)
    phase_transfers: list[PhaseTransfer] = field(default_factory=list)
    reassessments: list[Reassessment] = field(default_factory=list)

    @property
    def open_review(self) -> Review | None:
        """Return the scheduled review whose meeting has not been held yet."""
        for review in self.reviews:
            if review.held_on is None:
                return review
        return None

    @property
    def open_amendment(self) -> Amendment | None:
        for amendment in self.amendments:
            if amendment.is_open:
                return amendment
        return None

    @property
    def open_reassessment(self) -> Reassessment | None:
        for request in self.reassessments:
            if request.decision is None:
                return request
        return None

    def held_reviews(self) -> list[Review]:
        return sorted((r for r in self.reviews if r.held_on is not None),
                      key=lambda r: r.held_on or date.min)

    def review(self, review_id: str) -> Review | None:
        return next((r for r in self.reviews if r.id == review_id), None)


# The order steps an amended plan carries out (reg 44(2)(d)-(e)).
ORDERED_AMENDMENT_STEPS = ("amended_plan",)

REVIEW_NEEDS_PLAN = rule(
    "review-needs-active-plan", "CFA 2014 s.44(1); SEND Regulations 2014, reg 18",
    "A review is scheduled only for an EHC plan in force.")
ONE_OPEN_REVIEW = rule(
    "one-open-review", "CFA 2014 s.44(1); SEND Regulations 2014, reg 20(1)",
    "One review is scheduled at a time; correct its entry to reschedule it.")
REVIEW_STEP_NEEDS_REVIEW = rule(
    "review-step-needs-scheduled-review", "SEND Regulations 2014, reg 20(1)-(5), 21(1)-(5)",
    "Invitations, advice and the meeting belong to a scheduled review not yet held.",
    Body.SETTING)
REVIEW_PFA = rule(
    "review-pfa-from-year-9", "SEND Regulations 2014, reg 20(6), 21(6)",
    "A review meeting from Year 9 onwards considers preparation for adulthood and "
    "independent living.", Body.SETTING)
REPORT_NEEDS_MEETING = rule(
    "review-report-needs-meeting", "SEND Regulations 2014, reg 20(7)-(8), 21(7)",
    "The review report follows a review meeting, once.", Body.SETTING)
DECISION_NEEDS_MEETING = rule(
    "review-decision-needs-meeting", "SEND Regulations 2014, reg 20(10), 21(8)",
    "The LA's review decision follows a review meeting, once.")
AMEND_NEEDS_PROPOSALS = rule(
    "review-amend-needs-proposed-amendments",
    "SEND Regulations 2014, reg 20(10), 22(2); R (L, M, P) v Devon CC [2022] EWHC 493 (Admin)",
    "A review decision to amend the plan is sent with the proposed amendments.")
REVIEW_DECISION_NOTICE = rule(
    "review-decision-notice-content", "CFA 2014 s.51(2)(e)-(f); SEND Regulations 2014, "
    "reg 20(10), 31(3)",
    "A decision to maintain the plan unchanged or to cease it tells the family of appeal "
    "rights, time limits, mediation, disagreement resolution and advice services.")
AMENDMENT_NEEDS_PLAN = rule(
    "amendment-needs-active-plan", "CFA 2014 s.37(2); SEND Regulations 2014, reg 22(1), 28",
    "An amendment notice proposes changes to an EHC plan in force.")
ONE_OPEN_AMENDMENT = rule(
    "one-open-amendment", "SEND Regulations 2014, reg 22(3)-(4)",
    "One amendment proposal is outstanding at a time: finalise it or decide not to amend.")
AMENDMENT_NOTICE = rule(
    "amendment-notice-content", "SEND Regulations 2014, reg 22(2)",
    "An amendment notice specifies the proposed amendments and explains the right to make "
    "representations, request a setting and meet an officer within at least 15 days.")
AMENDMENT_AFTER_REASSESSMENT = rule(
    "amendment-needs-agreed-reassessment", "SEND Regulations 2014, reg 27",
    "An amendment following re-assessment follows a decision to re-assess.")
AMENDMENT_OUTSTANDING = rule(
    "amendment-needs-open-notice", "SEND Regulations 2014, reg 22(3)-(4)",
    "An amended plan or a decision not to amend follows an outstanding amendment notice.")
REPRESENTATION_PERIOD = rule(
    "amended-plan-before-representations-end", "SEND Regulations 2014, reg 22(2)(c), 22(3)",
    "The amended plan is issued after the 15 days for representations, unless the family "
    "has said it has nothing more to add.")
AMENDED_PLAN_NOTICE = rule(
    "amended-plan-notice-content", "CFA 2014 s.51(2)(c)-(e); SEND Regulations 2014, reg 22(3)",
    "An amended plan or a decision not to amend tells the family of appeal rights, time "
    "limits, mediation, disagreement resolution and advice services.")
ORDERED_AMENDMENT = rule(
    "ordered-amendment-content", "SEND Regulations 2014, reg 44(2)(d)-(e), 45",
    "An amended plan issued under a Tribunal order (or a concession) changes what the "
    "order named: sections B and F, or the setting in section I.")
PHASE_TRANSFER_WINDOW = rule(
    "phase-transfer-within-12-months", "SEND Regulations 2014, reg 18(1)-(2)",
    "A phase transfer is identified for a plan in force within the 12 months before it; "
    "one at a time.")
PHASE_TRANSFER_PLAN = rule(
    "phase-transfer-plan-names-setting", "SEND Regulations 2014, reg 18(1)-(2)",
    "The phase-transfer plan follows an identified transfer and names the next setting.")
REASSESSMENT_NEEDS_PLAN = rule(
    "reassessment-needs-active-plan", "CFA 2014 s.44(2); SEND Regulations 2014, reg 24",
    "Re-assessment is requested of a plan in force, one request at a time.")
REASSESSMENT_DECISION_NEEDS_REQUEST = rule(
    "reassessment-decision-needs-request", "SEND Regulations 2014, reg 25",
    "A decision whether to re-assess answers an open request, once.")
REASSESSMENT_REFUSAL = rule(
    "reassessment-refusal-ground", "SEND Regulations 2014, reg 24(2)",
    "A refusal to re-assess names its ground: an assessment within the previous 6 months "
    "(with its date) or re-assessment being unnecessary (with reasons).")
REASSESSMENT_REFUSAL_NOTICE = rule(
    "reassessment-refusal-notice-content", "CFA 2014 s.51(2)(a); SEND Regulations 2014, "
    "reg 25(1)",
    "A refusal to re-assess tells the family of appeal rights, time limits, mediation, "
    "disagreement resolution and advice services.")

_TRANSFER_TYPES = Literal[
    "early_years_to_school", "infant_to_junior", "primary_to_middle", "primary_to_secondary",
    "middle_to_secondary", "secondary_to_post16", "post16_to_post16",
]
_ORGANISERS = Literal["local_authority", "setting"]


def plan_ended_on(state: JourneyState) -> date | None:
    """Return when the plan ceased or transferred out of this LA, if it has."""
    return state.plan.ceased_on or state.movement.transferred_out_on


def ended_or(due_on: date, stopped_on: date | None, ended_on: date | None
             ) -> tuple[date | None, date | None]:
    """Return (due, stopped) for a step the end of the plan may have overtaken.

    A plan ended by the due date leaves the clock not applicable; ended later, the step
    was already overdue and stays late.
    """
    if stopped_on is None and ended_on is not None:
        return (None if ended_on <= due_on else due_on), ended_on
    return due_on, stopped_on


def phase_transfer_deadline(transfer_type: str, transfer_on: date) -> date:
    """Return the reg 18 date by which the plan naming the next setting is issued:
    5 months before a post-16 to post-16 move (18(2)), before 31 March of the year of a
    move into post-16 (18(1)(a)), else before 15 February of the year of transfer
    (18(1)(b)); "before" makes the day before the last day (``DayOfYear``)."""
    key = {"post16_to_post16": "K12.post16_to_post16",
           "secondary_to_post16": "K12.post16"}.get(transfer_type, "K12.early")
    return rules_due(key, transfer_on)


def _open_review(state: JourneyState) -> Review:
    review = state.reviews.open_review
    check(review is not None, REVIEW_STEP_NEEDS_REVIEW, "no scheduled review awaits its meeting")
    assert review is not None
    return review


def _open_amendment(state: JourneyState) -> Amendment:
    amendment = state.reviews.open_amendment
    check(amendment is not None, AMENDMENT_OUTSTANDING, "no amendment notice is outstanding")
    assert amendment is not None
    return amendment


def _open_amendment_notice(state: JourneyState, event: JourneyEvent, *, trigger: str,
                           source_id: str | None, noticed_on: date | None = None
                           ) -> Amendment:
    check(state.reviews.open_amendment is None, ONE_OPEN_AMENDMENT,
          "an amendment notice is already outstanding")
    noticed_on = noticed_on or event.occurred_on
    amendment = Amendment(
        id=state.mint(AMENDMENT, event.originator_version), noticed_on=noticed_on,
        trigger=trigger, source_id=source_id,
        representations_end_on=rules_due("K11.representations", noticed_on))
    state.reviews.amendments.append(amendment)
    state.stage = "amendment"
    return amendment


class AnnualReviewScheduled(JourneyEvent):
    """The LA scheduled a review of the plan, arranged by itself or the setting's head."""

    due_by: date
    review_type: Literal["annual", "early", "phase_transfer", "year9_pfa", "post_transfer"]
    organiser: _ORGANISERS

    group: ClassVar[str] = "reviews"

    def evolve(self, state: JourneyState) -> None:
        check(state.plan.is_active, REVIEW_NEEDS_PLAN, "there is no EHC plan in force")
        check(state.reviews.open_review is None, ONE_OPEN_REVIEW,
              "a review is already scheduled and not yet held")
        check_not_before(self.due_by, self.occurred_on, "due_by", "occurred_on")
        state.reviews.reviews.append(Review(
            id=state.mint(REVIEW, self.originator_version), scheduled_on=self.occurred_on,
            due_by=self.due_by, review_type=self.review_type, organiser=self.organiser))
        state.stage = "review_scheduled"


class ReviewInvitationsSent(JourneyEvent):
    """The organiser invited the family and professionals to the review meeting (K8)."""

    invitees: list[str]
    meeting_on: date

    group: ClassVar[str] = "reviews"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        review = _open_review(state)
        check_not_before(self.meeting_on, self.occurred_on, "meeting_on", "occurred_on")
        review.invitations_sent_on = self.occurred_on
        review.meeting_on = self.meeting_on


class ReviewAdviceCirculated(JourneyEvent):
    """The organiser circulated the advice and information gathered for the meeting (K8)."""

    documents: list[str]

    group: ClassVar[str] = "reviews"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        review = _open_review(state)
        review.advice_circulated_on = self.occurred_on


class ReviewMeetingHeld(JourneyEvent):
    """The review meeting was held (stops K7; starts K9 and K10)."""

    attendees: list[str]
    progress_summary: str = ""
    pfa_discussed: bool = False
    child_views_recorded: bool = False

    group: ClassVar[str] = "reviews"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        review = _open_review(state)
        check(self.pfa_discussed or year_group(state.child.date_of_birth, self.occurred_on) < 9,
              REVIEW_PFA, "the child is in Year 9 or above: preparation for adulthood must "
              "be discussed")
        review.held_on = self.occurred_on
        review.pfa_discussed = self.pfa_discussed
        state.stage = "review_held"


def _held_review_without(state: JourneyState, attribute: str, violated: Rule) -> Review:
    held = state.reviews.held_reviews()
    review = held[-1] if held else None
    check(review is not None and getattr(review, attribute) is None, violated,
          "no held review awaits this step")
    assert review is not None
    return review


class ReviewReportSubmitted(JourneyEvent):
    """The review report with recommended amendments and disagreements was sent (stops K9)."""

    recommendations: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)

    group: ClassVar[str] = "reviews"
    recorded_by: ClassVar[Body] = Body.SETTING

    def evolve(self, state: JourneyState) -> None:
        review = _held_review_without(state, "report_on", REPORT_NEEDS_MEETING)
        review.report_on = self.occurred_on


class ReviewDecisionIssued(JourneyEvent):
    """The LA notified its decision to maintain, amend or cease the plan (stops K10).

    A decision to amend carries the proposed amendments and opens the amendment (Devon).
    """

    decision: Literal["Maintain", "Amend", "CeaseProposal"]
    reasons: str
    notified_on: date | None = None
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]] = field(default_factory=list)
    proposed_amendments: list[dict[str, Any]] = field(default_factory=list)
    evidence_refs: list[str] = field(default_factory=list)

    group: ClassVar[str] = "reviews"

    def evolve(self, state: JourneyState) -> None:
        review = _held_review_without(state, "decision", DECISION_NEEDS_MEETING)
        check_not_before(self.notified_on, self.occurred_on, "notified_on", "occurred_on")
        notified_on = self.notified_on or self.occurred_on
        if self.decision == "Amend":
            check(bool(self.proposed_amendments), AMEND_NEEDS_PROPOSALS,
                  "a decision to amend must carry the proposed amendments")
            _open_amendment_notice(state, self, trigger="review", source_id=review.id,
                                   noticed_on=notified_on)
        else:
            check_notice_content(self.notice_includes, REVIEW_DECISION_NOTICE)
            kind = "maintain_plan" if self.decision == "Maintain" else "cease_plan_at_review"
            state.add_appealable_decision(kind, notified_on, self.originator_version)
            state.stage = "review_decided"
        review.decision = self.decision
        review.decision_on = self.occurred_on
        review.decision_notified_on = notified_on


class AmendmentNoticeIssued(JourneyEvent):
    """The LA sent the plan with proposed amendments, outside a review (reg 28) or after a
    re-assessment (starts the 15 days for representations and K11)."""

    trigger: Literal["reg28", "reassessment"]
    proposed_amendments: list[dict[str, Any]]
    plan_version: str | None = None
    evidence_refs: list[str] = field(default_factory=list)
    representations_by: date | None = None
    # What the notice explained (reg 22(2)), as the recorder stated it; once defaulted to
    # True, so a notice nobody checked passed the rule. A notice that does not say is refused.
    setting_request_right: bool | None = None
    meeting_right: bool | None = None

    group: ClassVar[str] = "reviews"
    hashed_defaults: ClassVar[dict[str, Any]] = {"setting_request_right": True,
                                                 "meeting_right": True}

    def evolve(self, state: JourneyState) -> None:
        check(state.plan.is_active, AMENDMENT_NEEDS_PLAN, "there is no EHC plan in force")
        end = rules_due("K11.representations", self.occurred_on)
        check(bool(self.proposed_amendments), AMENDMENT_NOTICE,
              "the notice must specify the proposed amendments")
        unstated = [name for name in ("setting_request_right", "meeting_right")
                    if getattr(self, name) is None]
        check(not unstated, AMENDMENT_NOTICE,
              "state whether the notice explains each right: " + ", ".join(unstated))
        check(self.setting_request_right is True and self.meeting_right is True,
              AMENDMENT_NOTICE,
              "the notice must explain the rights to request a setting and to a meeting")
        check(self.representations_by is None or self.representations_by >= end,
              AMENDMENT_NOTICE, f"representations must be allowed until at least {end}")
        source_id = None
        if self.trigger == "reassessment":
            agreed = [r for r in state.reviews.reassessments
                      if r.decision == "agree" and r.plan_finalised_on is None]
            check(bool(agreed), AMENDMENT_AFTER_REASSESSMENT,
                  "no agreed re-assessment awaits its plan")
            source_id = agreed[-1].id
        amendment = _open_amendment_notice(state, self, trigger=self.trigger,
                                           source_id=source_id)
        if self.representations_by is not None:
            amendment.representations_end_on = self.representations_by


class AmendedPlanFinalised(JourneyEvent):
    """The LA issued the amended plan (stops K11; a new plan version; appealable)."""

    sections_changed: list[Annotated[str, takes(PLAN_SECTIONS)]]
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]
    sections: PlanSections = field(default_factory=dict)
    named_setting: str | None = None
    setting_type: Annotated[str, takes(SETTING_TYPES)] | None = None
    recipients: list[Annotated[str, takes(RECIPIENTS)]] = field(default_factory=list)
    representations_waived: bool = False

    group: ClassVar[str] = "reviews"

    def evolve(self, state: JourneyState) -> None:
        ordered = state.disputes.outstanding(ORDERED_AMENDMENT_STEPS)
        amendment = state.reviews.open_amendment
        if amendment is None and ordered:
            # Under a Tribunal order (or concession) the LA issues the amended plan the
            # order requires, in its own period (reg 44(2)(d)-(e)): no amendment notice.
            check(state.plan.is_active, AMENDMENT_NEEDS_PLAN, "there is no EHC plan in force")
            self._check_ordered(state, {o.order for o in ordered})
        else:
            amendment = _open_amendment(state)
            check(self.representations_waived
                  or self.occurred_on > amendment.representations_end_on,
                  REPRESENTATION_PERIOD, f"representations may be made until "
                  f"{amendment.representations_end_on}")
        check_notice_content(self.notice_includes, AMENDED_PLAN_NOTICE)
        if self.setting_type is not None:
            check_code(self.reference_version, "setting_types", self.setting_type,
                       "setting_type")
        self.finalise(state)
        if amendment is not None:
            amendment.finalised_on = self.occurred_on
            if amendment.trigger == "reassessment":
                for request in state.reviews.reassessments:
                    if request.id == amendment.source_id:
                        request.plan_finalised_on = self.occurred_on
        comply_order_steps(state, self, ("amended_plan",))
        current = state.plan.current
        sections = dict(current.sections if current else {}) | self.sections
        state.plan.add_version(
            version_id=state.mint(PLAN_VERSION, self.originator_version),
            event_version=self.originator_version, issued_on=self.occurred_on,
            source="amendment" if amendment is not None else _ordered_source(ordered),
            named_setting=self.named_setting, setting_type=self.setting_type,
            sections=sections)
        state.add_appealable_decision("amended_plan", self.occurred_on, self.originator_version)
        state.stage = "plan_amended"

    def _check_ordered(self, state: JourneyState, orders: set[str]) -> None:
        """Check the amended plan does what the outstanding order asks of it."""
        if "change_i" in orders:
            check(bool(self.named_setting or self.setting_type) or "I" in self.sections_changed,
                  ORDERED_AMENDMENT, "the order is to change section I: name the setting "
                  "or its type")
        if "amend_b_f" in orders:
            check(bool({"B", "F"} & set(self.sections_changed)), ORDERED_AMENDMENT,
                  "the order is to amend sections B and F: list them in sections_changed")

    def finalise(self, state: JourneyState) -> None:
        """Check and record what this kind of amended plan adds (nothing, here)."""


def _ordered_source(ordered: list[OrderObligation]) -> str:
    """Name an amended plan issued under orders: a mediation agreement's, or the Tribunal's."""
    return "mediation_agreement" if ordered and all(o.is_agreed for o in ordered) \
        else "tribunal"


class PhaseTransferPlanFinalised(AmendedPlanFinalised):
    """The amended plan naming the setting for the next phase was issued (stops K12)."""

    def finalise(self, state: JourneyState) -> None:
        transfer = next((t for t in reversed(state.reviews.phase_transfers)
                         if t.finalised_on is None), None)
        check(transfer is not None, PHASE_TRANSFER_PLAN, "no phase transfer is identified")
        check(bool(self.named_setting) and self.setting_type is not None, PHASE_TRANSFER_PLAN,
              "the plan must name the next setting and its type")
        assert transfer is not None
        transfer.finalised_on = self.occurred_on
        transfer.next_setting = self.named_setting


class DecisionNotToAmendIssued(JourneyEvent):
    """The LA decided not to amend after all and said why (stops K11; appealable)."""

    reasons: str
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]

    group: ClassVar[str] = "reviews"

    def evolve(self, state: JourneyState) -> None:
        amendment = _open_amendment(state)
        check_notice_content(self.notice_includes, AMENDED_PLAN_NOTICE)
        amendment.not_amended_on = self.occurred_on
        if amendment.trigger == "reassessment":
            for request in state.reviews.reassessments:
                if request.id == amendment.source_id:
                    request.plan_finalised_on = self.occurred_on
        state.add_appealable_decision("not_to_amend", self.occurred_on, self.originator_version)
        state.stage = "plan_not_amended"


class PhaseTransferIdentified(JourneyEvent):
    """The LA identified a transfer between phases within 12 months (starts K12)."""

    transfer_type: _TRANSFER_TYPES
    transfer_on: date

    group: ClassVar[str] = "reviews"

    def evolve(self, state: JourneyState) -> None:
        check(state.plan.is_active, PHASE_TRANSFER_WINDOW, "there is no EHC plan in force")
        assert state.child is not None
        check_phase_transfer_year(self.transfer_type, state.child.date_of_birth,
                                  self.transfer_on)
        check(add_calendar_months(self.transfer_on, -12) <= self.occurred_on < self.transfer_on,
              PHASE_TRANSFER_WINDOW, f"the transfer on {self.transfer_on} is not within the "
              "next 12 months")
        check(all(t.finalised_on is not None for t in state.reviews.phase_transfers),
              PHASE_TRANSFER_WINDOW, "another phase transfer awaits its plan")
        state.reviews.phase_transfers.append(PhaseTransfer(
            id=state.mint(PHASE_TRANSFER, self.originator_version), identified_on=self.occurred_on,
            transfer_type=self.transfer_type, transfer_on=self.transfer_on,
            deadline=phase_transfer_deadline(self.transfer_type, self.transfer_on)))


class ReassessmentRequested(JourneyEvent):
    """The LA received a request to re-assess a child with a plan (starts K13)."""

    requester: Literal["Parent", "YoungPerson", "Setting", "ICB"]
    reasons: str

    group: ClassVar[str] = "reassessment"

    def evolve(self, state: JourneyState) -> None:
        check(state.plan.is_active, REASSESSMENT_NEEDS_PLAN, "there is no EHC plan in force")
        check(state.reviews.open_reassessment is None, REASSESSMENT_NEEDS_PLAN,
              "a request for re-assessment already awaits its decision")
        state.reviews.reassessments.append(Reassessment(
            id=state.mint(REASSESSMENT, self.originator_version), requested_on=self.occurred_on,
            requester=self.requester))
        state.stage = "reassessment_requested"


class ReassessmentDecisionMade(JourneyEvent):
    """The LA decided whether to re-assess (stops K13; agreeing starts K14; a refusal is
    appealable)."""

    decision: Literal["agree", "refuse"]
    reasons: str
    notified_on: date | None = None
    refusal_ground: Literal["assessed_within_6_months", "not_necessary"] | None = None
    last_assessment_on: date | None = None
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]] = field(default_factory=list)

    group: ClassVar[str] = "reassessment"

    def evolve(self, state: JourneyState) -> None:
        request = state.reviews.open_reassessment
        check(request is not None, REASSESSMENT_DECISION_NEEDS_REQUEST,
              "no request for re-assessment awaits a decision")
        assert request is not None
        check_not_before(self.notified_on, self.occurred_on, "notified_on", "occurred_on")
        notified_on = self.notified_on or self.occurred_on
        if self.decision == "refuse":
            self._check_refusal(request)
            check_notice_content(self.notice_includes, REASSESSMENT_REFUSAL_NOTICE)
            state.add_appealable_decision("refuse_reassessment", notified_on,
                                          self.originator_version)
        request.decision = self.decision
        request.decision_notified_on = notified_on
        state.stage = "reassessment" if self.decision == "agree" else "reassessment_refused"

    def _check_refusal(self, request: Reassessment) -> None:
        check(self.refusal_ground is not None, REASSESSMENT_REFUSAL,
              "a refusal must name its ground")
        if self.refusal_ground == "assessed_within_6_months":
            last = self.last_assessment_on
            check(last is not None and last <= request.requested_on
                  and add_calendar_months(last, 6) > request.requested_on,
                  REASSESSMENT_REFUSAL, "the last assessment must be dated within the 6 months "
                  "before the request")
        else:
            check(bool(self.reasons.strip()), REASSESSMENT_REFUSAL,
                  "a refusal as unnecessary must give reasons")


# Clocks.

K7 = ClockSpec("K7", "Review of the plan", "12 months starting with the plan being made or "
               "last reviewed (the day before the anniversary)",
               "CFA 2014 s.44(1); SEND Code of Practice 2015, 9.166",
               Body.LOCAL_AUTHORITY)
K8 = ClockSpec("K8", "Review invitations and advice", "at least 2 weeks before the meeting",
               "SEND Regulations 2014, reg 20(3)-(4), 21(3)-(4)", Body.SETTING)
K9 = ClockSpec("K9", "Review report", "2 weeks from the meeting",
               "SEND Regulations 2014, reg 20(7)-(8), 21(7)", Body.SETTING)
K10 = ClockSpec("K10", "Review decision", "4 weeks from the meeting",
                "SEND Regulations 2014, reg 20(10), 21(8); R (L, M, P) v Devon CC [2022] "
                "EWHC 493 (Admin)", Body.LOCAL_AUTHORITY)
K11 = ClockSpec("K11", "Amended plan", "8 weeks from the amendment notice",
                "SEND Regulations 2014, reg 22(3)-(4), 28", Body.LOCAL_AUTHORITY)
K12 = ClockSpec("K12", "Phase transfer plan", "before 15 February / 31 March of the "
                "transfer year (14 February / 30 March the last day); "
                "5 months before a post-16 to post-16 transfer",
                "SEND Regulations 2014, reg 18", Body.LOCAL_AUTHORITY)
K7A = ClockSpec("K7A", "Review of the plan (anniversary, local reading)",
                "on the anniversary of the plan being made or last reviewed",
                "Local setting anniversary_reviews: practice's reading of CFA 2014 s.44(1); "
                "K7 keeps the statutory date", Body.LOCAL_AUTHORITY, statutory=False,
                local_policy=True)
K12P = ClockSpec("K12P", "Phase transfer plan (by the day, local reading)",
                 "by 15 February / 31 March of the transfer year (on that day in time); "
                 "reg 18(1) transfers only",
                 "Local setting phase_transfer_by_the_day: practice's reading of SEND "
                 "Regulations 2014, reg 18(1) (SEND Code of Practice 2015, 9.179 'by'); "
                 "K12 keeps the statutory date", Body.LOCAL_AUTHORITY, statutory=False,
                 local_policy=True)
K7U = ClockSpec("K7U", "Review of an under-five's plan (local policy)",
                "every 3 to 6 months (as set) from the plan being made or last reviewed, "
                "while the child is under five",
                "SEND Code of Practice 2015, 9.178; local setting under_five_review_months",
                Body.LOCAL_AUTHORITY, statutory=False, local_policy=True)
# The practice reading: the review falls on the anniversary (the corresponding date),
# one day after the last day of s.44(1)'s "12 months starting with" the plan's date.
ANNIVERSARY = Period(12, Unit.MONTHS, Wording.AFTER, "12 months after the plan was made or "
                     "last reviewed (local practice)", "local setting", quoted=False)
# The practice reading of reg 18(1): the plan "by" 15 February / 31 March (Code 9.179),
# on the day the revised text's "before" makes one day late. Reg 18(2)'s five months
# before a post-16 to post-16 move has no other reading, so K12P does not run for it.
BY_THE_DAY = {
    "secondary_to_post16": DayOfYear(3, 31, "by 31 March in the calendar year of the "
                                     "transfer (local practice)", "local setting",
                                     quoted=False),
    "other": DayOfYear(2, 15, "by 15 February in the calendar year of the transfer "
                       "(local practice)", "local setting", quoted=False),
}
K13 = ClockSpec("K13", "Re-assessment decision", "15 days from the request",
                "SEND Regulations 2014, reg 25", Body.LOCAL_AUTHORITY)
K14 = ClockSpec("K14", "Plan after re-assessment", "14 weeks from the decision to re-assess",
                "SEND Regulations 2014, reg 27(2)-(3)", Body.LOCAL_AUTHORITY)


def _review_anchor(review: Review) -> date | None:
    return review.decision_notified_on if K7_COUNTS_FROM == "decision" else review.held_on


def review_periods(state: JourneyState) -> list[tuple[date, date | None]]:
    """Return each review period's start (the plan made, then each review) and the next
    review held after it, if any. A plan transferred in starts with K17 instead."""
    made_on = state.plan.made_on
    if made_on is None:
        return []
    transferred_in = state.movement.transfer_in
    starts: list[date] = [] if transferred_in is not None else [made_on]
    for review in state.reviews.held_reviews():
        anchor = _review_anchor(review)
        if anchor is not None and (transferred_in is None or
                                   anchor >= transferred_in.transferred_on):
            starts.append(anchor)
    held = [r.held_on for r in state.reviews.held_reviews() if r.held_on is not None]
    return [(start, next((day for day in held if day > start), None))
            for start in sorted(set(starts))]


@clock(K7)
def review_due_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for start, stopped in review_periods(state):
        due, stopped = ended_or(context.due("K7", start), stopped, plan_ended_on(state))
        yield reading(K7, context, episode=f"review-due-{start.isoformat()}",
                      started_on=start, due_on=due, stopped_on=stopped)


@clock(K7A)
def anniversary_review_clock(state: JourneyState, context: ClockContext
                             ) -> Iterator[ClockReading]:
    """The anniversary reading of K7, only where the authority set it; K7 stays strict."""
    if not context.policy.anniversary_reviews:
        return
    for start, stopped in review_periods(state):
        due, stopped = ended_or(ANNIVERSARY.ends(start), stopped, plan_ended_on(state))
        yield reading(K7A, context, episode=f"review-due-{start.isoformat()}",
                      started_on=start, due_on=due, stopped_on=stopped)


@clock(K7U)
def under_five_review_clock(state: JourneyState, context: ClockContext
                            ) -> Iterator[ClockReading]:
    """Code 9.178: a review every N months (3 to 6, as set) while the child is under five.

    Runs from each review period that starts before the fifth birthday; a child who turns
    five before the interval ends leaves the policy (not applicable) unless reviewed first.
    """
    months = context.policy.under_five_review_months
    if months is None:
        return
    assert state.child is not None
    born = state.child.date_of_birth
    fifth = birthday(born, 5)
    for start, stopped in review_periods(state):
        if age_on(born, start) >= 5:
            continue
        due: date | None = add_calendar_months(start, months)
        assert due is not None
        if fifth <= due and (stopped is None or stopped > fifth):
            due, stopped = None, fifth
        else:
            due, stopped = ended_or(due, stopped, plan_ended_on(state))
        yield reading(K7U, context, episode=f"under-five-{start.isoformat()}",
                      started_on=start, due_on=due, stopped_on=stopped)


@clock(K8)
def review_notice_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for review in state.reviews.reviews:
        meeting = review.meeting_date
        if meeting is None:
            continue
        due = context.due("K8", meeting)
        for step, stopped in (("invitations", review.invitations_sent_on),
                              ("advice", review.advice_circulated_on)):
            if stopped is None and review.held_on is None and plan_ended_on(state):
                continue
            yield reading(K8, context, episode=f"{review.id}-{step}",
                          started_on=review.scheduled_on, due_on=due, stopped_on=stopped,
                          responsible=review.responsible)


@clock(K9)
def review_report_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for review in state.reviews.held_reviews():
        assert review.held_on is not None
        due, stopped = ended_or(context.due("K9", review.held_on), review.report_on,
                                plan_ended_on(state))
        yield reading(K9, context, episode=review.id, started_on=review.held_on, due_on=due,
                      stopped_on=stopped, responsible=review.responsible)


@clock(K10)
def review_decision_clock(state: JourneyState, context: ClockContext
                          ) -> Iterator[ClockReading]:
    for review in state.reviews.held_reviews():
        assert review.held_on is not None
        due, stopped = ended_or(context.due("K10", review.held_on),
                                review.decision_notified_on, plan_ended_on(state))
        yield reading(K10, context, episode=review.id, started_on=review.held_on, due_on=due,
                      stopped_on=stopped)


@clock(K11)
def amendment_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for amendment in state.reviews.amendments:
        due, stopped = ended_or(context.due("K11", amendment.noticed_on),
                                amendment.finalised_on or amendment.not_amended_on,
                                plan_ended_on(state))
        yield reading(K11, context, episode=amendment.id, started_on=amendment.noticed_on,
                      due_on=due, stopped_on=stopped)


@clock(K12)
def phase_transfer_clock(state: JourneyState, context: ClockContext
                         ) -> Iterator[ClockReading]:
    for transfer in state.reviews.phase_transfers:
        due, stopped = ended_or(transfer.deadline, transfer.finalised_on, plan_ended_on(state))
        yield reading(K12, context, episode=transfer.id, started_on=transfer.identified_on,
                      due_on=due, stopped_on=stopped)


@clock(K12P)
def phase_transfer_by_the_day_clock(state: JourneyState, context: ClockContext
                                    ) -> Iterator[ClockReading]:
    """Reg 18(1) read "by" the day (Code 9.179), only where the authority set it; K12
    stays strict ("before": the day before)."""
    if not context.policy.phase_transfer_by_the_day:
        return
    for transfer in state.reviews.phase_transfers:
        if transfer.transfer_type == "post16_to_post16":
            continue
        limit = BY_THE_DAY.get(transfer.transfer_type, BY_THE_DAY["other"])
        due, stopped = ended_or(limit.ends(transfer.transfer_on), transfer.finalised_on,
                                plan_ended_on(state))
        yield reading(K12P, context, episode=transfer.id, started_on=transfer.identified_on,
                      due_on=due, stopped_on=stopped)


@clock(K13)
def reassessment_decision_clock(state: JourneyState, context: ClockContext
                                ) -> Iterator[ClockReading]:
    for request in state.reviews.reassessments:
        due, stopped = ended_or(context.due("K13", request.requested_on),
                                request.decision_notified_on, plan_ended_on(state))
        yield reading(K13, context, episode=request.id, started_on=request.requested_on,
                      due_on=due, stopped_on=stopped)


@clock(K14)
def reassessment_plan_clock(state: JourneyState, context: ClockContext
                            ) -> Iterator[ClockReading]:
    for request in state.reviews.reassessments:
        if request.decision != "agree" or request.decision_notified_on is None:
            continue
        stopped = request.plan_finalised_on or next(
            (v.issued_on for v in state.plan.versions if v.source == "reassessment"
             and v.issued_on >= request.decision_notified_on), None)
        due, stopped = ended_or(context.due("K14", request.decision_notified_on),
                                stopped, plan_ended_on(state))
        yield reading(K14, context, episode=request.id, started_on=request.decision_notified_on,
                      due_on=due, stopped_on=stopped,
                      exception_ground=state.exception_for("K14", request.id))
