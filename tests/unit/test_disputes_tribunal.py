"""Tribunal decisions and non-opposition: order compliance (K22), recommendations (K23)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.catalogue.disputes import ComplaintReceived, OmbudsmanDecisionReceived
from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.test_disputes_appeals import certified
from tests.unit.test_disputes_mediation import clock, record, refusal, refused_assessment

ORDER_DAY = date(2025, 3, 3)  # a Monday
TODAY_AFTER = date(2025, 12, 1)


def appealed(extended: list[str] | None = None) -> ChildJourney:
    """Return a journey with appeal SE999/24/1 registered against a refusal to assess."""
    journey, decision = refused_assessment(date(2024, 6, 10))
    certified(journey, decision, date(2024, 7, 3))
    record(journey, "AppealRegistered",
           {"decision_id": decision, "tribunal_ref": "SE999/24/1",
            "extended_elements": extended or []}, date(2024, 9, 2))
    return journey


def decided(journey: ChildJourney, orders: list[str], **extra: Any) -> str:
    """Record the Tribunal's decision on ORDER_DAY; return the order prefix of its steps."""
    outcome = "dismissed" if orders == ["dismiss"] else "allowed"
    record(journey, "TribunalDecisionIssued",
           {"tribunal_ref": "SE999/24/1", "outcome": outcome, "orders": orders, **extra},
           ORDER_DAY)
    return f"order-{journey.version}"


@pytest.mark.proves("K22")
def test_an_order_to_assess_gives_two_weeks_to_notify_and_fourteen_to_a_final_plan() -> None:
    # Reg 44(2)(a)-(b): ordered Monday 3 March 2025 -> notify by 17 March, final plan by
    # 9 June 2025.
    journey = appealed()
    order = decided(journey, ["assess"])
    assert not journey.state.disputes.appeal_pending()
    notify = clock(journey, "K22", f"{order}-assess-notify_assessment", date(2025, 3, 4))
    outcome = clock(journey, "K22", f"{order}-assess-outcome", date(2025, 3, 4))
    assert (notify.due_on, outcome.due_on) == (date(2025, 3, 17), date(2025, 6, 9))
    assert notify.responsible is Body.LOCAL_AUTHORITY
    record(journey, "TribunalOrderComplied",
           {"obligation_id": f"{order}-assess-notify_assessment"}, date(2025, 3, 14))
    record(journey, "TribunalOrderComplied",
           {"obligation_id": f"{order}-assess-outcome", "outcome": "plan"}, date(2025, 6, 9))
    assert clock(journey, "K22", f"{order}-assess-notify_assessment", TODAY_AFTER).status is \
        ClockStatus.MET
    assert clock(journey, "K22", f"{order}-assess-outcome", TODAY_AFTER).status is \
        ClockStatus.MET


@pytest.mark.proves("K22")
def test_an_ordered_assessment_ending_without_a_plan_had_ten_weeks() -> None:
    # Reg 44(2)(b): the no-plan decision is due 10 weeks after the order, 12 May 2025.
    journey = appealed()
    order = decided(journey, ["assess"])
    record(journey, "TribunalOrderComplied",
           {"obligation_id": f"{order}-assess-outcome", "outcome": "no_plan"}, date(2025, 6, 2))
    reading = clock(journey, "K22", f"{order}-assess-outcome", TODAY_AFTER)
    assert (reading.due_on, reading.status) == (date(2025, 5, 12), ClockStatus.LATE)


@pytest.mark.parametrize(("orders", "step", "due"), [
    (["reassess"], "reassess-notify_assessment", date(2025, 3, 17)),  # 2 weeks
    (["reassess"], "reassess-outcome", date(2025, 6, 9)),             # 14 weeks
    (["make_plan"], "make_plan-draft_plan", date(2025, 4, 7)),        # 5 weeks
    (["make_plan"], "make_plan-final_plan", date(2025, 5, 19)),       # 11 weeks
    (["amend_b_f"], "amend_b_f-amended_plan", date(2025, 4, 7)),      # 5 weeks
    (["change_i"], "change_i-amended_plan", date(2025, 3, 17)),       # 2 weeks
])
@pytest.mark.proves("K22")
def test_each_order_has_its_regulation_44_period(orders: list[str], step: str,
                                                 due: date) -> None:
    journey = appealed()
    order = decided(journey, orders)
    reading = clock(journey, "K22", f"{order}-{step}", ORDER_DAY)
    assert (reading.started_on, reading.due_on) == (ORDER_DAY, due)
    assert reading.status is ClockStatus.RUNNING


@pytest.mark.proves("K22")
def test_a_dismissed_appeal_against_a_refusal_to_assess_orders_the_la_nothing() -> None:
    journey = appealed()
    decided(journey, ["dismiss"])
    assert journey.state.disputes.appeals[0].outcome == "dismissed"
    assert [r for r in journey.clocks(TODAY_AFTER) if r.clock == "K22"] == []


@pytest.mark.proves("K22")
def test_a_late_order_step_with_a_reg_44_3_ground_is_late_with_the_exception() -> None:
    journey = appealed()
    order = decided(journey, ["change_i"])
    step = f"{order}-change_i-amended_plan"
    record(journey, "TimescaleExceptionClaimed",
           {"clock": "K22", "episode": step, "ground": "absent_from_area_2_weeks",
            "period_from": date(2025, 3, 5), "period_to": date(2025, 3, 21),
            "family_informed": True}, date(2025, 3, 21))
    record(journey, "TribunalOrderComplied", {"obligation_id": step}, date(2025, 3, 24))
    reading = clock(journey, "K22", step, TODAY_AFTER)
    assert reading.status is ClockStatus.LATE_EXCEPTION_APPLIES
    assert reading.due_on == date(2025, 3, 17)


@pytest.mark.proves("K22")
def test_non_opposition_starts_the_regulation_45_clocks_from_the_notice() -> None:
    # Reg 45: the LA tells the Tribunal on Monday 10 February 2025 it will not oppose and
    # will assess -> notify by 24 February, final plan by 19 May 2025.
    journey = appealed()
    record(journey, "AppealNonOppositionNotified", {"tribunal_ref": "SE999/24/1",
                                                    "will": ["assess"]}, date(2025, 2, 10))
    order = f"order-{journey.version}"
    assert journey.state.disputes.appeals[0].outcome == "unopposed"
    assert clock(journey, "K22", f"{order}-assess-notify_assessment",
                 date(2025, 2, 11)).due_on == date(2025, 2, 24)
    assert clock(journey, "K22", f"{order}-assess-outcome",
                 date(2025, 2, 11)).due_on == date(2025, 5, 19)


@pytest.mark.proves("K23")
def test_recommendations_get_a_response_within_five_weeks_from_each_body() -> None:
    # Recommendations Power Regs 2017: decision 3 March 2025 -> responses by 7 April 2025.
    journey = appealed(extended=["G", "H"])
    decided(journey, ["make_plan"], recommendations=["health", "social_care"])
    version = journey.version
    record(journey, "TribunalRecommendationResponded",
           {"recommendation_id": f"recommendation-{version}-1", "body": "health",
            "accepted": True}, date(2025, 4, 1))
    health = clock(journey, "K23", f"recommendation-{version}-1", date(2025, 4, 8))
    care = clock(journey, "K23", f"recommendation-{version}-2", date(2025, 4, 8))
    assert (health.due_on, health.status, health.responsible) == (
        date(2025, 4, 7), ClockStatus.MET, Body.HEALTH)
    assert (care.due_on, care.status, care.responsible) == (
        date(2025, 4, 7), ClockStatus.LATE, Body.SOCIAL_CARE)


@pytest.mark.proves("tribunal-orders-consistent")
def test_a_dismissal_with_another_order_is_refused() -> None:
    journey = appealed()
    assert refusal(journey, "TribunalDecisionIssued",
                   {"tribunal_ref": "SE999/24/1", "outcome": "dismissed",
                    "orders": ["dismiss", "assess"]}, ORDER_DAY) == "tribunal-orders-consistent"


@pytest.mark.proves("tribunal-orders-consistent")
def test_an_allowed_appeal_without_orders_is_refused() -> None:
    journey = appealed()
    assert refusal(journey, "TribunalDecisionIssued",
                   {"tribunal_ref": "SE999/24/1", "outcome": "allowed", "orders": []},
                   ORDER_DAY) == "tribunal-orders-consistent"


@pytest.mark.proves("tribunal-orders-consistent")
def test_non_opposition_that_promises_a_dismissal_is_refused() -> None:
    journey = appealed()
    assert refusal(journey, "AppealNonOppositionNotified",
                   {"tribunal_ref": "SE999/24/1", "will": ["dismiss"]},
                   date(2025, 2, 10)) == "tribunal-orders-consistent"


@pytest.mark.proves("appeal-must-be-open")
def test_a_decision_on_an_appeal_already_decided_is_refused() -> None:
    journey = appealed()
    decided(journey, ["assess"])
    assert refusal(journey, "TribunalDecisionIssued",
                   {"tribunal_ref": "SE999/24/1", "outcome": "allowed", "orders": ["assess"]},
                   date(2025, 3, 4)) == "appeal-must-be-open"


@pytest.mark.proves("recommendation-needs-extended-appeal")
def test_recommendations_in_an_appeal_without_health_or_care_elements_are_refused() -> None:
    journey = appealed()
    assert refusal(journey, "TribunalDecisionIssued",
                   {"tribunal_ref": "SE999/24/1", "outcome": "allowed", "orders": ["assess"],
                    "recommendations": ["health"]}, ORDER_DAY) == \
        "recommendation-needs-extended-appeal"


@pytest.mark.proves("order-compliance-needs-open-order")
def test_complying_with_an_order_step_twice_is_refused() -> None:
    journey = appealed()
    order = decided(journey, ["change_i"])
    step = f"{order}-change_i-amended_plan"
    record(journey, "TribunalOrderComplied", {"obligation_id": step}, date(2025, 3, 10))
    assert refusal(journey, "TribunalOrderComplied", {"obligation_id": step},
                   date(2025, 3, 11)) == "order-compliance-needs-open-order"


@pytest.mark.proves("recommendation-response-needs-recommendation")
def test_a_response_by_the_wrong_body_is_refused() -> None:
    journey = appealed(extended=["G"])
    decided(journey, ["make_plan"], recommendations=["health"])
    assert refusal(journey, "TribunalRecommendationResponded",
                   {"recommendation_id": f"recommendation-{journey.version}-1",
                    "body": "social_care", "accepted": True}, date(2025, 3, 20)) == \
        "recommendation-response-needs-recommendation"


@pytest.mark.proves("recommendation-decline-needs-reasons")
def test_declining_a_recommendation_without_reasons_is_refused() -> None:
    journey = appealed(extended=["G"])
    decided(journey, ["make_plan"], recommendations=["health"])
    assert refusal(journey, "TribunalRecommendationResponded",
                   {"recommendation_id": f"recommendation-{journey.version}-1",
                    "body": "health", "accepted": False, "reasons": " "},
                   date(2025, 3, 20)) == "recommendation-decline-needs-reasons"


def test_complaints_and_ombudsman_decisions_are_kept_and_allowed_after_closure() -> None:
    journey = appealed()
    record(journey, "ComplaintReceived", {"complaint_ref": "C-1", "body": "local_authority",
                                          "subject": "delay"}, date(2024, 10, 1))
    record(journey, "OmbudsmanDecisionReceived",
           {"ombudsman": "LGSCO", "finding": "fault_causing_injustice",
            "ombudsman_ref": "24 001 234", "remedy": "apology and payment",
            "complaint_ref": "C-1"}, date(2025, 5, 1))
    kinds = [c.kind for c in journey.state.disputes.complaints]
    assert kinds == ["complaint", "ombudsman_decision"]
    assert ComplaintReceived.allowed_when_closed and OmbudsmanDecisionReceived.allowed_when_closed
