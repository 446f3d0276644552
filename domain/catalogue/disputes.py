"""Disagreement resolution: mediation, appeals, Tribunal decisions, complaints.

Every appealable decision (``state.appealable_decisions``) opens K19 (contact the
mediation adviser, 2 months) and K21 (the appeal window); both fall on the family. A
mediation certificate can lengthen K21, whose last day moves out of August and out of
25 December to 1 January (HESC Rules 2008, r.12(3)). A Tribunal decision or the LA's
non-opposition gives the LA orders to comply with (K22, reg 44(2), 45), and
recommendations on health and social care get a reasoned answer in 5 weeks (K23).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from domain.ages import is_young_person
from domain.calendar import DEFAULT_COUNTING, Counting, sen_appeal_deadline
from domain.catalogue.common import ASSESSMENT_REQUEST, check, check_not_before
from domain.clocks import ClockContext, ClockReading, ClockSpec, ClockStatus, clock, reading
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import due as rules_due
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import AppealableDecision, JourneyState


OBLIGATION = record_kind(
    "obligation_id", "order",
    "a step a tribunal order (or a mediation agreement to the same effect) requires; "
    "TribunalOrderComplied names it (MediationAgreementStepCompleted as its step_id)",
    many=True)
MEDIATION = record_kind("mediation_id", "mediation", "a mediation case")
APPEAL = record_kind("appeal_id", "appeal", "an appeal to the tribunal")
RECOMMENDATION = record_kind(
    "recommendation_id", "recommendation",
    "a tribunal recommendation on health or social care; "
    "TribunalRecommendationResponded names it",
    many=True)
COMPLAINT = record_kind("complaint_id", "complaint", "a complaint")
OMBUDSMAN_DECISION = record_kind("ombudsman_decision_id", "ombudsman", "an ombudsman's decision")


@dataclass
class Mediation:
    """What followed one appealable decision on the way to a mediation certificate."""

    id: str
    decision_id: str
    adviser_contacted_on: date
    declined_on: date | None = None
    requested_on: date | None = None
    issues: list[str] = field(default_factory=list)
    icb_notified_on: date | None = None
    information_on: date | None = None
    arranged_on: date | None = None
    arranged_for: date | None = None
    arranged_by: str | None = None
    cannot_take_place_on: date | None = None
    held_on: date | None = None
    outcome: str | None = None
    certificate_on: date | None = None
    certificate_type: str | None = None
    agreement_on: date | None = None  # the written mediation agreement (reg 42(1))

    @property
    def health_issues(self) -> bool:
        return "health" in self.issues

    @property
    def health_only(self) -> bool:
        return self.issues == ["health"]


@dataclass
class Appeal:
    """An appeal to the First-tier Tribunal (SEND)."""

    id: str
    decision_id: str | None
    registered_on: date
    closed_on: date | None = None
    outcome: str | None = None
    tribunal_ref: str = ""
    sections_challenged: list[str] = field(default_factory=list)
    extended_elements: list[str] = field(default_factory=list)
    late_permitted: bool = False
    certificate_exempt: bool = False
    appellant: str | None = None  # parent | young_person; None when not recorded


@dataclass
class OrderObligation:
    """One step an order (or the LA's non-opposition, or a mediation agreement) requires,
    with its period."""

    id: str
    appeal_id: str | None  # None for a step of a mediation agreement
    order: str
    step: str
    ordered_on: date
    weeks: int
    source: str  # tribunal | non_opposition | concession | mediation_agreement
    complied_on: date | None = None
    outcome: str | None = None
    action_event_version: int | None = None
    # The ordered assessment (``request-<version>``) whose steps carry this order out.
    target_id: str | None = None
    # A mediation agreement's steps (reg 42): the mediation, who must act, and a last day
    # the parties agreed in writing instead of the regulation's periods (reg 42(5)).
    mediation_id: str | None = None
    body: str = "local_authority"
    agreed_by: date | None = None

    @property
    def is_outstanding(self) -> bool:
        return self.complied_on is None

    @property
    def is_agreed(self) -> bool:
        """Tell whether a mediation agreement (K27), not the Tribunal (K22), set this step."""
        return self.source == AGREEMENT


@dataclass
class Recommendation:
    """A Tribunal recommendation on health or social care in an extended appeal."""

    id: str
    appeal_id: str
    body: str  # health | social_care
    made_on: date
    responded_on: date | None = None
    accepted: bool | None = None


@dataclass
class Complaint:
    """A complaint or an ombudsman's decision about the journey."""

    id: str
    kind: str  # complaint | ombudsman_decision
    received_on: date
    body: str
    subject: str | None = None
    finding: str | None = None
    remedy: str | None = None
    reference: str | None = None


@dataclass
class DisputesState:
    """Mediation, appeals and complaints. Other groups read ``appeal_pending``."""

    appeals: list[Appeal] = field(default_factory=list)
    mediations: list[Mediation] = field(default_factory=list)
    obligations: list[OrderObligation] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)

    def appeal_pending(self) -> bool:
        """Tell whether an appeal is registered and not yet decided or withdrawn."""
        return any(appeal.closed_on is None for appeal in self.appeals)

    def mediation_for(self, decision_id: str) -> Mediation | None:
        for mediation in self.mediations:
            if mediation.decision_id == decision_id:
                return mediation
        return None

    def appeals_for(self, decision_id: str) -> list[Appeal]:
        return [appeal for appeal in self.appeals if appeal.decision_id == decision_id]

    def open_appeal(self, tribunal_ref: str) -> Appeal | None:
        for appeal in self.appeals:
            if appeal.tribunal_ref == tribunal_ref and appeal.closed_on is None:
                return appeal
        return None

    def outstanding(self, steps: tuple[str, ...], target_id: str | None = None
                    ) -> list[OrderObligation]:
        """Return the order steps named ``steps`` not yet complied with (of ``target_id``)."""
        return [o for o in self.obligations if o.is_outstanding and o.step in steps
                and (target_id is None or o.target_id == target_id)]


def comply_order_steps(state: JourneyState, event: JourneyEvent, steps: tuple[str, ...], *,
                       target_id: str | None = None, on: date | None = None,
                       outcome: str | None = None) -> None:
    """Stop K22 for the outstanding ``steps`` the recorded ``event`` carries out.

    Called by the events that are the steps themselves (a decision to assess, a draft or
    final plan, an amended plan, the plan ceasing), so a Tribunal order is complied with
    by recording what the authority did, through the same endpoint as any other step.
    """
    for obligation in state.disputes.outstanding(steps, target_id):
        obligation.complied_on = on or event.occurred_on
        obligation.outcome = outcome
        obligation.action_event_version = event.originator_version


def appeal_deadline(decision: AppealableDecision, mediation: Mediation | None,
                    counting: Counting = DEFAULT_COUNTING) -> date:
    """Return the last day to appeal ``decision`` (K21).

    The later of 2 months from the decision notice and 1 month from the mediation
    certificate (HESC Rules 2008, r.20), then moved out of August and 25 December to
    1 January (r.12(3)(a)) or off a non-working day (r.12(2)).
    """
    due = rules_due("K21.notice", decision.notified_on, counting)
    if mediation is not None and mediation.certificate_on is not None:
        due = max(due, rules_due("K21.certificate", mediation.certificate_on, counting))
    return sen_appeal_deadline(due, counting)


def appeal_window_open_on(state: JourneyState, day: date,
                          counting: Counting = DEFAULT_COUNTING) -> bool:
    """Tell whether any appealable decision can still be appealed in time on ``day``."""
    for decision in state.appealable_decisions:
        if state.disputes.appeals_for(decision.id):
            continue
        mediation = state.disputes.mediation_for(decision.id)
        if decision.notified_on <= day <= appeal_deadline(decision, mediation, counting):
            return True
    return False


NEEDS_DECISION = rule(
    "dispute-needs-appealable-decision", "CFA 2014 s.51(2), s.55(1)",
    "Mediation and appeals name a decision the family may appeal, notified in this "
    "journey before the step.", Body.FAMILY)
ADVISER_CONTACTED_ONCE = rule(
    "mediation-adviser-contacted-once", "SEND Regulations 2014, reg 33",
    "The family contacts the mediation adviser once about a decision.", Body.FAMILY)
NEEDS_ADVISER_CONTACT = rule(
    "mediation-needs-adviser-contact", "CFA 2014 s.55(2); SEND Regulations 2014, reg 33",
    "Declining or requesting mediation follows the family's contact with the mediation "
    "adviser about that decision.", Body.FAMILY)
MEDIATION_CHOICE_ONCE = rule(
    "mediation-choice-made-once", "SEND Regulations 2014, regs 33-34",
    "The family either declines or requests mediation about a decision, once.",
    Body.FAMILY)
INFORMATION_NEEDS_CONTACT = rule(
    "mediation-information-needs-contact", "CFA 2014 s.55(3)",
    "The adviser gives information about mediation once, after the family's contact about "
    "that decision.", Body.MEDIATION)
ARRANGED_NEEDS_REQUEST = rule(
    "mediation-arranged-needs-request", "CFA 2014 ss.53(2), 54(2); SEND Regulations 2014, "
    "regs 35-37",
    "Mediation is arranged once, after the family asked for it, for a day on or after the "
    "arranging; the ICB arranges mediation about health provision only.")
CANNOT_TAKE_PLACE = rule(
    "mediation-not-possible-needs-request", "SEND Regulations 2014, reg 37",
    "The notice that mediation cannot take place within 30 days follows the family's "
    "request, before any mediation is held, once.")
HELD_NEEDS_REQUEST = rule(
    "mediation-held-needs-request", "CFA 2014 ss.53-54; SEND Regulations 2014, regs 35-37",
    "Mediation is held once, after the family asked for it.", Body.MEDIATION)
CERTIFICATE_BASIS = rule(
    "mediation-certificate-basis", "CFA 2014 s.55(4)-(5); SEND Regulations 2014, regs 34, "
    "39", "A certificate issues once per decision, of the type that matches what happened: "
    "mediation declined, held, or requested and not arranged.", Body.MEDIATION)
NEEDS_CERTIFICATE = rule(
    "appeal-needs-mediation-certificate", "CFA 2014 s.55; SEND Code of Practice 2015, "
    "11.18-11.19",
    "An appeal needs a mediation certificate unless it is only about the setting named "
    "(or not named) in section I.", Body.FAMILY)
OUT_OF_TIME = rule(
    "appeal-out-of-time", "Tribunal Procedure (First-tier Tribunal) (Health, Education and "
    "Social Care Chamber) Rules 2008, r.20, r.12(3), r.5(3)(a)",
    "An appeal is registered within the appeal window (K21) unless the Tribunal "
    "permitted it late.", Body.FAMILY)
APPELLANT_STANDING = rule(
    "appellant-standing", "CFA 2014 s.51(1), s.80; SEND Regulations 2014, Part 8",
    "A child's parent brings the appeal; after compulsory school age the young person "
    "brings it in their own right, or the parent for a young person lacking capacity.",
    Body.FAMILY)
ONE_APPEAL_PER_DECISION = rule(
    "appeal-already-registered", "CFA 2014 s.51(1)",
    "A decision is appealed once; a second registration of the same appeal is refused.",
    Body.FAMILY)
APPEAL_TYPE = rule(
    "appeal-type-mismatch", "CFA 2014 s.51(2)",
    "The appeal type, when given, is the kind of the decision appealed.", Body.FAMILY)
APPEAL_OPEN = rule(
    "appeal-must-be-open", "Tribunal Procedure (First-tier Tribunal) (Health, Education and "
    "Social Care Chamber) Rules 2008, r.17, r.20; SEND Regulations 2014, reg 45",
    "Non-opposition, withdrawal, concession and the Tribunal's decision concern a "
    "registered appeal that is still open.", Body.TRIBUNAL)
ORDERS_CONSISTENT = rule(
    "tribunal-orders-consistent", "SEND Regulations 2014, regs 44(2), 45",
    "A decision or non-opposition carries at least one order; a dismissal carries no "
    "other order, and an allowed appeal is not a dismissal.", Body.TRIBUNAL)
RECOMMENDATION_NEEDS_EXTENDED_APPEAL = rule(
    "recommendation-needs-extended-appeal", "Special Educational Needs and Disability "
    "(First-tier Tribunal Recommendations Power) Regulations 2017 (SI 2017/1306), reg 3",
    "Recommendations on health or social care are made only in an appeal that asked "
    "about sections C, D, G or H.", Body.TRIBUNAL)
ORDER_OPEN = rule(
    "order-compliance-needs-open-order", "SEND Regulations 2014, regs 42, 44(2), 45",
    "Compliance names an order step (or a mediation agreement's step, recorded as such) of "
    "this journey that is not yet complied with.")
RECOMMENDATION_OPEN = rule(
    "recommendation-response-needs-recommendation", "Special Educational Needs and "
    "Disability (First-tier Tribunal Recommendations Power) Regulations 2017, reg 6",
    "A response names a recommendation not yet answered, by the body it was made to.",
    Body.HEALTH)
DECLINE_NEEDS_REASONS = rule(
    "recommendation-decline-needs-reasons", "Special Educational Needs and Disability "
    "(First-tier Tribunal Recommendations Power) Regulations 2017, reg 6",
    "A body that does not follow a recommendation gives its reasons in writing.",
    Body.HEALTH)


def _decision(state: JourneyState, decision_id: str, on: date) -> AppealableDecision:
    for decision in state.appealable_decisions:
        if decision.id == decision_id:
            check(decision.notified_on <= on, NEEDS_DECISION,
                  f"{decision_id} was notified on {decision.notified_on}, after {on}")
            return decision
    check(False, NEEDS_DECISION, f"there is no appealable decision {decision_id!r}")
    raise AssertionError("unreachable")  # pragma: no cover


def _mediation(state: JourneyState, decision_id: str) -> Mediation:
    mediation = state.disputes.mediation_for(decision_id)
    check(mediation is not None, NEEDS_ADVISER_CONTACT,
          f"no contact with the mediation adviser is recorded for {decision_id}")
    assert mediation is not None
    return mediation


def _open_appeal(state: JourneyState, tribunal_ref: str) -> Appeal:
    appeal = state.disputes.open_appeal(tribunal_ref)
    check(appeal is not None, APPEAL_OPEN, f"no open appeal {tribunal_ref!r}")
    assert appeal is not None
    return appeal


_Issue = Literal["education", "health", "social_care"]
_Section = Literal["B", "F", "I"]
_ExtendedElement = Literal["C", "D", "G", "H"]
_Order = Literal["assess", "reassess", "make_plan", "amend_b_f", "change_i",
                 "continue_to_maintain", "dismiss"]

# Steps each order requires, in weeks from the order (reg 44(2)) or the LA's notice of
# non-opposition (reg 45). The "outcome" of an ordered assessment is 10 weeks when it is
# a decision not to issue a plan and 14 weeks when it is a final plan.
ORDER_STEPS: dict[str, tuple[tuple[str, int], ...]] = {
    "assess": (("notify_assessment", 2), ("outcome", 14)),
    "reassess": (("notify_assessment", 2), ("outcome", 14)),
    "make_plan": (("draft_plan", 5), ("final_plan", 11)),
    "amend_b_f": (("amended_plan", 5),),
    "change_i": (("amended_plan", 2),),
    "continue_to_maintain": (("maintain", 0),),
    "dismiss": (("cease", 0),),
}
NO_PLAN_OUTCOME_WEEKS = 10
AGREEMENT = "mediation_agreement"  # the source of a mediation agreement's steps (K27)


def _add_obligations(state: JourneyState, event: JourneyEvent, appeal: Appeal,
                     orders: list[str], source: str) -> None:
    add_order_steps(state, event, orders, source=source, decision_id=appeal.decision_id,
                    appeal_id=appeal.id)


def add_order_steps(state: JourneyState, event: JourneyEvent, orders: list[str], *,
                    source: str, decision_id: str | None, appeal_id: str | None = None,
                    mediation_id: str | None = None, agreed_by: date | None = None) -> None:
    """Open the steps each of ``orders`` requires of the LA from the day of ``event``.

    A Tribunal order, the LA's non-opposition or concession (K22), or a mediation
    agreement on an appealable matter, which reg 42(2) times as if it were an order (K27).
    """
    decision_kind = next((d.kind for d in state.appealable_decisions
                          if d.id == decision_id), "")
    route = "mediation_agreement" if source == AGREEMENT else "tribunal_order"
    for order in orders:
        if order == "dismiss" and not decision_kind.startswith("cease"):
            continue  # only a dismissed appeal against ceasing asks the LA to act
        target_id = _open_ordered_work(state, event, decision_id, order, route)
        for step, weeks in ORDER_STEPS[order]:
            state.disputes.obligations.append(OrderObligation(
                id=state.mint(OBLIGATION, event.originator_version, order, step),
                appeal_id=appeal_id,
                order=order, step=step, ordered_on=event.occurred_on, weeks=weeks,
                source=source, target_id=target_id, mediation_id=mediation_id,
                agreed_by=agreed_by))
        if order == "continue_to_maintain":
            # Nothing to do but keep the plan: complied with on the day of the order.
            comply_order_steps(state, event, ("maintain",), outcome="maintained")
            state.stage = "plan_maintained"
        elif order != "dismiss":
            # The LA has an order's (or an agreement's) steps to carry out.
            state.stage = "mediation_agreement" if source == AGREEMENT else "tribunal_order"


def _open_ordered_work(state: JourneyState, event: JourneyEvent, decision_id: str | None,
                       order: str, route: str) -> str | None:
    """Open what the authority must now do under ``order``; return its id, if any.

    An order to assess (or re-assess) opens an ordered assessment awaiting the LA's notice
    that it will assess; an order to make a plan opens one already decided, awaiting the
    draft (reg 44(2)). They are kept apart from the requests received
    (``AssessmentState.ordered``): not new requests, and timed by K22 (K27 for a
    mediation agreement), not K1/K3/K4. An order to continue to maintain overturns the
    decision to cease.
    """
    if order in ("assess", "reassess", "make_plan"):
        return state.assessment.open_ordered(
            state.mint(ASSESSMENT_REQUEST, event.originator_version), event.occurred_on,
            order=order, decided=order == "make_plan", route=route).id
    if order == "continue_to_maintain":
        for proposal in state.movement.cease_proposals:
            if proposal.decision_id == decision_id:
                proposal.overturned_on = event.occurred_on
    return None


def _check_orders(orders: list[str], *, dismissed: bool) -> None:
    check(bool(orders), ORDERS_CONSISTENT, "no order is given")
    if "dismiss" in orders or dismissed:
        check(orders == ["dismiss"] and dismissed, ORDERS_CONSISTENT,
              "a dismissal is the only order of a dismissed appeal")


class MediationAdviserContacted(JourneyEvent):
    """The family contacted the mediation adviser about a decision (stops K19)."""

    decision_id: str
    # What the family said about appealing, when the adviser recorded it; once defaulted
    # to True, which nobody had stated.
    wishes_to_appeal: bool | None = None

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.MEDIATION
    hashed_defaults: ClassVar[dict[str, Any]] = {"wishes_to_appeal": True}

    def evolve(self, state: JourneyState) -> None:
        _decision(state, self.decision_id, self.occurred_on)
        check(state.disputes.mediation_for(self.decision_id) is None, ADVISER_CONTACTED_ONCE,
              f"the adviser was already contacted about {self.decision_id}")
        state.disputes.mediations.append(Mediation(
            id=state.mint(MEDIATION, self.originator_version), decision_id=self.decision_id,
            adviser_contacted_on=self.occurred_on))


class MediationDeclined(JourneyEvent):
    """The family told the adviser they do not wish to mediate (starts K20, 3 working days)."""

    decision_id: str

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.MEDIATION

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        check(mediation.declined_on is None and mediation.requested_on is None,
              MEDIATION_CHOICE_ONCE, "the family has already chosen about mediation")
        check_not_before(self.occurred_on, mediation.adviser_contacted_on, "occurred_on",
                         "adviser_contacted_on")
        mediation.declined_on = self.occurred_on


class MediationRequested(JourneyEvent):
    """The family asked for mediation (starts K20: 30 days; ICB told in 3 working days)."""

    decision_id: str
    issues: list[_Issue]
    health_provision_sought: str | None = None
    icb_notified_on: date | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        check(mediation.declined_on is None and mediation.requested_on is None,
              MEDIATION_CHOICE_ONCE, "the family has already chosen about mediation")
        check_not_before(self.occurred_on, mediation.adviser_contacted_on, "occurred_on",
                         "adviser_contacted_on")
        check_not_before(self.icb_notified_on, self.occurred_on, "icb_notified_on",
                         "occurred_on")
        mediation.requested_on = self.occurred_on
        mediation.issues = sorted(set(self.issues))
        mediation.icb_notified_on = self.icb_notified_on if "health" in self.issues else None


class MediationInformationProvided(JourneyEvent):
    """The mediation adviser gave the family information about pursuing mediation."""

    decision_id: str

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.MEDIATION

    def evolve(self, state: JourneyState) -> None:
        mediation = state.disputes.mediation_for(self.decision_id)
        check(mediation is not None and mediation.information_on is None,
              INFORMATION_NEEDS_CONTACT,
              f"no first contact with the adviser awaits information on {self.decision_id}")
        assert mediation is not None
        check_not_before(self.occurred_on, mediation.adviser_contacted_on, "occurred_on",
                         "adviser_contacted_on")
        mediation.information_on = self.occurred_on


class MediationArranged(JourneyEvent):
    """The LA (or, for health provision only, the ICB) arranged the mediation meeting for
    ``mediation_on`` with an independent mediator (K20: it takes place within 30 days)."""

    decision_id: str
    mediation_on: date
    arranged_by: Literal["local_authority", "health"] = "local_authority"
    mediator_ref: str | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        check(mediation.requested_on is not None and mediation.arranged_on is None
              and mediation.held_on is None, ARRANGED_NEEDS_REQUEST,
              "mediation was not requested, or is already arranged or held")
        assert mediation.requested_on is not None
        check_not_before(self.occurred_on, mediation.requested_on, "occurred_on",
                         "requested_on")
        check_not_before(self.mediation_on, self.occurred_on, "mediation_on", "occurred_on")
        check((self.arranged_by == "health") == mediation.health_only, ARRANGED_NEEDS_REQUEST,
              "the ICB arranges mediation about health provision only; the LA any other")
        mediation.arranged_on = self.occurred_on
        mediation.arranged_for = self.mediation_on
        mediation.arranged_by = self.arranged_by


class MediationCannotTakePlaceNotified(JourneyEvent):
    """The LA told the adviser (and the family) that mediation cannot take place within
    30 days (reg 37); the adviser's certificate is then due in 3 working days (K20)."""

    decision_id: str
    reason: Literal["family_unavailable", "mediator_unavailable", "parties_unavailable",
                    "other"] = "other"

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        check(mediation.requested_on is not None and mediation.held_on is None
              and mediation.cannot_take_place_on is None and mediation.certificate_on is None,
              CANNOT_TAKE_PLACE, "mediation was not requested, or is already held, notified "
              "as impossible or certified")
        assert mediation.requested_on is not None
        check_not_before(self.occurred_on, mediation.requested_on, "occurred_on",
                         "requested_on")
        mediation.cannot_take_place_on = self.occurred_on


class MediationHeld(JourneyEvent):
    """Mediation took place."""

    decision_id: str
    parties: list[str]
    outcome: Literal["agreement", "partial_agreement", "no_agreement"]
    agreement_ref: str | None = None

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.MEDIATION

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        check(mediation.requested_on is not None and mediation.held_on is None
              and mediation.certificate_on is None, HELD_NEEDS_REQUEST,
              "mediation was not requested, or is already held or certified")
        assert mediation.requested_on is not None
        check_not_before(self.occurred_on, mediation.requested_on, "occurred_on",
                         "requested_on")
        mediation.held_on = self.occurred_on
        mediation.outcome = self.outcome


class MediationCertificateIssued(JourneyEvent):
    """The adviser or mediator issued a mediation certificate (recomputes K21)."""

    decision_id: str
    certificate_type: Literal["declined", "held", "not_arranged_in_30_days"]

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.MEDIATION

    def evolve(self, state: JourneyState) -> None:
        mediation = _mediation(state, self.decision_id)
        basis = {
            "declined": mediation.declined_on,
            "held": mediation.held_on,
            "not_arranged_in_30_days": (mediation.cannot_take_place_on
                                        or mediation.requested_on)
            if mediation.held_on is None else None,
        }[self.certificate_type]
        check(mediation.certificate_on is None and basis is not None, CERTIFICATE_BASIS,
              f"a {self.certificate_type!r} certificate does not match the mediation "
              "recorded, or one has already issued")
        assert basis is not None
        check_not_before(self.occurred_on, basis, "occurred_on", "mediation step")
        mediation.certificate_on = self.occurred_on
        mediation.certificate_type = self.certificate_type


class AppealRegistered(JourneyEvent):
    """The Tribunal registered the family's appeal against a decision (stops K21)."""

    decision_id: str
    tribunal_ref: str
    appeal_type: str | None = None
    sections_challenged: list[_Section] = field(default_factory=list)
    extended_elements: list[_ExtendedElement] = field(default_factory=list)
    late_permitted: bool = False
    appellant: Literal["parent", "young_person"] | None = None
    on_behalf_of_young_person_lacking_capacity: bool = False

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.TRIBUNAL

    def evolve(self, state: JourneyState) -> None:
        decision = _decision(state, self.decision_id, self.occurred_on)
        self._check_appellant(state)
        check(self.appeal_type is None or self.appeal_type == decision.kind, APPEAL_TYPE,
              f"{self.decision_id} is a {decision.kind!r} decision, not {self.appeal_type!r}")
        check(not any(a.closed_on is None for a in state.disputes.appeals_for(decision.id)),
              ONE_APPEAL_PER_DECISION, f"{decision.id} is already under appeal")
        exempt = set(self.sections_challenged) == {"I"}
        mediation = state.disputes.mediation_for(decision.id)
        check(exempt or (mediation is not None and mediation.certificate_on is not None
                         and mediation.certificate_on <= self.occurred_on),
              NEEDS_CERTIFICATE, f"no mediation certificate for {decision.id}")
        deadline = appeal_deadline(decision, mediation)
        check(self.occurred_on <= deadline or self.late_permitted, OUT_OF_TIME,
              f"the appeal window closed on {deadline}")
        state.disputes.appeals.append(Appeal(
            id=state.mint(APPEAL, self.originator_version), decision_id=decision.id,
            registered_on=self.occurred_on, tribunal_ref=self.tribunal_ref,
            sections_challenged=list(self.sections_challenged),
            extended_elements=list(self.extended_elements),
            late_permitted=self.late_permitted and self.occurred_on > deadline,
            certificate_exempt=exempt, appellant=self.appellant))

    def _check_appellant(self, state: JourneyState) -> None:
        """Check who brings the appeal: the parent of a child, the young person in their
        own right after compulsory school age (CFA 2014 ss.51(1), 80)."""
        if self.appellant is None:
            return
        assert state.child is not None
        young_person = is_young_person(state.child.date_of_birth, self.occurred_on)
        if self.appellant == "young_person":
            check(young_person, APPELLANT_STANDING, "before the end of compulsory school age "
                  "the parent brings the appeal")
        else:
            check(not young_person or self.on_behalf_of_young_person_lacking_capacity,
                  APPELLANT_STANDING, "after compulsory school age the young person brings "
                  "the appeal, unless they lack capacity")


class AppealNonOppositionNotified(JourneyEvent):
    """The LA told the Tribunal it will not oppose the appeal (reg 45 clocks start, K22)."""

    tribunal_ref: str
    will: list[_Order]

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        appeal = _open_appeal(state, self.tribunal_ref)
        _check_orders(list(self.will), dismissed=False)
        _add_obligations(state, self, appeal, list(self.will), "non_opposition")
        appeal.closed_on = self.occurred_on
        appeal.outcome = "unopposed"


class AppealWithdrawn(JourneyEvent):
    """The family withdrew the appeal."""

    tribunal_ref: str
    reason: str | None = None

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.FAMILY

    def evolve(self, state: JourneyState) -> None:
        appeal = _open_appeal(state, self.tribunal_ref)
        appeal.closed_on = self.occurred_on
        appeal.outcome = "withdrawn"


class AppealConceded(JourneyEvent):
    """The appeal ended by agreement, on terms recorded by reference.

    ``will`` names what the authority conceded it will do (the orders it would have been
    given); each opens the same steps and K22 periods as the order would, from the day of
    the concession (reg 45 as substituted in 2015 times an unopposed appeal from the LA's
    notice; a concession is treated the same way).
    """

    tribunal_ref: str
    terms: str
    will: list[_Order] | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        appeal = _open_appeal(state, self.tribunal_ref)
        if self.will:
            _check_orders(list(self.will), dismissed=False)
            _add_obligations(state, self, appeal, list(self.will), "concession")
        appeal.closed_on = self.occurred_on
        appeal.outcome = "conceded"


class TribunalDecisionIssued(JourneyEvent):
    """The Tribunal decided the appeal (starts K22 per order step, K23 per recommendation)."""

    tribunal_ref: str
    outcome: Literal["allowed", "partly_allowed", "dismissed"]
    orders: list[_Order]
    recommendations: list[Literal["health", "social_care"]] = field(default_factory=list)
    decision_ref: str | None = None

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.TRIBUNAL

    def evolve(self, state: JourneyState) -> None:
        appeal = _open_appeal(state, self.tribunal_ref)
        _check_orders(list(self.orders), dismissed=self.outcome == "dismissed")
        check(not self.recommendations or bool(appeal.extended_elements),
              RECOMMENDATION_NEEDS_EXTENDED_APPEAL,
              "the appeal did not ask about sections C, D, G or H")
        _add_obligations(state, self, appeal, list(self.orders), "tribunal")
        for index, body in enumerate(self.recommendations, start=1):
            state.disputes.recommendations.append(Recommendation(
                id=state.mint(RECOMMENDATION, self.originator_version, index), appeal_id=appeal.id,
                body=body, made_on=self.occurred_on))
        appeal.closed_on = self.occurred_on
        appeal.outcome = self.outcome


class TribunalOrderComplied(JourneyEvent):
    """The LA did what an order step required (stops K22 for that step).

    ``outcome`` says, for the last step of an ordered assessment, whether it ended in a
    final plan (14 weeks) or a decision not to issue one (10 weeks).
    """

    obligation_id: str
    outcome: Literal["plan", "no_plan"] | None = None
    action_event_version: int | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        obligation = open_order_step(state, self.obligation_id, agreed=False)
        complete_order_step(state, obligation, self.occurred_on, self.outcome,
                            self.action_event_version)


def open_order_step(state: JourneyState, step_id: str, *, agreed: bool) -> OrderObligation:
    """Return the outstanding step ``step_id``: a mediation agreement's when ``agreed``,
    otherwise an order's (the Tribunal's, or the LA's non-opposition or concession)."""
    obligation = next((o for o in state.disputes.obligations
                       if o.id == step_id and o.complied_on is None
                       and o.is_agreed == agreed), None)
    kind = "mediation agreement" if agreed else "order"
    check(obligation is not None, ORDER_OPEN, f"no outstanding {kind} step {step_id!r}")
    assert obligation is not None
    return obligation


def complete_order_step(state: JourneyState, obligation: OrderObligation, on: date,
                        outcome: str | None, action_event_version: int | None) -> None:
    """Record ``obligation`` done on ``on`` (stops its K22 or K27 episode)."""
    check_not_before(on, obligation.ordered_on, "occurred_on", "ordered_on")
    obligation.complied_on = on
    obligation.outcome = outcome
    obligation.action_event_version = action_event_version
    if obligation.target_id is not None and obligation.step in ("outcome", "final_plan"):
        # Compliance recorded as a whole ends the ordered assessment it names.
        state.assessment.close_ordered(obligation.target_id, on)


class TribunalRecommendationResponded(JourneyEvent):
    """The ICB or social care answered a Tribunal recommendation (stops K23)."""

    recommendation_id: str
    body: Literal["health", "social_care"]
    accepted: bool
    reasons: str | None = None

    group: ClassVar[str] = "disputes"
    recorded_by: ClassVar[Body] = Body.HEALTH

    def evolve(self, state: JourneyState) -> None:
        recommendation = next((r for r in state.disputes.recommendations
                               if r.id == self.recommendation_id and r.responded_on is None
                               and r.body == self.body), None)
        check(recommendation is not None, RECOMMENDATION_OPEN,
              f"no unanswered {self.body} recommendation {self.recommendation_id!r}")
        assert recommendation is not None
        check(self.accepted or bool((self.reasons or "").strip()), DECLINE_NEEDS_REASONS,
              "reasons are needed when the recommendation is not followed")
        check_not_before(self.occurred_on, recommendation.made_on, "occurred_on", "made_on")
        recommendation.responded_on = self.occurred_on
        recommendation.accepted = self.accepted


class ComplaintReceived(JourneyEvent):
    """A complaint about the journey was received (may follow the journey's close)."""

    complaint_ref: str
    body: Literal["local_authority", "school", "health", "social_care"]
    subject: Literal["delay", "non_delivery", "communication", "assessment", "plan_content",
                     "other"]

    group: ClassVar[str] = "disputes"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        state.disputes.complaints.append(Complaint(
            id=state.mint(COMPLAINT, self.originator_version), kind="complaint",
            received_on=self.occurred_on, body=self.body, subject=self.subject,
            reference=self.complaint_ref))


class OmbudsmanDecisionReceived(JourneyEvent):
    """An ombudsman's decision on a complaint was received (may follow the journey's close)."""

    ombudsman: Literal["LGSCO", "PHSO"]
    finding: Literal["fault_causing_injustice", "fault_no_injustice", "no_fault",
                     "not_investigated"]
    ombudsman_ref: str
    remedy: str | None = None
    complaint_ref: str | None = None

    group: ClassVar[str] = "disputes"
    allowed_when_closed: ClassVar[bool] = True

    def evolve(self, state: JourneyState) -> None:
        state.disputes.complaints.append(Complaint(
            id=state.mint(OMBUDSMAN_DECISION, self.originator_version), kind="ombudsman_decision",
            received_on=self.occurred_on, body=self.ombudsman, finding=self.finding,
            remedy=self.remedy, reference=self.ombudsman_ref))


K19 = ClockSpec("K19", "Mediation adviser contact", "2 months",
                "SEND Regulations 2014, reg 33", Body.FAMILY,
                open_past_due=ClockStatus.NOT_APPLICABLE)  # a window let pass: no breach
K20 = ClockSpec("K20", "Mediation certificate or meeting",
                "certificate 3 working days; mediation 30 days; ICB told 3 working days",
                "SEND Regulations 2014, regs 34-37, 39", Body.MEDIATION)
K21 = ClockSpec("K21", "Appeal window",
                "later of 2 months from the decision notice and 1 month from the "
                "certificate; August and 25 December-1 January deadlines move on",
                "Tribunal Procedure (First-tier Tribunal) (Health, Education and Social Care "
                "Chamber) Rules 2008, r.20, r.12(3)", Body.FAMILY,
                open_past_due=ClockStatus.NOT_APPLICABLE)  # a window let pass: no breach
K22 = ClockSpec("K22", "Tribunal order compliance",
                "2, 5, 10, 11 or 14 weeks, or immediately, by order",
                "SEND Regulations 2014, regs 44(2)-(3), 45", Body.LOCAL_AUTHORITY)
K23 = ClockSpec("K23", "Tribunal recommendation response", "5 weeks",
                "Special Educational Needs and Disability (First-tier Tribunal "
                "Recommendations Power) Regulations 2017, reg 6", Body.HEALTH)


def order_step_weeks(obligation: OrderObligation) -> int:
    """Return the weeks of an order step: 10, not 14, for an ordered assessment's outcome
    that was a decision not to issue a plan (reg 44(2)(b))."""
    if obligation.step == "outcome" and obligation.outcome == "no_plan":
        return NO_PLAN_OUTCOME_WEEKS
    return obligation.weeks


def _lapsed_or(due: date, stopped: date | None, today: date) -> ClockStatus | None:
    """Return NOT_APPLICABLE for a family window that passed unused: no breach by anyone."""
    return ClockStatus.NOT_APPLICABLE if stopped is None and today > due else None


@clock(K19)
def adviser_contact_clock(state: JourneyState, context: ClockContext
                          ) -> Iterator[ClockReading]:
    for decision in state.appealable_decisions:
        mediation = state.disputes.mediation_for(decision.id)
        stopped = mediation.adviser_contacted_on if mediation else None
        due = context.due("K19", decision.notified_on)
        exempt = [a for a in state.disputes.appeals_for(decision.id) if a.certificate_exempt]
        if stopped is None and exempt:
            # A section-I-only appeal needs no certificate, so no adviser contact.
            yield reading(K19, context, episode=decision.id, started_on=decision.notified_on,
                          due_on=None, stopped_on=exempt[0].registered_on)
            continue
        yield reading(K19, context, episode=decision.id, started_on=decision.notified_on,
                      due_on=due, stopped_on=stopped,
                      status=_lapsed_or(due, stopped, context.today))


@clock(K20)
def mediation_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for m in state.disputes.mediations:
        if m.declined_on is not None:
            yield reading(K20, context, episode=f"{m.id}-certificate", started_on=m.declined_on,
                          due_on=context.due("K20.certificate_declined", m.declined_on),
                          stopped_on=m.certificate_on)
        if m.requested_on is None:
            continue
        if m.health_issues:
            yield reading(K20, context, episode=f"{m.id}-icb-notice", started_on=m.requested_on,
                          due_on=context.due("K20.icb_notice", m.requested_on),
                          stopped_on=m.icb_notified_on, responsible=Body.LOCAL_AUTHORITY)
        # Health-only mediation is arranged by the ICB within 30 days of the LA telling it.
        start = (m.icb_notified_on or m.requested_on) if m.health_only else m.requested_on
        # The meeting's 30 days end when it is held, or when the LA gives notice that it
        # cannot take place in time (reg 37), or with a certificate saying so.
        meeting_stop = m.held_on or m.cannot_take_place_on or (
            m.certificate_on if m.certificate_type == "not_arranged_in_30_days" else None)
        yield reading(K20, context, episode=f"{m.id}-meeting", started_on=start,
                      due_on=context.due("K20.mediation", start), stopped_on=meeting_stop,
                      responsible=Body.HEALTH if m.health_only else Body.LOCAL_AUTHORITY,
                      responsible_name=commissioner(state) if m.health_only else None)
        concluded = m.held_on or m.cannot_take_place_on
        if concluded is not None:
            # Reg 37, 39: the adviser certifies within 3 working days of the mediation, or
            # of being told that it cannot take place within 30 days.
            yield reading(K20, context, episode=f"{m.id}-certificate", started_on=concluded,
                          due_on=context.due("K20.certificate_held", concluded),
                          stopped_on=m.certificate_on)


@clock(K21)
def appeal_window_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for decision in state.appealable_decisions:
        mediation = state.disputes.mediation_for(decision.id)
        due = appeal_deadline(decision, mediation, context.counting)
        appeals = state.disputes.appeals_for(decision.id)
        stopped = appeals[0].registered_on if appeals else None
        yield reading(K21, context, episode=decision.id, started_on=decision.notified_on,
                      due_on=due, stopped_on=stopped,
                      status=_lapsed_or(due, stopped, context.today))


@clock(K22)
def order_compliance_clock(state: JourneyState, context: ClockContext
                           ) -> Iterator[ClockReading]:
    for o in state.disputes.obligations:
        if o.is_agreed:
            continue  # a mediation agreement's steps run under their own clock (K27)
        yield reading(K22, context, episode=o.id, started_on=o.ordered_on,
                      due_on=context.due("K22", o.ordered_on, order_step_weeks(o)),
                      stopped_on=o.complied_on,
                      exception_ground=state.exception_for("K22", o.id))


@clock(K23)
def recommendation_clock(state: JourneyState, context: ClockContext
                         ) -> Iterator[ClockReading]:
    for r in state.disputes.recommendations:
        yield reading(K23, context, episode=r.id, started_on=r.made_on,
                      due_on=context.due("K23", r.made_on),
                      stopped_on=r.responded_on,
                      responsible=Body.HEALTH if r.body == "health" else Body.SOCIAL_CARE,
                      responsible_name=commissioner(state) if r.body == "health"
                      else state.child.authority if state.child else None)


def commissioner(state: JourneyState) -> str | None:
    """Return the responsible commissioning body last recorded (reg 16), if any."""
    changes = state.movement.commissioning_changes
    return changes[-1].new_body if changes else None
