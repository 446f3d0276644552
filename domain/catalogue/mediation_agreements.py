"""What follows a mediation agreement (SEND Regulations 2014, reg 42), timed by K27.

Mediation that ends in a written agreement (reg 42(1)) gives the authority steps to take.
An agreement on a matter the family could have appealed is kept to as if it were an
order of the First-tier Tribunal (reg 42(2)): it opens the same steps as the order would
(``disputes.ORDER_STEPS``: notice to assess, draft and final plan, amended plan), carried
out through the same events, with reg 44's periods from the date of the agreement.
Anything else agreed is done within two weeks (reg 42(3)), by the authority or the
responsible commissioning body. Where the authority was not a party (mediation about
health provision only), the commissioning body tells it of the agreement within a week
(reg 42(4)). A different timescale the parties agree in writing replaces the periods of
reg 42(2)-(3) (reg 42(5)).

The periods are configuration (``domain.time_limits``: K27, K27.other, K27.notify), each
marked to be checked against legislation.gov.uk: the reference could not retrieve reg 42.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal

from domain.calendar import Period
from domain.catalogue.common import check, check_not_before
from domain.catalogue.disputes import (
    AGREEMENT,
    Mediation,
    OrderObligation,
    add_order_steps,
    commissioner,
    complete_order_step,
    open_order_step,
    order_step_weeks,
)
from domain.clocks import ClockContext, ClockReading, ClockSpec, clock, reading
from domain.events import JourneyEvent
from domain.record_ids import record_kind
from domain.responsibility import Body
from domain.rules import rule, rule_set_on

if TYPE_CHECKING:
    from domain.state import JourneyState

# What a mediation agreement can settle that the Tribunal could have ordered (reg 42(2)):
# the orders of reg 44(2), but a dismissal, which only the Tribunal gives.
_AgreedOrder = Literal["assess", "reassess", "make_plan", "amend_b_f", "change_i",
                       "continue_to_maintain"]
# What else an agreement can ask for, which the family could not appeal (reg 42(3)),
# and who does it: the authority, or the responsible commissioning body for health.
OTHER_STEP_BODIES: dict[str, Body] = {
    "professional_involvement": Body.LOCAL_AUTHORITY,  # e.g. an educational psychologist
    "interim_support": Body.LOCAL_AUTHORITY,  # e.g. temporary funding for the setting
    "information": Body.LOCAL_AUTHORITY,  # a letter, a report, a copy of a document
    "meeting": Body.LOCAL_AUTHORITY,
    "social_care_action": Body.LOCAL_AUTHORITY,
    "other_local_authority": Body.LOCAL_AUTHORITY,
    "health_provision": Body.HEALTH,
    "health_assessment": Body.HEALTH,
    "other_health": Body.HEALTH,
}
_OtherStep = Literal["professional_involvement", "interim_support", "information", "meeting",
                     "social_care_action", "other_local_authority", "health_provision",
                     "health_assessment", "other_health"]
NOTIFY_STEP = "notify_authority"

AGREEMENT_STEP = record_kind(
    "agreement_step_id", "agreement",
    "a step a mediation agreement requires besides an order's (reg 42); "
    "MediationAgreementStepCompleted names it as its step_id", many=True)
AGREEMENT_NEEDS_MEDIATION = rule(
    "mediation-agreement-needs-agreement", "SEND Regulations 2014, reg 42(1)",
    "A mediation agreement is recorded once, about a decision whose mediation was held and "
    "ended in agreement (or partial agreement), on or after the day it was held.")
AGREEMENT_NAMES_STEPS = rule(
    "mediation-agreement-names-steps", "SEND Regulations 2014, reg 42(2)-(3), (5)",
    "A mediation agreement names what was agreed: the appealable matters, as the orders "
    "the Tribunal could give, or the other things to be done; a timescale agreed in "
    "writing ends on or after the day of the agreement.")
AGREEMENT_BINDS_PARTIES = rule(
    "mediation-agreement-binds-parties", "CFA 2014 ss.53-54; SEND Regulations 2014, "
    "reg 42(3)-(4)",
    "An agreement binds its parties: mediation about health provision only (the authority "
    "not a party) agrees only health steps, and health steps need health among the "
    "mediation issues.")


class MediationAgreementReached(JourneyEvent):
    """Mediation about a decision ended in a written agreement (starts K27, reg 42).

    ``will`` names the appealable matters agreed, as the orders the Tribunal could have
    given: each opens the same steps as that order, with reg 44's periods from the date
    of the agreement (reg 42(2)). ``other_steps`` names anything else agreed: each is due
    within two weeks, from the authority or, for health, the responsible commissioning
    body (reg 42(3)). ``agreed_by`` is a last day the parties agreed in writing instead
    (reg 42(5)).
    """

    decision_id: str
    will: list[_AgreedOrder] = field(default_factory=list)
    other_steps: list[_OtherStep] = field(default_factory=list)
    agreed_by: date | None = None
    agreement_ref: str | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        mediation = _agreed_mediation(state, self.decision_id, self.occurred_on)
        check(bool(self.will or self.other_steps), AGREEMENT_NAMES_STEPS,
              "name what was agreed: will (appealable matters) or other_steps")
        check(self.agreed_by is None or self.agreed_by >= self.occurred_on,
              AGREEMENT_NAMES_STEPS, f"agreed_by ({self.agreed_by}) is before the agreement "
              f"({self.occurred_on})")
        self._check_parties(mediation)
        mediation.agreement_on = self.occurred_on
        add_order_steps(state, self, list(self.will), source=AGREEMENT,
                        decision_id=self.decision_id, mediation_id=mediation.id,
                        agreed_by=self.agreed_by)
        for index, kind in enumerate(self.other_steps, start=1):
            self._add_step(state, mediation, f"{index}-{kind}", kind, "agreed",
                           OTHER_STEP_BODIES[kind], "K27.other", self.agreed_by)
        if mediation.health_only:
            # The authority was not a party: the commissioning body tells it (reg 42(4));
            # a timescale agreed between the parties does not bind this step (reg 42(5)).
            self._add_step(state, mediation, NOTIFY_STEP, NOTIFY_STEP, "notify",
                           Body.HEALTH, "K27.notify", None)

    def _check_parties(self, mediation: Mediation) -> None:
        health_steps = [k for k in self.other_steps if OTHER_STEP_BODIES[k] is Body.HEALTH]
        if mediation.health_only:
            check(not self.will and len(health_steps) == len(self.other_steps),
                  AGREEMENT_BINDS_PARTIES, "the mediation was about health provision only: "
                  "the authority was not a party, so only health steps can be agreed")
        check(not health_steps or mediation.health_issues, AGREEMENT_BINDS_PARTIES,
              "health was not among the mediation issues: the commissioning body was not "
              "a party")

    def _add_step(self, state: JourneyState, mediation: Mediation, suffix: str, step: str,
                  order: str, body: Body, limit: str, agreed_by: date | None) -> None:
        state.disputes.obligations.append(OrderObligation(
            id=state.mint(AGREEMENT_STEP, self.originator_version, suffix), appeal_id=None,
            order=order,
            step=step, ordered_on=self.occurred_on, weeks=_weeks(limit, self.occurred_on),
            source=AGREEMENT, mediation_id=mediation.id, body=body.value,
            agreed_by=agreed_by))


class MediationAgreementStepCompleted(JourneyEvent):
    """The authority (or the commissioning body) did what a step of a mediation agreement
    required (stops K27 for that step).

    The steps an agreement shares with an order (a notice to assess, a draft or final
    plan, an amended plan) also stop when those events are recorded; this records any
    step done, and the others (reg 42(3)-(4)). ``outcome`` says, for an agreed
    assessment's last step, whether it ended in a final plan or a decision not to issue.
    """

    step_id: str
    outcome: Literal["plan", "no_plan"] | None = None
    action_event_version: int | None = None

    group: ClassVar[str] = "disputes"

    def evolve(self, state: JourneyState) -> None:
        obligation = open_order_step(state, self.step_id, agreed=True)
        complete_order_step(state, obligation, self.occurred_on, self.outcome,
                            self.action_event_version)


def _agreed_mediation(state: JourneyState, decision_id: str, on: date) -> Mediation:
    mediation = state.disputes.mediation_for(decision_id)
    check(mediation is not None and mediation.held_on is not None
          and mediation.outcome in ("agreement", "partial_agreement")
          and mediation.agreement_on is None, AGREEMENT_NEEDS_MEDIATION,
          f"no mediation about {decision_id} was held and ended in agreement, or its "
          "agreement is already recorded")
    assert mediation is not None and mediation.held_on is not None
    check_not_before(on, mediation.held_on, "occurred_on", "held_on")
    return mediation


def _weeks(key: str, on: date) -> int:
    """Return the weeks of limit ``key`` in the rule set in force ``on`` (for the record;
    the K27 clock counts the due date itself)."""
    limit = rule_set_on(on).limit(key)
    assert isinstance(limit, Period) and limit.amount is not None
    return limit.amount


K27 = ClockSpec("K27", "Mediation agreement steps",
                "as reg 44 for appealable matters (2, 5, 10, 11 or 14 weeks, or "
                "immediately); 2 weeks for anything else; the ICB tells the authority in 1 "
                "week; or a timescale agreed in writing (verify)",
                "SEND Regulations 2014, reg 42", Body.LOCAL_AUTHORITY)


def agreed_step_due(obligation: OrderObligation, context: ClockContext) -> date:
    """Return the last day for a step of a mediation agreement (reg 42(2)-(5))."""
    if obligation.agreed_by is not None:
        return obligation.agreed_by
    start = obligation.ordered_on
    if obligation.order == "notify":
        return context.due("K27.notify", start)
    if obligation.order == "agreed":
        return context.due("K27.other", start)
    return context.due("K27", start, order_step_weeks(obligation))


@clock(K27)
def agreement_clock(state: JourneyState, context: ClockContext) -> Iterator[ClockReading]:
    for o in state.disputes.obligations:
        if not o.is_agreed:
            continue
        body = Body(o.body)
        yield reading(K27, context, episode=o.id, started_on=o.ordered_on,
                      due_on=agreed_step_due(o, context), stopped_on=o.complied_on,
                      responsible=body,
                      responsible_name=commissioner(state) if body is Body.HEALTH else None)
