"""Personal budgets and direct payments (CFA 2014 s.49; SEN (Personal Budgets) Regs 2014).

A family may ask for a personal budget while a draft plan is being prepared or while the
plan is being reviewed or re-assessed (reg 4). A direct payment needs the reg 6
conditions (and the head's or principal's consent for provision on their site); its use
is reviewed within the first 3 months (K24, reg 11). A refusal is explained and may be
reconsidered (reg 7); it is not appealable to the Tribunal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from domain.catalogue.common import check, check_not_before
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.code_lists import domain_list, takes
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import rule

if TYPE_CHECKING:
    from domain.state import JourneyState

PB_REGS = "SEN (Personal Budgets) Regulations 2014 (SI 2014/1652)"


BUDGET_REQUEST = record_kind(
    "personal_budget_request_id", "budget", "a request for a personal budget")
DIRECT_PAYMENT = record_kind("direct_payment_id", "direct-payment", "a direct payment agreed")
DIRECT_PAYMENT_REFUSAL = record_kind(
    "direct_payment_refusal_id", "dp-refusal", "a direct payment refused")


@dataclass
class BudgetRequest:
    """A request for a personal budget and the LA's determination of it."""

    id: str
    requested_on: date
    during: str  # draft | review | reassessment
    elements: list[str]
    direct_payment_requested: bool
    determined_on: date | None = None
    amount_pence: int | None = None
    arrangement: str | None = None
    disaggregation_refused: bool = False


@dataclass
class DirectPayment:
    """A direct payment agreed for part of the personal budget."""

    id: str
    agreed_on: date
    recipient: str
    amount_pence: int
    agreed_provision: list[str]
    on_site: bool
    reviewed_on: list[date] = field(default_factory=list)
    changed_on: list[date] = field(default_factory=list)
    stopped_on: date | None = None

    @property
    def is_running(self) -> bool:
        return self.stopped_on is None


@dataclass
class DirectPaymentRefusal:
    """A refusal to make direct payments, and its reconsideration if asked for."""

    id: str
    refused_on: date
    reasons: str
    reconsidered_on: date | None = None
    outcome: str | None = None


@dataclass
class BudgetsState:
    """Personal budget requests, direct payments and refusals, oldest first."""

    requests: list[BudgetRequest] = field(default_factory=list)
    payments: list[DirectPayment] = field(default_factory=list)
    refusals: list[DirectPaymentRefusal] = field(default_factory=list)

    @property
    def latest_request(self) -> BudgetRequest | None:
        return self.requests[-1] if self.requests else None

    @property
    def running_payment(self) -> DirectPayment | None:
        for payment in self.payments:
            if payment.is_running:
                return payment
        return None


REQUEST_TIMING = rule(
    "personal-budget-request-timing", f"CFA 2014 s.49(1); {PB_REGS}, reg 4",
    "A personal budget is asked for while a draft plan is being prepared, or while the "
    "plan is being reviewed or re-assessed.", Body.FAMILY)
NEEDS_REQUEST = rule(
    "personal-budget-needs-request", f"CFA 2014 s.49(1); {PB_REGS}, regs 4, 7",
    "A budget is determined, and direct payments refused, in answer to an undetermined "
    "request.")
DISAGGREGATION_REASONS = rule(
    "disaggregation-refusal-needs-reasons", f"CFA 2014 s.49(2); {PB_REGS}, reg 4A",
    "Leaving provision out of a personal budget because it cannot be disaggregated from "
    "a block contract is explained.")
PAYMENT_NEEDS_BUDGET = rule(
    "direct-payment-needs-budget", f"CFA 2014 s.49(3); {PB_REGS}, regs 5, 8",
    "Direct payments are agreed against a determined personal budget.")
PAYMENT_CONDITIONS = rule(
    "direct-payment-conditions", f"{PB_REGS}, reg 6",
    "The LA records that the recipient will secure the agreed provision, that there is no "
    "adverse impact on other services, and that payments are value for money.")
ON_SITE_CONSENT = rule(
    "direct-payment-on-site-consent", f"{PB_REGS}, reg 6",
    "Provision bought with direct payments on a school or college site needs the head "
    "teacher's or principal's agreement.", Body.SETTING)
ONE_RUNNING_PAYMENT = rule(
    "direct-payment-already-running", f"{PB_REGS}, regs 8, 12",
    "A new direct payment is not agreed while one runs; change or stop the running one.")
REFUSAL_REASONS = rule(
    "direct-payment-refusal-reasons", f"{PB_REGS}, reg 7(1)",
    "A refusal of direct payments gives reasons and the right to ask for a review.")
RECONSIDERATION_NEEDS_REFUSAL = rule(
    "direct-payment-reconsideration-needs-refusal", f"{PB_REGS}, reg 7(2)-(3)",
    "A reconsideration follows a refusal not yet reconsidered.")
PAYMENT_RUNNING = rule(
    "direct-payment-must-be-running", f"{PB_REGS}, regs 10-14",
    "Reviews, changes and stops concern a direct payment that is running.")
CHANGE_NOTICE = rule(
    "direct-payment-change-needs-notice", f"{PB_REGS}, regs 10-14",
    "Reducing or stopping direct payments is done on notice, with reasons.")

_Element = Literal["education", "health", "social_care"]
REG_6_CONDITIONS = frozenset({
    "secures_agreed_provision", "no_adverse_impact_on_other_services", "value_for_money",
})
REG_6 = domain_list("direct_payment_conditions", lambda: REG_6_CONDITIONS,
                    "the conditions of reg 6 of the Personal Budgets Regulations 2014; "
                    "every one must be met")


def _review_in_progress(state: JourneyState) -> str | None:
    """Return "review" or "reassessment" if the plan is being reviewed or re-assessed."""
    reviews = state.reviews
    if _reassessment_open(state):
        return "reassessment"
    if any(r.decision_notified_on is None for r in reviews.reviews) or \
            reviews.open_amendment is not None:
        return "review"
    return None


def _reassessment_open(state: JourneyState) -> bool:
    return any(r.decision is None or (r.decision == "agree" and r.plan_finalised_on is None)
               for r in state.reviews.reassessments)


def _draft_in_preparation(state: JourneyState) -> bool:
    request = state.assessment.open_request
    return request is not None and request.issue_decision == "issue" \
        and request.final_issued_on is None


def _running(state: JourneyState) -> DirectPayment:
    payment = state.budgets.running_payment
    check(payment is not None, PAYMENT_RUNNING, "no direct payment is running")
    assert payment is not None
    return payment


def _check_notice(reasons: str, notice_given_on: date | None) -> None:
    check(bool(reasons.strip()) and notice_given_on is not None, CHANGE_NOTICE,
          "reasons and the date notice was given are needed")


class PersonalBudgetRequested(JourneyEvent):
    """The parent or young person asked for a personal budget."""

    elements: list[_Element]
    direct_payment_requested: bool = False

    group: ClassVar[str] = "budgets"
    recorded_by: ClassVar[Body] = Body.LOCAL_AUTHORITY

    def evolve(self, state: JourneyState) -> None:
        during = "draft" if _draft_in_preparation(state) else _review_in_progress(state)
        check(during is not None, REQUEST_TIMING,
              "no draft plan is being prepared and the plan is not being reviewed or "
              "re-assessed")
        assert during is not None
        state.budgets.requests.append(BudgetRequest(
            id=state.mint(BUDGET_REQUEST, self.originator_version), requested_on=self.occurred_on,
            during=during, elements=sorted(set(self.elements)),
            direct_payment_requested=self.direct_payment_requested))


class PersonalBudgetDetermined(JourneyEvent):
    """The LA (with the ICB for health) set the personal budget."""

    amount_pence: int
    elements: list[_Element]
    arrangement: Literal["direct_payment", "notional", "third_party", "mixed"]
    disaggregation_refused: bool = False
    reasons: str | None = None

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        request = state.budgets.latest_request
        check(request is not None and request.determined_on is None, NEEDS_REQUEST,
              "no personal budget request awaits determination")
        assert request is not None
        check(not self.disaggregation_refused or bool((self.reasons or "").strip()),
              DISAGGREGATION_REASONS, "reasons are needed for leaving provision out")
        request.determined_on = self.occurred_on
        request.amount_pence = self.amount_pence
        request.arrangement = self.arrangement
        request.disaggregation_refused = self.disaggregation_refused


class DirectPaymentAgreed(JourneyEvent):
    """The LA agreed to make direct payments (starts K24, the 3-month first review)."""

    recipient: Literal["parent", "young_person", "nominee"]
    amount_pence: int
    agreed_provision: list[str]
    conditions_met: list[Annotated[str, takes(REG_6)]]
    on_site: bool = False
    head_or_principal_consent: bool = False

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        check(any(r.determined_on is not None for r in state.budgets.requests),
              PAYMENT_NEEDS_BUDGET, "no personal budget has been determined")
        missing = sorted(REG_6_CONDITIONS - set(self.conditions_met))
        check(not missing, PAYMENT_CONDITIONS, "not recorded: " + ", ".join(missing))
        check(not self.on_site or self.head_or_principal_consent, ON_SITE_CONSENT,
              "provision on a school or college site needs the head's or principal's consent")
        check(state.budgets.running_payment is None, ONE_RUNNING_PAYMENT,
              "a direct payment is already running")
        state.budgets.payments.append(DirectPayment(
            id=state.mint(DIRECT_PAYMENT, self.originator_version), agreed_on=self.occurred_on,
            recipient=self.recipient, amount_pence=self.amount_pence,
            agreed_provision=list(self.agreed_provision), on_site=self.on_site))


class DirectPaymentRefused(JourneyEvent):
    """The LA refused direct payments, with reasons and the right to a review."""

    reasons: str
    review_right_explained: bool

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        check(any(r.direct_payment_requested for r in state.budgets.requests), NEEDS_REQUEST,
              "direct payments were not asked for")
        check(bool(self.reasons.strip()) and self.review_right_explained, REFUSAL_REASONS,
              "a refusal gives reasons and explains the right to a review")
        state.budgets.refusals.append(DirectPaymentRefusal(
            id=state.mint(DIRECT_PAYMENT_REFUSAL, self.originator_version),
            refused_on=self.occurred_on,
            reasons=self.reasons))


class DirectPaymentReconsidered(JourneyEvent):
    """The LA reconsidered a refusal of direct payments at the family's request."""

    outcome: Literal["agreed", "refusal_upheld"]
    reasons: str | None = None

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        refusal = next((r for r in reversed(state.budgets.refusals)
                        if r.reconsidered_on is None), None)
        check(refusal is not None, RECONSIDERATION_NEEDS_REFUSAL,
              "no refusal awaits reconsideration")
        assert refusal is not None
        check_not_before(self.occurred_on, refusal.refused_on, "occurred_on", "refused_on")
        refusal.reconsidered_on = self.occurred_on
        refusal.outcome = self.outcome


class DirectPaymentReviewed(JourneyEvent):
    """The LA reviewed the making and use of direct payments (stops K24)."""

    outcome: Literal["continue", "change", "stop"]

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        payment = _running(state)
        check_not_before(self.occurred_on, payment.agreed_on, "occurred_on", "agreed_on")
        payment.reviewed_on.append(self.occurred_on)


class DirectPaymentChanged(JourneyEvent):
    """The LA changed the amount or provision of a running direct payment, on notice."""

    reasons: str
    notice_given_on: date | None
    amount_pence: int | None = None
    agreed_provision: list[str] = field(default_factory=list)

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        payment = _running(state)
        _check_notice(self.reasons, self.notice_given_on)
        if self.amount_pence is not None:
            payment.amount_pence = self.amount_pence
        if self.agreed_provision:
            payment.agreed_provision = list(self.agreed_provision)
        payment.changed_on.append(self.occurred_on)


class DirectPaymentStopped(JourneyEvent):
    """The LA stopped direct payments on notice (stops K24; a new agreement starts anew)."""

    reasons: str
    notice_given_on: date | None

    group: ClassVar[str] = "budgets"

    def evolve(self, state: JourneyState) -> None:
        payment = _running(state)
        _check_notice(self.reasons, self.notice_given_on)
        payment.stopped_on = self.occurred_on


K24 = ClockSpec("K24", "Direct payment first review", "3 months", f"{PB_REGS}, reg 11",
                Body.LOCAL_AUTHORITY)


@clock(K24)
def first_review_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for payment in state.budgets.payments:
        due: date | None = context.due("K24", payment.agreed_on)
        stopped = payment.reviewed_on[0] if payment.reviewed_on else None
        if stopped is None and payment.stopped_on is not None:
            # Stopped before its first review was due: nothing left to review.
            stopped = payment.stopped_on
            if due is not None and stopped <= due:
                due = None
        yield reading(K24, context, episode=payment.id, started_on=payment.agreed_on,
                      due_on=due, stopped_on=stopped)
