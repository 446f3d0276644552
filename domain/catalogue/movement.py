"""Moving between local authorities and health commissioners, and ceasing the plan.

Clocks K15 (transfer out: on the move day, or within 15 working days of the old LA
becoming aware), K16 (new LA's notice, 6 weeks), K17 (new LA's review: the later of 12
months from the plan being made or last reviewed and 3 months from the transfer) and K18
(change of responsible commissioning body, 15 working days).

A transfer is not ceasing (reference 7.4 #5): the old LA's journey closes as
``transferred_out`` and the new LA opens its own journey with ``PlanTransferredIn``,
keeping the date the plan was first made (reg 15(3)).

Ceasing (s.45; regs 29-31): ``CeasingProposed`` → ``CeaseDecisionIssued`` (appealable)
→ ``PlanCeased``. The plan stays in force while the family may still appeal — until the
last day K21 computes for the cease decision has passed (2 months from the notice, or 1
month from a mediation certificate if later, moved out of August and the Christmas week:
Tribunal Procedure Rules 2008, r.20 and r.12) — or while an appeal is pending.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from domain.ages import age_on
from domain.catalogue.age_limits import check_reached_25
from domain.catalogue.common import (
    CEASE_REASONS,
    DECISION,
    NOTICE_CONTENTS,
    RECIPIENTS,
    SETTING_TYPES,
    check,
    check_code,
    check_not_before,
    check_notice_content,
)
from domain.catalogue.disputes import appeal_deadline, comply_order_steps
from domain.catalogue.plan import PLAN_VERSION, PlanSections
from domain.catalogue.reviews import ended_or
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.code_lists import takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState


MOVE = record_kind("move_id", "move", "a move to another authority")
TRANSFER_IN = record_kind("transfer_in_id", "transfer-in", "a plan transferred in")
COMMISSIONING_BODY_CHANGE = record_kind(
    "commissioning_change_id", "commissioning", "a change of commissioning body")
CEASE_PROPOSAL = record_kind("cease_proposal_id", "cease-proposal", "a proposal to cease the plan")


@dataclass
class Move:
    """A move to another LA the old LA was told of (reg 15(2))."""

    id: str
    aware_on: date
    move_on: date
    new_la: str
    transferred_out_on: date | None = None


@dataclass
class TransferIn:
    """A plan this LA took over from another (reg 15(3)-(5))."""

    id: str
    old_la: str
    transferred_on: date
    made_on: date
    last_reviewed_on: date | None = None
    notice_on: date | None = None


@dataclass
class CommissioningChange:
    """A change of the ICB responsible for the child's health provision (reg 16)."""

    id: str
    old_body: str
    new_body: str
    aware_on: date
    notified_on: date | None = None


@dataclass
class CeaseProposal:
    """A proposal to cease the plan and the decision that followed (reg 31)."""

    id: str
    proposed_on: date
    ground: str
    consulted: bool
    decision_id: str | None = None  # the appealable decision, once issued
    decision_notified_on: date | None = None
    overturned_on: date | None = None  # the Tribunal ordered the plan maintained


@dataclass
class MovementState:
    """Moves out, a transfer in, commissioning changes and ceasing."""

    moves: list[Move] = field(default_factory=list)
    transfer_in: TransferIn | None = None
    commissioning_changes: list[CommissioningChange] = field(default_factory=list)
    cease_proposals: list[CeaseProposal] = field(default_factory=list)

    @property
    def open_move(self) -> Move | None:
        for move in self.moves:
            if move.transferred_out_on is None:
                return move
        return None

    @property
    def transferred_out_on(self) -> date | None:
        return next((m.transferred_out_on for m in self.moves if m.transferred_out_on), None)

    @property
    def latest_cease_proposal(self) -> CeaseProposal | None:
        return self.cease_proposals[-1] if self.cease_proposals else None


MOVE_NEEDS_PLAN = rule(
    "move-needs-active-plan", "SEND Regulations 2014, reg 15(1)-(2)",
    "A move to another LA is notified for a plan in force, one move at a time.")
TRANSFER_OUT_NEEDS_MOVE = rule(
    "transfer-out-needs-move-notified", "SEND Regulations 2014, reg 15(2)",
    "The plan is transferred to the new LA of a move the old LA was told of.")
TRANSFER_IN_NEEDS_NEW_JOURNEY = rule(
    "transfer-in-needs-journey-without-plan", "SEND Regulations 2014, reg 15(3)",
    "A plan transferred in opens the new LA's journey, which holds no plan yet.")
TRANSFER_NOTICE_NEEDS_TRANSFER = rule(
    "transfer-notice-needs-transfer-in", "SEND Regulations 2014, reg 15(4)",
    "The new LA's notice follows a plan transferred in, once.")
COMMISSIONING_CHANGE = rule(
    "commissioning-change-needs-plan", "SEND Regulations 2014, reg 16(1)-(2)",
    "A change of responsible commissioning body concerns a plan in force and two "
    "different bodies.", Body.HEALTH)
CEASING_NEEDS_PLAN = rule(
    "ceasing-needs-active-plan", "CFA 2014 s.45(1); SEND Regulations 2014, reg 31(1)",
    "Ceasing is proposed for a plan in force, one proposal at a time.")
CEASE_GROUND = rule(
    "cease-ground", "CFA 2014 s.45(1)",
    "A plan ceases only because the LA is no longer responsible (naming why) or the plan "
    "is no longer necessary.")
CEASE_UNDER_18 = rule(
    "cease-under-18-not-in-education", "SEND Regulations 2014, reg 29",
    "A child under 18 not in education or training is reviewed and the plan amended to get "
    "them back in; the plan does not cease for that reason.")
CEASE_18_NEEDS_REVIEW = rule(
    "cease-18-left-education-needs-review", "SEND Regulations 2014, reg 30",
    "A plan of a young person aged 18 or over who has left education ceases only after a "
    "review establishing they do not wish to return or that return is inappropriate.")
CEASE_19_OUTCOMES = rule(
    "cease-19-outcomes-considered", "CFA 2014 s.45(3); SEND Code of Practice 2015, 9.200",
    "For a young person aged 19 or over the LA considers whether the education or training "
    "outcomes have been achieved before ceasing.")
NOT_FOR_TRANSFER = rule(
    "cease-not-for-transfer", "SEND Regulations 2014, reg 15; casetrack invariant 7.4 #5",
    "A move to another LA transfers the plan (MoveNotified, PlanTransferredOut); it is "
    "not ceased (SEN2 cease reason 5 is refused).")
CEASE_DECISION_NEEDS_PROPOSAL = rule(
    "cease-decision-needs-proposal", "SEND Regulations 2014, reg 31(1)",
    "A decision to cease follows a proposal on which the family and the head of the named "
    "institution were consulted, once.")
CEASE_NOTICE = rule(
    "cease-decision-notice-content", "SEND Regulations 2014, reg 31(2)-(3)",
    "A decision to cease is notified to the family and the ICB with appeal rights, time "
    "limits, mediation, disagreement resolution and advice services.")
CEASE_NEEDS_DECISION = rule(
    "plan-ceased-needs-decision", "CFA 2014 s.45; SEND Regulations 2014, reg 31",
    "A plan ceases after a notified decision to cease (or the child's death).")
APPEAL_WINDOW_OPEN = rule(
    "cease-appeal-window-open", "CFA 2014 s.45 (Explanatory Notes); Tribunal Procedure "
    "(First-tier Tribunal) (HESC) Rules 2008, r.20(1)(a)",
    "A plan is not ceased while the family may still appeal the decision to cease (two "
    "months from its notice).")
CEASE_OVERTURNED = rule(
    "cease-decision-overturned", "SEND Regulations 2014, regs 44(2)(f), 45",
    "A decision to cease that the Tribunal ordered reversed (continue to maintain), or that "
    "the LA conceded, does not cease the plan; ceasing needs a new proposal and decision.")
APPEAL_PENDING = rule(
    "cease-appeal-pending", "CFA 2014 s.45 (Explanatory Notes); SEND Regulations 2014, "
    "reg 44(2)(a)",
    "A plan is not ceased while an appeal is pending.")

_CEASE_GROUNDS = Literal["no_longer_necessary", "no_longer_responsible"]
_RESPONSIBILITY_REASONS = Literal[
    "moved_outside_england", "paid_employment", "higher_education", "left_education",
    "reached_25", "deceased", "moved_to_another_la", "other",
]
DECEASED = "8"
REACHED_MAXIMUM_AGE = "1"  # SEN2 cease reason: reached 25 (s.46)
TRANSFERRED = "5"


def plan_in_force(state: JourneyState) -> bool:
    return state.plan.is_active and not state.is_closed


class MoveNotified(JourneyEvent):
    """The old LA learned the child is moving to another LA (K15 from these dates)."""

    move_on: date
    new_la: str
    aware_on: date | None = None

    group: ClassVar[str] = "transfer"

    def evolve(self, state: JourneyState) -> None:
        check(plan_in_force(state), MOVE_NEEDS_PLAN, "there is no EHC plan in force")
        check(state.movement.open_move is None, MOVE_NEEDS_PLAN,
              "a move is already notified; correct it instead")
        aware_on = self.aware_on or self.occurred_on
        check_not_before(self.occurred_on, aware_on, "occurred_on", "aware_on")
        state.movement.moves.append(Move(
            id=state.mint(MOVE, self.originator_version), aware_on=aware_on, move_on=self.move_on,
            new_la=self.new_la))


class PlanTransferredOut(JourneyEvent):
    """The old LA transferred the plan to the new LA (stops K15; closes this journey)."""

    new_la: str
    documents_sent: list[str] = field(default_factory=list)

    group: ClassVar[str] = "transfer"

    def evolve(self, state: JourneyState) -> None:
        move = state.movement.open_move
        check(move is not None and state.plan.is_active, TRANSFER_OUT_NEEDS_MOVE,
              "no move of a child with a plan in force is notified")
        assert move is not None
        move.transferred_out_on = self.occurred_on
        move.new_la = self.new_la
        state.status = "transferred_out"
        state.stage = "transferred_out"


class PlanTransferredIn(JourneyEvent):
    """This LA took over a plan from another LA, made on its original date (starts K16,
    K17)."""

    old_la: str
    original_made_on: date
    last_reviewed_on: date | None = None
    sen2_transfer_la: str | None = None
    named_setting: str | None = None
    setting_type: Annotated[str, takes(SETTING_TYPES)] | None = None
    sections: PlanSections = field(default_factory=dict)

    group: ClassVar[str] = "transfer"

    def evolve(self, state: JourneyState) -> None:
        check(not state.plan.versions and state.movement.transfer_in is None,
              TRANSFER_IN_NEEDS_NEW_JOURNEY, "this journey already holds a plan")
        check_not_before(self.occurred_on, self.original_made_on, "occurred_on",
                         "original_made_on")
        check_not_before(self.last_reviewed_on, self.original_made_on, "last_reviewed_on",
                         "original_made_on")
        check_not_before(self.occurred_on, self.last_reviewed_on or self.original_made_on,
                         "occurred_on", "last_reviewed_on")
        if self.setting_type is not None:
            check_code(self.reference_version, "setting_types", self.setting_type,
                       "setting_type")
        state.plan.add_version(
            version_id=state.mint(PLAN_VERSION, self.originator_version),
            event_version=self.originator_version, issued_on=self.occurred_on,
            source="transfer_in", named_setting=self.named_setting,
            setting_type=self.setting_type, sections=dict(self.sections),
            made_on=self.original_made_on)
        state.movement.transfer_in = TransferIn(
            id=state.mint(TRANSFER_IN, self.originator_version), old_la=self.old_la,
            transferred_on=self.occurred_on, made_on=self.original_made_on,
            last_reviewed_on=self.last_reviewed_on)
        state.stage = "plan_transferred_in"


class TransferNoticeIssued(JourneyEvent):
    """The new LA told the family the plan has transferred, whether it will assess and
    when it will review (stops K16)."""

    will_assess: bool
    review_on: date | None = None

    group: ClassVar[str] = "transfer"

    def evolve(self, state: JourneyState) -> None:
        transfer = state.movement.transfer_in
        check(transfer is not None and transfer.notice_on is None,
              TRANSFER_NOTICE_NEEDS_TRANSFER, "no plan transferred in awaits its notice")
        assert transfer is not None
        check_not_before(self.review_on, self.occurred_on, "review_on", "occurred_on")
        transfer.notice_on = self.occurred_on


class ResponsibleCommissioningBodyChanged(JourneyEvent):
    """The ICB responsible for the child's health provision changed (K18 from aware_on)."""

    old_body: str
    new_body: str
    aware_on: date | None = None
    notified_on: date | None = None
    request_to_la_on: date | None = None

    group: ClassVar[str] = "transfer"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        check(plan_in_force(state), COMMISSIONING_CHANGE, "there is no EHC plan in force")
        check(self.old_body.strip().lower() != self.new_body.strip().lower(),
              COMMISSIONING_CHANGE, "the old and new bodies are the same")
        aware_on = self.aware_on or self.occurred_on
        check_not_before(self.notified_on, aware_on, "notified_on", "aware_on")
        check_not_before(self.request_to_la_on, aware_on, "request_to_la_on", "aware_on")
        state.movement.commissioning_changes.append(CommissioningChange(
            id=state.mint(COMMISSIONING_BODY_CHANGE, self.originator_version),
            old_body=self.old_body, new_body=self.new_body, aware_on=aware_on,
            notified_on=self.notified_on))


class CeasingProposed(JourneyEvent):
    """The LA told the family it proposes to cease the plan and consulted them and the
    head of the named institution (reg 31(1))."""

    ground: _CEASE_GROUNDS
    family_informed_on: date
    family_consulted: bool
    head_consulted: bool
    responsibility_reason: _RESPONSIBILITY_REASONS | None = None
    review_id: str | None = None
    wishes_established: bool = False
    outcomes_considered: bool = False

    group: ClassVar[str] = "ceasing"

    def evolve(self, state: JourneyState) -> None:
        assert state.child is not None
        check(plan_in_force(state), CEASING_NEEDS_PLAN, "there is no EHC plan in force")
        latest = state.movement.latest_cease_proposal
        check(latest is None or latest.decision_id is not None, CEASING_NEEDS_PLAN,
              "a proposal to cease already awaits its decision")
        reason = self.responsibility_reason
        check(reason != "moved_to_another_la", NOT_FOR_TRANSFER,
              "record MoveNotified and PlanTransferredOut instead")
        check((self.ground == "no_longer_responsible") == (reason is not None), CEASE_GROUND,
              "name responsibility_reason exactly when the LA is no longer responsible")
        age = age_on(state.child.date_of_birth, self.occurred_on)
        if reason == "reached_25":
            check_reached_25(state.child.date_of_birth, self.occurred_on)
        if reason == "left_education":
            check(age >= 18, CEASE_UNDER_18, f"the child is {age}: review and amend the plan")
            review = state.reviews.review(self.review_id or "")
            check(review is not None and review.held_on is not None
                  and self.wishes_established, CEASE_18_NEEDS_REVIEW,
                  "name a held review (review_id) that established the young person's wishes")
        if age >= 19:
            check(self.outcomes_considered, CEASE_19_OUTCOMES,
                  f"the young person is {age}: consider the plan's outcomes")
        check_not_before(self.family_informed_on, self.occurred_on, "family_informed_on",
                         "occurred_on")
        state.movement.cease_proposals.append(CeaseProposal(
            id=state.mint(CEASE_PROPOSAL, self.originator_version), proposed_on=self.occurred_on,
            ground=self.ground, consulted=self.family_consulted and self.head_consulted))
        state.stage = "ceasing_proposed"


class CeaseDecisionIssued(JourneyEvent):
    """The LA decided to cease the plan and notified the family, institution and ICB
    (reg 31(2)-(3); appealable)."""

    ground: _CEASE_GROUNDS
    reasons: str
    recipients: list[Annotated[str, takes(RECIPIENTS)]]
    notice_includes: list[Annotated[str, takes(NOTICE_CONTENTS)]]
    notified_on: date | None = None
    proposed_end_on: date | None = None

    group: ClassVar[str] = "ceasing"

    def evolve(self, state: JourneyState) -> None:
        proposal = state.movement.latest_cease_proposal
        check(proposal is not None and proposal.decision_id is None, CEASE_DECISION_NEEDS_PROPOSAL,
              "no proposal to cease awaits a decision")
        assert proposal is not None
        check(proposal.consulted, CEASE_DECISION_NEEDS_PROPOSAL,
              "the family and the head of the named institution must be consulted first")
        check(self.ground == proposal.ground, CEASE_DECISION_NEEDS_PROPOSAL,
              f"the proposal was on the ground {proposal.ground!r}")
        missing = sorted({"family", "icb"} - set(self.recipients))
        check(not missing, CEASE_NOTICE, "the notice must go to: " + ", ".join(missing))
        check_notice_content(self.notice_includes, CEASE_NOTICE)
        check_not_before(self.notified_on, self.occurred_on, "notified_on", "occurred_on")
        check_not_before(self.proposed_end_on, self.occurred_on, "proposed_end_on",
                         "occurred_on")
        notified_on = self.notified_on or self.occurred_on
        proposal.decision_id = state.mint(DECISION, self.originator_version)
        proposal.decision_notified_on = notified_on
        state.add_appealable_decision("cease_plan", notified_on, self.originator_version)
        state.stage = "cease_decided"


class PlanCeased(JourneyEvent):
    """The plan ceased to be maintained (occurred_on = effective date; stops plan clocks)."""

    cease_reason: Annotated[str, takes(CEASE_REASONS)]

    group: ClassVar[str] = "ceasing"

    def evolve(self, state: JourneyState) -> None:
        check_code(self.reference_version, "cease_reasons", self.cease_reason, "cease_reason")
        check(self.cease_reason != TRANSFERRED, NOT_FOR_TRANSFER,
              "record MoveNotified and PlanTransferredOut instead")
        if self.cease_reason == REACHED_MAXIMUM_AGE:
            assert state.child is not None
            check_reached_25(state.child.date_of_birth, self.occurred_on)
        check(plan_in_force(state), CEASING_NEEDS_PLAN, "there is no EHC plan in force")
        check(not state.disputes.appeal_pending(), APPEAL_PENDING,
              "an appeal is pending; the plan stays in force until it is decided")
        proposal = state.movement.latest_cease_proposal
        decided = proposal is not None and proposal.decision_notified_on is not None
        check(decided or self.cease_reason == DECEASED, CEASE_NEEDS_DECISION,
              "no decision to cease has been notified")
        if decided:
            assert proposal is not None and proposal.decision_notified_on is not None
            appealed = any(a.decision_id == proposal.decision_id
                           for a in state.disputes.appeals)
            decision = next(d for d in state.appealable_decisions
                            if d.id == proposal.decision_id)
            # The window K21 computes: 2 months, or 1 month after a mediation
            # certificate if later, moved out of August and the Christmas week.
            last_day = appeal_deadline(decision, state.disputes.mediation_for(decision.id))
            check(appealed or self.occurred_on > last_day, APPEAL_WINDOW_OPEN,
                  f"the family may appeal until {last_day}")
            check(proposal.overturned_on is None, CEASE_OVERTURNED,
                  f"the Tribunal ordered the plan maintained on {proposal.overturned_on}")
        comply_order_steps(state, self, ("cease",))
        state.plan.ceased_on = self.occurred_on
        state.status = "ceased"
        state.stage = "ceased"


# Clocks.

K15 = ClockSpec("K15", "Transfer of the plan to the new LA", "on the move day, or 15 working "
                "days beginning with the day of becoming aware if aware less than 15 working "
                "days before",
                "SEND Regulations 2014, reg 15(2)", Body.LOCAL_AUTHORITY)
K16 = ClockSpec("K16", "New LA's transfer notice", "6 weeks from the transfer",
                "SEND Regulations 2014, reg 15(4)", Body.LOCAL_AUTHORITY)
K17 = ClockSpec("K17", "New LA's first review", "later of 12 months beginning with the plan "
                "being made or last reviewed and 3 months beginning with the transfer",
                "SEND Regulations 2014, reg 15(5)", Body.LOCAL_AUTHORITY)
K18 = ClockSpec("K18", "Change of responsible commissioning body", "15 working days beginning "
                "with the day of becoming aware", "SEND Regulations 2014, reg 16", Body.HEALTH)


@clock(K15)
def transfer_out_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for move in state.movement.moves:
        # Reg 15(2): on the day of the move if the old LA was aware at least 15 working
        # days before it (the 15 working days beginning with that day end before the
        # move); otherwise by the end of those 15 working days. Either way: the later.
        due = max(context.due("K15.move", move.move_on),
                  context.due("K15.aware", move.aware_on))
        due_on, stopped = ended_or(due, move.transferred_out_on, state.plan.ceased_on)
        yield reading(K15, context, episode=move.id, started_on=move.aware_on, due_on=due_on,
                      stopped_on=stopped)


@clock(K16)
def transfer_notice_clock(state: JourneyState, context: ClockContext
                          ) -> Iterator[ClockReading]:
    transfer = state.movement.transfer_in
    if transfer is None:
        return
    due, stopped = ended_or(context.due("K16", transfer.transferred_on),
                            transfer.notice_on, state.plan.ceased_on)
    yield reading(K16, context, episode=transfer.id, started_on=transfer.transferred_on,
                  due_on=due, stopped_on=stopped)


def first_review_due(transfer: TransferIn, context: ClockContext) -> date:
    """Return the later of the end of 12 months beginning with the plan being made or last
    reviewed and the end of 3 months beginning with the transfer (reg 15(5))."""
    last = transfer.last_reviewed_on or transfer.made_on
    return max(context.due("K17.review", last),
               context.due("K17.transfer", transfer.transferred_on))


@clock(K17)
def transfer_review_clock(state: JourneyState, context: ClockContext
                          ) -> Iterator[ClockReading]:
    transfer = state.movement.transfer_in
    if transfer is None:
        return
    held = next((r.held_on for r in state.reviews.held_reviews()
                 if r.held_on is not None and r.held_on >= transfer.transferred_on), None)
    due, stopped = ended_or(first_review_due(transfer, context), held,
                            state.plan.ceased_on or state.movement.transferred_out_on)
    yield reading(K17, context, episode=transfer.id, started_on=transfer.transferred_on,
                  due_on=due, stopped_on=stopped)


@clock(K18)
def commissioning_change_clock(state: JourneyState, context: ClockContext
                               ) -> Iterator[ClockReading]:
    for change in state.movement.commissioning_changes:
        yield reading(K18, context, episode=change.id, started_on=change.aware_on,
                      due_on=context.due("K18", change.aware_on),
                      stopped_on=change.notified_on)
