"""Tribunal orders carried out: every order opens the steps the LA must now take, recorded
through the same events as any other step, timed by K22, and the journey goes on."""

from __future__ import annotations

from datetime import date

import pytest

from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from tests.unit.test_disputes_appeals import certified
from tests.unit.test_disputes_mediation import NOTICE, clock, record, refusal, refused_assessment
from tests.unit.test_plan_advice import ADVICE, advised
from tests.unit.test_plan_drafting import DRAFT, FINAL, RECIPIENTS, drafted, finalise

ORDER_DAY = date(2025, 3, 3)  # a Monday
LATER = date(2026, 6, 30)


def refusal_appealed() -> tuple[ChildJourney, str]:
    """A refusal to assess notified 10 June 2024, certified 3 July, appealed 2 September."""
    journey, decision = refused_assessment(date(2024, 6, 10))
    certified(journey, decision, date(2024, 7, 3))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/7",
                                         "appellant": "parent"}, date(2024, 9, 2))
    return journey, decision


def ordered_to_assess() -> tuple[ChildJourney, str]:
    """The Tribunal ordered the LA to assess on ORDER_DAY; return the order's prefix."""
    journey, _ = refusal_appealed()
    record(journey, "TribunalDecisionIssued", {"tribunal_ref": "SE999/24/7",
                                               "outcome": "allowed", "orders": ["assess"]},
           ORDER_DAY)
    return journey, f"order-{journey.version}"


def assess_and_advise(journey: ChildJourney) -> None:
    """Notify the decision to assess on Friday 14 March 2025 and gather every advice."""
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "as the Tribunal ordered"},
           date(2025, 3, 14))
    for advice_type, extra in ADVICE.items():
        record(journey, "AdviceRequested", {"advice_type": advice_type,
                                            "received_by_adviser_on": date(2025, 3, 18),
                                            **extra}, date(2025, 3, 17))
        record(journey, "AdviceReceived", {"advice_request_id": journey.state.plan.advice[-1].id,
                                           "author": "adviser", "document_ref": "doc-1"},
               date(2025, 4, 22))


@pytest.mark.proves("K22")
def test_an_order_to_assess_is_carried_out_to_a_plan_with_its_review_clock() -> None:
    # Reg 44(2)(b)-(c): ordered Monday 3 March 2025. Notice that the LA will assess due
    # 3 March + 2 weeks = 17 March (given 14 March); the final plan due 3 March + 14 weeks
    # = 9 June 2025 (issued 2 June). The draft served 1 May gives the family 15 days
    # beginning with 1 May, to 15 May (reg 13(1)).
    journey, order = ordered_to_assess()
    assert journey.state.assessment.open_request is not None
    assert journey.state.stage == "tribunal_order"  # no longer "assessment_refused"
    assess_and_advise(journey)
    record(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "ordered"},
           date(2025, 4, 28))
    record(journey, "DraftPlanIssued", {"sections": DRAFT}, date(2025, 5, 1))
    finalise(journey, date(2025, 6, 2))

    state = journey.state
    assert state.stage == "plan_issued"
    assert state.plan.is_active and state.plan.current is not None
    assert (state.plan.current.source, state.plan.made_on) == ("tribunal", date(2025, 6, 2))
    notify = clock(journey, "K22", f"{order}-assess-notify_assessment", LATER)
    outcome = clock(journey, "K22", f"{order}-assess-outcome", LATER)
    assert (notify.due_on, notify.stopped_on, notify.status) == (
        date(2025, 3, 17), date(2025, 3, 14), ClockStatus.MET)
    assert (outcome.due_on, outcome.stopped_on, outcome.status) == (
        date(2025, 6, 9), date(2025, 6, 2), ClockStatus.MET)
    # The plan is reviewed in the 12 months starting with the day it was made (s.44(1)):
    # made 2 June 2025, the period's last day is 1 June 2026.
    [review] = [r for r in journey.clocks(date(2025, 6, 3)) if r.clock == "K7"]
    assert review.due_on == date(2026, 6, 1)
    # The ordered assessment is no new request: K1, K3 and K4 time only the one received.
    for clock_id in ("K1", "K3", "K4"):
        assert len([r for r in journey.clocks(LATER) if r.clock == clock_id]) == 1
    assert len(state.assessment.requests) == 1


@pytest.mark.proves("K22")
def test_the_plan_made_under_the_order_can_itself_be_disputed() -> None:
    journey, _ = ordered_to_assess()
    assess_and_advise(journey)
    record(journey, "DecisionToIssuePlanMade", {"necessity_reasons": "ordered"},
           date(2025, 4, 28))
    record(journey, "DraftPlanIssued", {"sections": DRAFT}, date(2025, 5, 1))
    finalise(journey, date(2025, 6, 2))
    content = journey.state.appealable_decisions[-1]
    assert (content.kind, content.notified_on) == ("plan_content", date(2025, 6, 2))
    record(journey, "MediationAdviserContacted", {"decision_id": content.id}, date(2025, 6, 20))
    assert journey.state.disputes.mediation_for(content.id) is not None


@pytest.mark.proves("K22")
def test_an_ordered_assessment_ending_without_a_plan_stops_the_ten_week_step() -> None:
    # Reg 44(2)(b): no plan after an ordered assessment is notified within 10 weeks:
    # 3 March + 70 days = 12 May 2025; notified 9 May is on time, and appealable again.
    journey, order = ordered_to_assess()
    assess_and_advise(journey)
    record(journey, "DecisionNotToIssuePlanMade",
           {"reasons": "needs can be met at SEN support", "notice_includes": NOTICE},
           date(2025, 5, 9))
    outcome = clock(journey, "K22", f"{order}-assess-outcome", LATER)
    assert (outcome.due_on, outcome.stopped_on, outcome.status) == (
        date(2025, 5, 12), date(2025, 5, 9), ClockStatus.MET)
    assert journey.state.appealable_decisions[-1].kind == "refuse_plan"
    assert journey.state.assessment.open_request is None


@pytest.mark.proves("ordered-assessment-not-refusable")
def test_the_la_cannot_refuse_again_to_assess_what_the_tribunal_ordered() -> None:
    journey, _ = ordered_to_assess()
    assert refusal(journey, "DecisionNotToAssessMade",
                   {"reasons": "still not needed", "notice_includes": NOTICE},
                   date(2025, 3, 10)) == "ordered-assessment-not-refusable"


@pytest.mark.proves("K22")
def test_a_late_notice_under_the_order_is_late_against_the_orders_date() -> None:
    # Ordered 3 March 2025: notifying on 18 March, a day after 17 March, is late.
    journey, order = ordered_to_assess()
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "ordered"}, date(2025, 3, 18))
    assert clock(journey, "K22", f"{order}-assess-notify_assessment", LATER).status is \
        ClockStatus.LATE


@pytest.mark.proves("K22")
def test_a_concession_to_assess_opens_the_same_steps_from_its_own_day() -> None:
    # Conceded Monday 13 January 2025: notice due 27 January, the plan by 21 April 2025.
    journey, _ = refusal_appealed()
    record(journey, "AppealConceded", {"tribunal_ref": "SE999/24/7", "terms": "TERMS-1",
                                       "will": ["assess"]}, date(2025, 1, 13))
    order = f"order-{journey.version}"
    assert journey.state.disputes.appeals[0].outcome == "conceded"
    record(journey, "DecisionToAssessMade", {"assessment_test_met": True,
                                             "reasons": "conceded"}, date(2025, 1, 20))
    notify = clock(journey, "K22", f"{order}-assess-notify_assessment", LATER)
    outcome = clock(journey, "K22", f"{order}-assess-outcome", date(2025, 2, 1))
    assert (notify.due_on, notify.status) == (date(2025, 1, 27), ClockStatus.MET)
    assert (outcome.due_on, outcome.status) == (date(2025, 4, 21), ClockStatus.RUNNING)


def refused_plan_ordered() -> tuple[ChildJourney, str]:
    """A refusal to issue a plan (25 March 2024) overturned by an order on 2 Sept 2024."""
    journey = advised()
    record(journey, "DecisionNotToIssuePlanMade",
           {"reasons": "needs can be met", "notice_includes": NOTICE}, date(2024, 3, 25))
    decision = journey.state.appealable_decisions[-1].id
    certified(journey, decision, date(2024, 4, 2))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE901/24/8"},
           date(2024, 5, 1))
    record(journey, "TribunalDecisionIssued", {"tribunal_ref": "SE901/24/8",
                                               "outcome": "allowed", "orders": ["make_plan"]},
           date(2024, 9, 2))
    return journey, f"order-{journey.version}"


@pytest.mark.proves("K22")
def test_an_order_to_make_a_plan_is_carried_out_by_a_draft_and_a_final_plan() -> None:
    # Reg 44(2)(c): ordered Monday 2 September 2024: draft within 5 weeks (7 October),
    # final within 11 weeks (18 November 2024). Draft 30 September; the family's 15 days
    # beginning with it end 14 October; final 4 November.
    journey, order = refused_plan_ordered()
    assert refusal(journey, "DecisionNotToIssuePlanMade",
                   {"reasons": "again", "notice_includes": NOTICE},
                   date(2024, 9, 9)) == "issue-decision-needs-assessment"
    record(journey, "DraftPlanIssued", {"sections": DRAFT}, date(2024, 9, 30))
    finalise(journey, date(2024, 11, 4))
    draft = clock(journey, "K22", f"{order}-make_plan-draft_plan", LATER)
    final = clock(journey, "K22", f"{order}-make_plan-final_plan", LATER)
    assert (draft.due_on, draft.stopped_on, draft.status) == (
        date(2024, 10, 7), date(2024, 9, 30), ClockStatus.MET)
    assert (final.due_on, final.stopped_on, final.status) == (
        date(2024, 11, 18), date(2024, 11, 4), ClockStatus.MET)
    assert journey.state.stage == "plan_issued"
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.source == "tribunal"


def plan_content_appealed(orders: list[str]) -> tuple[ChildJourney, str]:
    """A final plan (17 April 2024) appealed for B/F and I; ordered on 2 September 2024."""
    journey = drafted()
    finalise(journey, date(2024, 4, 17))
    decision = journey.state.appealable_decisions[-1].id
    certified(journey, decision, date(2024, 5, 1))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE901/24/9",
                                         "sections_challenged": ["B", "F", "I"]},
           date(2024, 6, 3))
    record(journey, "TribunalDecisionIssued", {"tribunal_ref": "SE901/24/9",
                                               "outcome": "allowed", "orders": orders},
           date(2024, 9, 2))
    return journey, f"order-{journey.version}"


@pytest.mark.proves("K22")
def test_an_order_to_amend_b_and_f_is_carried_out_by_the_amended_plan_without_a_notice() -> None:
    # Reg 44(2)(d): 5 weeks from 2 September 2024 = 7 October; issued 30 September.
    journey, order = plan_content_appealed(["amend_b_f"])
    record(journey, "AmendedPlanFinalised",
           {"sections_changed": ["B", "F"], "notice_includes": NOTICE,
            "sections": {"F": FINAL["F"][:1]}, "recipients": RECIPIENTS}, date(2024, 9, 30))
    reading = clock(journey, "K22", f"{order}-amend_b_f-amended_plan", LATER)
    assert (reading.due_on, reading.stopped_on, reading.status) == (
        date(2024, 10, 7), date(2024, 9, 30), ClockStatus.MET)
    versions = journey.state.plan.versions
    assert [v.source for v in versions] == ["final", "tribunal"]
    assert versions[-1].made_on == date(2024, 4, 17)  # still the plan first made
    assert journey.state.appealable_decisions[-1].kind == "amended_plan"


@pytest.mark.proves("K22")
def test_an_order_to_name_a_school_is_carried_out_within_two_weeks() -> None:
    # Reg 44(2)(e): 2 weeks from 2 September 2024 = 16 September; issued 17th is late.
    journey, order = plan_content_appealed(["change_i"])
    record(journey, "AmendedPlanFinalised",
           {"sections_changed": ["I"], "notice_includes": NOTICE, "named_setting": "urn-100777",
            "setting_type": "MAINSTREAM_LA"}, date(2024, 9, 17))
    reading = clock(journey, "K22", f"{order}-change_i-amended_plan", LATER)
    assert (reading.due_on, reading.status) == (date(2024, 9, 16), ClockStatus.LATE)
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.named_setting == "urn-100777"


@pytest.mark.proves("ordered-amendment-content")
def test_an_amended_plan_under_an_order_changes_what_the_order_named() -> None:
    journey, _ = plan_content_appealed(["change_i"])
    assert refusal(journey, "AmendedPlanFinalised",
                   {"sections_changed": ["F"], "notice_includes": NOTICE},
                   date(2024, 9, 10)) == "ordered-amendment-content"
    journey, _ = plan_content_appealed(["amend_b_f"])
    assert refusal(journey, "AmendedPlanFinalised",
                   {"sections_changed": ["I"], "notice_includes": NOTICE,
                    "named_setting": "urn-100777"},
                   date(2024, 9, 10)) == "ordered-amendment-content"


def cease_appealed() -> tuple[ChildJourney, str]:
    """A decision to cease notified 3 February 2025, appealed 20 March 2025."""
    from tests.unit.test_movement_refusals import cease_decided

    journey = cease_decided()
    decision = journey.state.appealable_decisions[-1].id
    certified(journey, decision, date(2025, 2, 12))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE900/25/1"},
           date(2025, 3, 20))
    return journey, decision


@pytest.mark.proves("cease-decision-overturned")
def test_an_order_to_continue_to_maintain_keeps_the_plan_and_its_reviews() -> None:
    # Reg 44(2)(f): the plan is maintained from the order (1 September 2025) on; the
    # overturned decision can no longer cease it, and the plan is reviewed as before.
    journey, _ = cease_appealed()
    record(journey, "TribunalDecisionIssued", {"tribunal_ref": "SE900/25/1",
                                               "outcome": "allowed",
                                               "orders": ["continue_to_maintain"]},
           date(2025, 9, 1))
    order = f"order-{journey.version}"
    assert journey.state.stage == "plan_maintained"
    maintain = clock(journey, "K22", f"{order}-continue_to_maintain-maintain", LATER)
    assert (maintain.due_on, maintain.stopped_on, maintain.status) == (
        date(2025, 9, 1), date(2025, 9, 1), ClockStatus.MET)
    assert refusal(journey, "PlanCeased", {"cease_reason": "2"}, date(2025, 9, 8)) == \
        "cease-decision-overturned"
    assert journey.state.plan.is_active
    record(journey, "AnnualReviewScheduled", {"due_by": date(2026, 3, 1),
                                              "review_type": "annual",
                                              "organiser": "local_authority"},
           date(2025, 10, 1))


@pytest.mark.proves("K22")
def test_a_dismissed_appeal_against_ceasing_is_complied_with_by_ceasing() -> None:
    # Reg 44(2)(a): dismissed 1 September 2025, the plan ceases that day: met.
    journey, _ = cease_appealed()
    record(journey, "TribunalDecisionIssued", {"tribunal_ref": "SE900/25/1",
                                               "outcome": "dismissed", "orders": ["dismiss"]},
           date(2025, 9, 1))
    order = f"order-{journey.version}"
    record(journey, "PlanCeased", {"cease_reason": "2"}, date(2025, 9, 1))
    reading = clock(journey, "K22", f"{order}-dismiss-cease", LATER)
    assert (reading.due_on, reading.stopped_on, reading.status) == (
        date(2025, 9, 1), date(2025, 9, 1), ClockStatus.MET)
