"""Every rule of LA transfers, commissioner changes and ceasing refuses, and a refused
command leaves the journey's version unchanged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.journey import ChildJourney

# The same journeys and helpers as the review rules: one LA, one day, a plan in force.
from tests.unit.test_reviews_refusals import (
    NOTICE,
    journey_with_plan,
    record,
    refused,
    registered,
)


def proposal(**overrides: Any) -> dict[str, Any]:
    return dict(ground="no_longer_necessary", family_informed_on=date(2025, 1, 6),
                family_consulted=True, head_consulted=True) | overrides


def decision(**overrides: Any) -> dict[str, Any]:
    return dict(ground="no_longer_necessary", reasons="outcomes met",
                recipients=["family", "institution", "icb"], notice_includes=NOTICE) | overrides


def cease_decided(born: date = date(2007, 3, 1)) -> ChildJourney:
    journey = journey_with_plan(born)
    record(journey, "CeasingProposed", date(2025, 1, 6), **proposal())
    record(journey, "CeaseDecisionIssued", date(2025, 2, 3), **decision())
    return journey


@pytest.mark.proves("move-needs-active-plan")
def test_move_needs_a_plan_and_one_move_at_a_time() -> None:
    refused(registered(), "move-needs-active-plan", "MoveNotified", date(2023, 2, 10),
            move_on=date(2023, 4, 1), new_la="LA-300")
    journey = journey_with_plan()
    record(journey, "MoveNotified", date(2025, 3, 3), move_on=date(2025, 5, 6), new_la="LA-300")
    refused(journey, "move-needs-active-plan", "MoveNotified", date(2025, 3, 4),
            move_on=date(2025, 5, 7), new_la="LA-301")


@pytest.mark.proves("transfer-out-needs-move-notified")
def test_transfer_out_needs_a_notified_move() -> None:
    refused(journey_with_plan(), "transfer-out-needs-move-notified", "PlanTransferredOut",
            date(2025, 5, 6), new_la="LA-300")


@pytest.mark.proves("transfer-in-needs-journey-without-plan")
def test_plan_cannot_be_transferred_into_a_journey_that_holds_one() -> None:
    refused(journey_with_plan(), "transfer-in-needs-journey-without-plan", "PlanTransferredIn",
            date(2023, 4, 1), old_la="LA-200", original_made_on=date(2021, 1, 4))


@pytest.mark.proves("transfer-notice-needs-transfer-in")
def test_transfer_notice_needs_a_plan_transferred_in_and_is_given_once() -> None:
    refused(registered(), "transfer-notice-needs-transfer-in", "TransferNoticeIssued",
            date(2023, 3, 1), will_assess=False)
    journey = journey_with_plan()
    record(journey, "TransferNoticeIssued", date(2023, 4, 1), will_assess=False)
    refused(journey, "transfer-notice-needs-transfer-in", "TransferNoticeIssued",
            date(2023, 4, 2), will_assess=True)


@pytest.mark.proves("commissioning-change-needs-plan")
def test_commissioning_change_needs_a_plan_and_two_different_bodies() -> None:
    refused(registered(), "commissioning-change-needs-plan",
            "ResponsibleCommissioningBodyChanged", date(2023, 2, 10), old_body="ICB-A",
            new_body="ICB-B")
    refused(journey_with_plan(), "commissioning-change-needs-plan",
            "ResponsibleCommissioningBodyChanged", date(2024, 2, 10), old_body="ICB-A",
            new_body="icb-a")


@pytest.mark.proves("ceasing-needs-active-plan")
def test_ceasing_needs_a_plan_and_one_proposal_at_a_time() -> None:
    refused(registered(), "ceasing-needs-active-plan", "CeasingProposed", date(2023, 2, 10),
            **proposal(family_informed_on=date(2023, 2, 10)))
    journey = journey_with_plan()
    record(journey, "CeasingProposed", date(2025, 1, 6), **proposal())
    refused(journey, "ceasing-needs-active-plan", "CeasingProposed", date(2025, 1, 7),
            **proposal(family_informed_on=date(2025, 1, 7)))


@pytest.mark.proves("cease-ground")
def test_no_longer_responsible_names_why_and_no_longer_necessary_does_not() -> None:
    journey = journey_with_plan()
    refused(journey, "cease-ground", "CeasingProposed", date(2025, 1, 6),
            **proposal(ground="no_longer_responsible"))
    refused(journey, "cease-ground", "CeasingProposed", date(2025, 1, 6),
            **proposal(responsibility_reason="moved_outside_england"))
    record(journey, "CeasingProposed", date(2025, 1, 6),
           **proposal(ground="no_longer_responsible",
                      responsibility_reason="moved_outside_england"))


@pytest.mark.proves("cease-under-18-not-in-education")
def test_child_under_18_out_of_education_keeps_the_plan() -> None:
    """Reg 29: a 10-year-old not in education is reviewed, not ceased."""
    refused(journey_with_plan(), "cease-under-18-not-in-education", "CeasingProposed",
            date(2025, 1, 6), **proposal(ground="no_longer_responsible",
                                         responsibility_reason="left_education"))


@pytest.mark.proves("cease-18-left-education-needs-review")
def test_young_person_18_who_left_education_needs_a_review_of_their_wishes() -> None:
    """Reg 30: born 1 March 2006, 18 on 6 January 2025."""
    journey = journey_with_plan(born=date(2006, 3, 1))
    left = dict(ground="no_longer_responsible", responsibility_reason="left_education")
    refused(journey, "cease-18-left-education-needs-review", "CeasingProposed",
            date(2025, 1, 6), **proposal(**left))
    record(journey, "AnnualReviewScheduled", date(2024, 11, 1), due_by=date(2024, 12, 31),
           review_type="early", organiser="local_authority")
    record(journey, "ReviewMeetingHeld", date(2024, 12, 2), attendees=["young person"],
           pfa_discussed=True)
    review_id = journey.state.reviews.reviews[0].id
    refused(journey, "cease-18-left-education-needs-review", "CeasingProposed",
            date(2025, 1, 6), **proposal(review_id=review_id, **left))
    record(journey, "CeasingProposed", date(2025, 1, 6),
           **proposal(review_id=review_id, wishes_established=True, **left))
    assert journey.state.movement.cease_proposals[0].ground == "no_longer_responsible"


@pytest.mark.proves("cease-19-outcomes-considered")
def test_young_person_19_needs_outcomes_considered() -> None:
    """CFA 2014 s.45(3): born 1 March 2005, 19 on 6 January 2025."""
    journey = journey_with_plan(born=date(2005, 3, 1))
    refused(journey, "cease-19-outcomes-considered", "CeasingProposed", date(2025, 1, 6),
            **proposal())
    record(journey, "CeasingProposed", date(2025, 1, 6), **proposal(outcomes_considered=True))


@pytest.mark.proves("cease-not-for-transfer")
def test_moving_to_another_la_is_a_transfer_not_ceasing() -> None:
    journey = journey_with_plan()
    refused(journey, "cease-not-for-transfer", "CeasingProposed", date(2025, 1, 6),
            **proposal(ground="no_longer_responsible",
                       responsibility_reason="moved_to_another_la"))
    decided = cease_decided()
    refused(decided, "cease-not-for-transfer", "PlanCeased", date(2025, 6, 2), cease_reason="5")


@pytest.mark.proves("code-not-in-reference-data")
def test_cease_reason_must_be_a_sen2_code() -> None:
    refused(cease_decided(), "code-not-in-reference-data", "PlanCeased", date(2025, 6, 2),
            cease_reason="12")


@pytest.mark.proves("cease-decision-needs-proposal")
def test_cease_decision_needs_a_consulted_proposal_on_the_same_ground() -> None:
    journey = journey_with_plan()
    refused(journey, "cease-decision-needs-proposal", "CeaseDecisionIssued", date(2025, 2, 3),
            **decision())
    record(journey, "CeasingProposed", date(2025, 1, 6), **proposal(head_consulted=False))
    refused(journey, "cease-decision-needs-proposal", "CeaseDecisionIssued", date(2025, 2, 3),
            **decision())
    consulted = journey_with_plan()
    record(consulted, "CeasingProposed", date(2025, 1, 6), **proposal())
    refused(consulted, "cease-decision-needs-proposal", "CeaseDecisionIssued",
            date(2025, 2, 3), **decision(ground="no_longer_responsible"))


@pytest.mark.proves("cease-decision-notice-content")
def test_cease_decision_goes_to_family_and_icb_with_appeal_information() -> None:
    journey = journey_with_plan()
    record(journey, "CeasingProposed", date(2025, 1, 6), **proposal())
    refused(journey, "cease-decision-notice-content", "CeaseDecisionIssued", date(2025, 2, 3),
            **decision(recipients=["family", "institution"]))
    refused(journey, "cease-decision-notice-content", "CeaseDecisionIssued", date(2025, 2, 3),
            **decision(notice_includes=["appeal_rights", "time_limits"]))


@pytest.mark.proves("plan-ceased-needs-decision")
def test_plan_ceases_only_after_a_decision_unless_the_child_died() -> None:
    journey = journey_with_plan()
    refused(journey, "plan-ceased-needs-decision", "PlanCeased", date(2025, 6, 2),
            cease_reason="2")
    record(journey, "PlanCeased", date(2025, 6, 2), cease_reason="8")
    assert journey.state.status == "ceased"


@pytest.mark.proves("journey-closed")
def test_ceased_journey_takes_no_further_cease() -> None:
    journey = cease_decided()
    record(journey, "PlanCeased", date(2025, 6, 2), cease_reason="2")
    refused(journey, "journey-closed", "PlanCeased", date(2025, 6, 3), cease_reason="2")


@pytest.mark.proves("cease-appeal-window-open")
def test_plan_cannot_cease_inside_the_appeal_window() -> None:
    refused(cease_decided(), "cease-appeal-window-open", "PlanCeased", date(2025, 3, 3),
            cease_reason="2")


@pytest.mark.proves("cease-appeal-pending")
def test_plan_cannot_cease_while_the_appeal_is_pending_and_ceases_once_dismissed() -> None:
    """CFA 2014 s.45 (Explanatory Notes 247); reg 44(2)(a) once the Tribunal dismisses."""
    journey = cease_decided()
    decision_id = journey.state.appealable_decisions[-1].id
    record(journey, "MediationAdviserContacted", date(2025, 2, 10), decision_id=decision_id)
    record(journey, "MediationDeclined", date(2025, 2, 11), decision_id=decision_id)
    record(journey, "MediationCertificateIssued", date(2025, 2, 12), decision_id=decision_id,
           certificate_type="declined")
    record(journey, "AppealRegistered", date(2025, 3, 20), decision_id=decision_id,
           tribunal_ref="SEND-2025-0001")
    refused(journey, "cease-appeal-pending", "PlanCeased", date(2025, 6, 2), cease_reason="2")

    record(journey, "TribunalDecisionIssued", date(2025, 9, 1), tribunal_ref="SEND-2025-0001",
           outcome="dismissed", orders=["dismiss"])
    record(journey, "PlanCeased", date(2025, 9, 1), cease_reason="2")
    assert journey.state.plan.ceased_on == date(2025, 9, 1)
