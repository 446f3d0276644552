"""Personal budgets and direct payments: when a budget may be asked for, K24 reviews."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.support import recorder

LA = Actor("caseworker-1", "sen_officer", "LA-999")
TODAY = date(2026, 6, 30)
CONDITIONS = ["secures_agreed_provision", "no_adverse_impact_on_other_services",
              "value_for_money"]
ALL_ADVICE_REPLACED = [
    {"advice_type": head, "reason": "synthetic", "independent_advice_ref": f"IND-{head}"}
    for head in ("Parent", "Educational", "Medical", "Psychological", "SocialCare")]


def registered() -> ChildJourney:
    return ChildJourney.register(authority="LA-999", date_of_birth=date(2015, 3, 3), actor=LA,
                                 occurred_on=date(2023, 9, 1), today=TODAY)


record, refusal = recorder(LA, TODAY)


def drafting() -> ChildJourney:
    """Return a journey whose LA decided to issue a plan (a draft is in preparation)."""
    journey = registered()
    record(journey, "EHCNeedsAssessmentRequested",
           {"requester_role": "Parent", "request_source": "1"}, date(2024, 1, 8))
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "may need a plan"}, date(2024, 2, 12))
    record(journey, "DecisionToIssuePlanMade",
           {"necessity_reasons": "plan necessary", "advice_unobtainable": ALL_ADVICE_REPLACED},
           date(2024, 4, 1))
    return journey


def under_review() -> ChildJourney:
    """Return a journey holding a transferred-in plan with an annual review scheduled."""
    journey = registered()
    record(journey, "PlanTransferredIn", {"old_la": "LA-888", "original_made_on":
                                          date(2023, 11, 1)}, date(2024, 1, 15))
    record(journey, "AnnualReviewScheduled", {"due_by": date(2024, 10, 31),
                                              "review_type": "annual",
                                              "organiser": "setting"}, date(2024, 9, 2))
    return journey


def with_budget(journey: ChildJourney, on: date) -> ChildJourney:
    record(journey, "PersonalBudgetRequested",
           {"elements": ["education"], "direct_payment_requested": True}, on)
    record(journey, "PersonalBudgetDetermined",
           {"amount_pence": 250_000, "elements": ["education"], "arrangement": "direct_payment"},
           on)
    return journey


def agreed(journey: ChildJourney, on: date, **extra: Any) -> str:
    record(journey, "DirectPaymentAgreed",
           {"recipient": "parent", "amount_pence": 250_000,
            "agreed_provision": ["specialist tutoring 2 hours a week"],
            "conditions_met": CONDITIONS, **extra}, on)
    return f"direct-payment-{journey.version}"


def k24(journey: ChildJourney, episode: str, today: date) -> ClockReading:
    [found] = [r for r in journey.clocks(today) if r.clock == "K24" and r.episode == episode]
    return found


@pytest.mark.proves("personal-budget-request-timing")
def test_a_budget_may_be_asked_for_while_the_draft_plan_is_prepared() -> None:
    journey = drafting()
    record(journey, "PersonalBudgetRequested", {"elements": ["education", "social_care"]},
           date(2024, 4, 8))
    assert journey.state.budgets.requests[0].during == "draft"


@pytest.mark.proves("personal-budget-request-timing")
def test_a_budget_may_be_asked_for_while_the_plan_is_being_reviewed() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested", {"elements": ["education"]}, date(2024, 9, 10))
    assert journey.state.budgets.requests[0].during == "review"


@pytest.mark.proves("personal-budget-request-timing")
def test_a_budget_asked_for_with_no_draft_review_or_reassessment_is_refused() -> None:
    journey = registered()
    assert refusal(journey, "PersonalBudgetRequested", {"elements": ["education"]},
                   date(2024, 1, 8)) == "personal-budget-request-timing"


@pytest.mark.proves("personal-budget-request-timing")
def test_a_plan_in_force_between_reviews_is_no_time_to_ask() -> None:
    journey = registered()
    record(journey, "PlanTransferredIn", {"old_la": "LA-888", "original_made_on":
                                          date(2023, 11, 1)}, date(2024, 1, 15))
    assert refusal(journey, "PersonalBudgetRequested", {"elements": ["education"]},
                   date(2024, 3, 1)) == "personal-budget-request-timing"


@pytest.mark.proves("personal-budget-needs-request")
def test_determining_a_budget_nobody_asked_for_is_refused() -> None:
    journey = under_review()
    assert refusal(journey, "PersonalBudgetDetermined",
                   {"amount_pence": 1000, "elements": ["education"], "arrangement": "notional"},
                   date(2024, 9, 10)) == "personal-budget-needs-request"


@pytest.mark.proves("personal-budget-needs-request")
def test_refusing_direct_payments_nobody_asked_for_is_refused() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested", {"elements": ["education"]}, date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentRefused",
                   {"reasons": "not asked", "review_right_explained": True},
                   date(2024, 9, 20)) == "personal-budget-needs-request"


@pytest.mark.proves("disaggregation-refusal-needs-reasons")
def test_leaving_block_contract_provision_out_without_reasons_is_refused() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested", {"elements": ["health"]}, date(2024, 9, 10))
    assert refusal(journey, "PersonalBudgetDetermined",
                   {"amount_pence": 0, "elements": ["health"], "arrangement": "notional",
                    "disaggregation_refused": True}, date(2024, 9, 20)) == \
        "disaggregation-refusal-needs-reasons"


@pytest.mark.proves("K24")
def test_a_direct_payment_is_first_reviewed_within_three_months() -> None:
    # PB Regs reg 11: agreed 15 October 2024 -> first review by 15 January 2025.
    journey = with_budget(under_review(), date(2024, 9, 10))
    payment = agreed(journey, date(2024, 10, 15))
    reading = k24(journey, payment, date(2024, 12, 1))
    assert (reading.due_on, reading.status) == (date(2025, 1, 15), ClockStatus.RUNNING)
    assert reading.responsible is Body.LOCAL_AUTHORITY
    record(journey, "DirectPaymentReviewed", {"outcome": "continue"}, date(2025, 1, 14))
    assert k24(journey, payment, date(2025, 2, 1)).status is ClockStatus.MET


@pytest.mark.proves("K24")
def test_a_first_review_after_three_months_is_late() -> None:
    # Agreed 30 November 2024 -> due 28 February 2025 (the end of the shorter month).
    journey = with_budget(under_review(), date(2024, 9, 10))
    payment = agreed(journey, date(2024, 11, 30))
    assert k24(journey, payment, date(2025, 1, 1)).due_on == date(2025, 2, 28)
    record(journey, "DirectPaymentReviewed", {"outcome": "change"}, date(2025, 3, 3))
    assert k24(journey, payment, date(2025, 3, 4)).status is ClockStatus.LATE


@pytest.mark.proves("K24")
def test_stopping_before_the_first_review_was_due_leaves_nothing_to_review() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    payment = agreed(journey, date(2024, 10, 15))
    record(journey, "DirectPaymentStopped",
           {"reasons": "provider closed", "notice_given_on": date(2024, 11, 1)},
           date(2024, 12, 1))
    assert k24(journey, payment, date(2025, 3, 1)).status is ClockStatus.NOT_APPLICABLE


@pytest.mark.proves("K24")
def test_a_new_agreement_after_a_stop_starts_a_new_three_months() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    agreed(journey, date(2024, 10, 15))
    record(journey, "DirectPaymentStopped",
           {"reasons": "provider closed", "notice_given_on": date(2024, 11, 1)},
           date(2024, 12, 1))
    second = agreed(journey, date(2025, 1, 6))
    assert k24(journey, second, date(2025, 1, 7)).due_on == date(2025, 4, 6)


@pytest.mark.proves("direct-payment-needs-budget")
def test_a_direct_payment_without_a_determined_budget_is_refused() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested", {"elements": ["education"]}, date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentAgreed",
                   {"recipient": "parent", "amount_pence": 1000, "agreed_provision": ["x"],
                    "conditions_met": CONDITIONS}, date(2024, 9, 20)) == \
        "direct-payment-needs-budget"


@pytest.mark.proves("direct-payment-conditions")
def test_a_direct_payment_without_the_reg_6_conditions_is_refused() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentAgreed",
                   {"recipient": "parent", "amount_pence": 1000, "agreed_provision": ["x"],
                    "conditions_met": CONDITIONS[:2]}, date(2024, 9, 20)) == \
        "direct-payment-conditions"


@pytest.mark.proves("direct-payment-on-site-consent")
def test_on_site_provision_without_the_heads_consent_is_refused() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentAgreed",
                   {"recipient": "parent", "amount_pence": 1000, "agreed_provision": ["x"],
                    "conditions_met": CONDITIONS, "on_site": True}, date(2024, 9, 20)) == \
        "direct-payment-on-site-consent"
    agreed(journey, date(2024, 9, 20), on_site=True, head_or_principal_consent=True)
    assert journey.state.budgets.running_payment is not None


@pytest.mark.proves("direct-payment-already-running")
def test_a_second_direct_payment_while_one_runs_is_refused() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    agreed(journey, date(2024, 9, 20))
    assert refusal(journey, "DirectPaymentAgreed",
                   {"recipient": "parent", "amount_pence": 1000, "agreed_provision": ["x"],
                    "conditions_met": CONDITIONS}, date(2024, 9, 21)) == \
        "direct-payment-already-running"


@pytest.mark.proves("direct-payment-refusal-reasons")
def test_a_refusal_without_reasons_is_refused() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested",
           {"elements": ["education"], "direct_payment_requested": True}, date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentRefused",
                   {"reasons": "", "review_right_explained": True}, date(2024, 9, 20)) == \
        "direct-payment-refusal-reasons"


@pytest.mark.proves("direct-payment-reconsideration-needs-refusal")
def test_a_refusal_is_reconsidered_once_and_only_after_a_refusal() -> None:
    journey = under_review()
    record(journey, "PersonalBudgetRequested",
           {"elements": ["education"], "direct_payment_requested": True}, date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentReconsidered", {"outcome": "agreed"},
                   date(2024, 9, 15)) == "direct-payment-reconsideration-needs-refusal"
    record(journey, "DirectPaymentRefused",
           {"reasons": "adverse impact on other pupils", "review_right_explained": True},
           date(2024, 9, 20))
    record(journey, "DirectPaymentReconsidered", {"outcome": "refusal_upheld"},
           date(2024, 10, 1))
    assert journey.state.budgets.refusals[0].outcome == "refusal_upheld"
    assert refusal(journey, "DirectPaymentReconsidered", {"outcome": "agreed"},
                   date(2024, 10, 2)) == "direct-payment-reconsideration-needs-refusal"


@pytest.mark.proves("direct-payment-must-be-running")
def test_reviewing_changing_or_stopping_with_no_running_payment_is_refused() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    assert refusal(journey, "DirectPaymentReviewed", {"outcome": "continue"},
                   date(2024, 9, 20)) == "direct-payment-must-be-running"
    assert refusal(journey, "DirectPaymentChanged",
                   {"reasons": "r", "notice_given_on": date(2024, 9, 20)},
                   date(2024, 9, 20)) == "direct-payment-must-be-running"
    assert refusal(journey, "DirectPaymentStopped",
                   {"reasons": "r", "notice_given_on": date(2024, 9, 20)},
                   date(2024, 9, 20)) == "direct-payment-must-be-running"


@pytest.mark.proves("direct-payment-change-needs-notice")
def test_changing_or_stopping_without_notice_and_reasons_is_refused() -> None:
    journey = with_budget(under_review(), date(2024, 9, 10))
    agreed(journey, date(2024, 9, 20))
    assert refusal(journey, "DirectPaymentChanged",
                   {"reasons": "lower hourly rate", "notice_given_on": None,
                    "amount_pence": 200_000}, date(2024, 11, 1)) == \
        "direct-payment-change-needs-notice"
    assert refusal(journey, "DirectPaymentStopped",
                   {"reasons": " ", "notice_given_on": date(2024, 11, 1)},
                   date(2024, 11, 1)) == "direct-payment-change-needs-notice"
    record(journey, "DirectPaymentChanged",
           {"reasons": "lower hourly rate", "notice_given_on": date(2024, 10, 15),
            "amount_pence": 200_000}, date(2024, 11, 1))
    assert journey.state.budgets.running_payment is not None
    assert journey.state.budgets.running_payment.amount_pence == 200_000
