"""Every rule of reviews, amendments, phase transfer and re-assessment refuses, and a
refused command leaves the journey's version unchanged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.errors import RuleViolationError
from domain.journey import ChildJourney

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2026, 6, 1)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
PROPOSALS = [{"section": "F", "change": "weekly physiotherapy"}]


def registered(born: date = date(2014, 3, 1)) -> ChildJourney:
    return ChildJourney.register(authority="LA-900", date_of_birth=born, actor=LA,
                                 occurred_on=date(2023, 2, 1), today=TODAY)


def journey_with_plan(born: date = date(2014, 3, 1)) -> ChildJourney:
    journey = registered(born)
    record(journey, "PlanTransferredIn", date(2023, 3, 1), old_la="LA-100",
           original_made_on=date(2022, 6, 1))
    return journey


def record(journey: ChildJourney, type_name: str, day: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=day, today=TODAY)


def refused(journey: ChildJourney, code: str, type_name: str, day: date,
            **payload: Any) -> None:
    version = journey.version
    with pytest.raises(RuleViolationError) as raised:
        record(journey, type_name, day, **payload)
    assert raised.value.code == code
    assert journey.version == version


def scheduled(journey: ChildJourney) -> ChildJourney:
    record(journey, "AnnualReviewScheduled", date(2023, 11, 1), due_by=date(2024, 1, 31),
           review_type="annual", organiser="local_authority")
    return journey


def held(journey: ChildJourney, **meeting: Any) -> ChildJourney:
    scheduled(journey)
    record(journey, "ReviewMeetingHeld", date(2024, 1, 10), attendees=["parent"], **meeting)
    return journey


def amending(journey: ChildJourney) -> ChildJourney:
    held(journey)
    record(journey, "ReviewDecisionIssued", date(2024, 2, 7), decision="Amend",
           reasons="needs changed", proposed_amendments=PROPOSALS)
    return journey


@pytest.mark.proves("review-needs-active-plan")
def test_review_cannot_be_scheduled_without_a_plan() -> None:
    refused(registered(), "review-needs-active-plan", "AnnualReviewScheduled",
            date(2023, 11, 1), due_by=date(2024, 1, 31), review_type="annual",
            organiser="local_authority")


@pytest.mark.proves("one-open-review")
def test_second_review_cannot_be_scheduled_while_one_awaits_its_meeting() -> None:
    refused(scheduled(journey_with_plan()), "one-open-review", "AnnualReviewScheduled",
            date(2023, 11, 2), due_by=date(2024, 2, 28), review_type="early",
            organiser="setting")


@pytest.mark.proves("review-step-needs-scheduled-review")
def test_meeting_cannot_be_held_for_a_review_never_scheduled() -> None:
    journey = journey_with_plan()
    refused(journey, "review-step-needs-scheduled-review", "ReviewMeetingHeld",
            date(2024, 1, 10), attendees=["parent"])
    refused(journey, "review-step-needs-scheduled-review", "ReviewInvitationsSent",
            date(2023, 12, 1), invitees=["parent"], meeting_on=date(2024, 1, 10))
    refused(journey, "review-step-needs-scheduled-review", "ReviewAdviceCirculated",
            date(2023, 12, 1), documents=["EP report"])


@pytest.mark.proves("review-pfa-from-year-9")
def test_year_9_review_must_discuss_preparation_for_adulthood() -> None:
    journey = scheduled(journey_with_plan(born=date(2010, 3, 1)))
    refused(journey, "review-pfa-from-year-9", "ReviewMeetingHeld", date(2024, 1, 10),
            attendees=["parent"], pfa_discussed=False)
    record(journey, "ReviewMeetingHeld", date(2024, 1, 10), attendees=["parent"],
           pfa_discussed=True)
    assert journey.state.reviews.reviews[0].pfa_discussed


@pytest.mark.proves("review-report-needs-meeting")
def test_review_report_needs_a_held_meeting_and_is_sent_once() -> None:
    journey = scheduled(journey_with_plan())
    refused(journey, "review-report-needs-meeting", "ReviewReportSubmitted",
            date(2024, 1, 12))
    record(journey, "ReviewMeetingHeld", date(2024, 1, 10), attendees=["parent"])
    record(journey, "ReviewReportSubmitted", date(2024, 1, 20))
    refused(journey, "review-report-needs-meeting", "ReviewReportSubmitted",
            date(2024, 1, 21))


@pytest.mark.proves("review-decision-needs-meeting")
def test_review_decision_needs_a_held_meeting() -> None:
    refused(scheduled(journey_with_plan()), "review-decision-needs-meeting",
            "ReviewDecisionIssued", date(2024, 1, 12), decision="Maintain", reasons="fine",
            notice_includes=NOTICE)


@pytest.mark.proves("review-amend-needs-proposed-amendments")
def test_decision_to_amend_without_the_proposed_amendments_is_refused_devon() -> None:
    refused(held(journey_with_plan()), "review-amend-needs-proposed-amendments",
            "ReviewDecisionIssued", date(2024, 2, 7), decision="Amend", reasons="changes")


@pytest.mark.proves("review-decision-notice-content")
def test_decision_to_maintain_without_appeal_information_is_refused() -> None:
    refused(held(journey_with_plan()), "review-decision-notice-content",
            "ReviewDecisionIssued", date(2024, 2, 7), decision="Maintain", reasons="fine",
            notice_includes=["appeal_rights"])


@pytest.mark.proves("review-decision-notice-content")
def test_cease_proposal_at_review_is_appealable() -> None:
    journey = held(journey_with_plan())
    record(journey, "ReviewDecisionIssued", date(2024, 2, 7), decision="CeaseProposal",
           reasons="needs met", notice_includes=NOTICE)
    assert [d.kind for d in journey.state.appealable_decisions] == ["cease_plan_at_review"]


@pytest.mark.proves("amendment-needs-active-plan")
def test_amendment_notice_needs_a_plan() -> None:
    refused(registered(), "amendment-needs-active-plan", "AmendmentNoticeIssued",
            date(2023, 5, 1), setting_request_right=True, meeting_right=True,
    trigger="reg28", proposed_amendments=PROPOSALS)


@pytest.mark.proves("one-open-amendment")
def test_second_amendment_notice_while_one_is_outstanding_is_refused() -> None:
    refused(amending(journey_with_plan()), "one-open-amendment", "AmendmentNoticeIssued",
            date(2024, 2, 20), setting_request_right=True, meeting_right=True,
    trigger="reg28", proposed_amendments=PROPOSALS)


@pytest.mark.proves("amendment-notice-content")
def test_amendment_notice_must_propose_amendments_and_explain_rights() -> None:
    journey = journey_with_plan()
    refused(journey, "amendment-notice-content", "AmendmentNoticeIssued", date(2024, 5, 1),
            setting_request_right=True, meeting_right=True, trigger="reg28", proposed_amendments=[])
    refused(journey, "amendment-notice-content", "AmendmentNoticeIssued", date(2024, 5, 1),
            setting_request_right=True, trigger="reg28", proposed_amendments=PROPOSALS,
            meeting_right=False)
    refused(journey, "amendment-notice-content", "AmendmentNoticeIssued", date(2024, 5, 1),
            setting_request_right=True, meeting_right=True,
    trigger="reg28", proposed_amendments=PROPOSALS,
            representations_by=date(2024, 5, 14))


@pytest.mark.proves("amendment-needs-agreed-reassessment")
def test_amendment_after_reassessment_needs_an_agreed_reassessment() -> None:
    refused(journey_with_plan(), "amendment-needs-agreed-reassessment",
            "AmendmentNoticeIssued", date(2024, 5, 1),
    setting_request_right=True, meeting_right=True, trigger="reassessment",
            proposed_amendments=PROPOSALS)


@pytest.mark.proves("amendment-needs-open-notice")
def test_amended_plan_or_not_to_amend_needs_an_outstanding_notice() -> None:
    journey = journey_with_plan()
    refused(journey, "amendment-needs-open-notice", "AmendedPlanFinalised", date(2024, 5, 1),
            sections_changed=["F"], notice_includes=NOTICE)
    refused(journey, "amendment-needs-open-notice", "DecisionNotToAmendIssued",
            date(2024, 5, 1), reasons="no change", notice_includes=NOTICE)


@pytest.mark.proves("amended-plan-before-representations-end")
def test_amended_plan_within_the_15_days_is_refused_unless_waived() -> None:
    """Notice 7 February 2024: representations run to 21 February (15 days)."""
    journey = amending(journey_with_plan())
    refused(journey, "amended-plan-before-representations-end", "AmendedPlanFinalised",
            date(2024, 2, 21), sections_changed=["F"], notice_includes=NOTICE)
    record(journey, "AmendedPlanFinalised", date(2024, 2, 21), sections_changed=["F"],
           notice_includes=NOTICE, representations_waived=True)
    assert journey.state.reviews.amendments[0].finalised_on == date(2024, 2, 21)


@pytest.mark.proves("amended-plan-notice-content")
def test_amended_plan_and_not_to_amend_need_appeal_information() -> None:
    journey = amending(journey_with_plan())
    refused(journey, "amended-plan-notice-content", "AmendedPlanFinalised", date(2024, 3, 1),
            sections_changed=["F"], notice_includes=["appeal_rights"])
    refused(journey, "amended-plan-notice-content", "DecisionNotToAmendIssued",
            date(2024, 3, 1), reasons="no change", notice_includes=[])
    record(journey, "DecisionNotToAmendIssued", date(2024, 3, 1), reasons="no change",
           notice_includes=NOTICE)
    assert [d.kind for d in journey.state.appealable_decisions] == ["not_to_amend"]


@pytest.mark.proves("phase-transfer-within-12-months")
def test_phase_transfer_more_than_12_months_ahead_or_without_plan_is_refused() -> None:
    refused(registered(), "phase-transfer-within-12-months", "PhaseTransferIdentified",
            date(2024, 10, 1), transfer_type="primary_to_secondary",
            transfer_on=date(2025, 9, 1))
    journey = journey_with_plan()
    refused(journey, "phase-transfer-within-12-months", "PhaseTransferIdentified",
            date(2024, 8, 30), transfer_type="primary_to_secondary",
            transfer_on=date(2025, 9, 1))
    record(journey, "PhaseTransferIdentified", date(2024, 9, 2),
           transfer_type="primary_to_secondary", transfer_on=date(2025, 9, 1))
    refused(journey, "phase-transfer-within-12-months", "PhaseTransferIdentified",
            date(2024, 9, 3), transfer_type="primary_to_secondary",
            transfer_on=date(2025, 9, 1))


@pytest.mark.proves("phase-transfer-plan-names-setting")
def test_phase_transfer_plan_needs_an_identified_transfer_and_the_next_setting() -> None:
    journey = amending(journey_with_plan())
    refused(journey, "phase-transfer-plan-names-setting", "PhaseTransferPlanFinalised",
            date(2024, 3, 1), sections_changed=["I"], notice_includes=NOTICE,
            named_setting="Beech Academy", setting_type="MAINSTREAM_ACADEMY")
    record(journey, "PhaseTransferIdentified", date(2024, 2, 20),
           transfer_type="primary_to_secondary", transfer_on=date(2024, 9, 2))
    refused(journey, "phase-transfer-plan-names-setting", "PhaseTransferPlanFinalised",
            date(2024, 3, 1), sections_changed=["I"], notice_includes=NOTICE)


@pytest.mark.proves("reassessment-needs-active-plan")
def test_reassessment_needs_a_plan_and_one_request_at_a_time() -> None:
    refused(registered(), "reassessment-needs-active-plan", "ReassessmentRequested",
            date(2023, 2, 10), requester="Parent", reasons="changed")
    journey = journey_with_plan()
    record(journey, "ReassessmentRequested", date(2024, 3, 1), requester="Parent",
           reasons="changed")
    refused(journey, "reassessment-needs-active-plan", "ReassessmentRequested",
            date(2024, 3, 2), requester="ICB", reasons="changed")


@pytest.mark.proves("reassessment-decision-needs-request")
def test_reassessment_decision_needs_an_open_request() -> None:
    refused(journey_with_plan(), "reassessment-decision-needs-request",
            "ReassessmentDecisionMade", date(2024, 3, 10), decision="agree", reasons="ok")


@pytest.mark.proves("reassessment-refusal-ground")
def test_refusal_within_6_months_needs_the_last_assessment_date_within_6_months() -> None:
    """Reg 24(2)(a): request 1 March 2024; an assessment on 1 September 2023 is not within
    the previous 6 months, one on 2 September 2023 is."""
    journey = journey_with_plan()
    record(journey, "ReassessmentRequested", date(2024, 3, 1), requester="Parent",
           reasons="changed")
    common = dict(decision="refuse", reasons="recent assessment",
                  refusal_ground="assessed_within_6_months", notice_includes=NOTICE)
    refused(journey, "reassessment-refusal-ground", "ReassessmentDecisionMade",
            date(2024, 3, 10), **common)
    refused(journey, "reassessment-refusal-ground", "ReassessmentDecisionMade",
            date(2024, 3, 10), last_assessment_on=date(2023, 9, 1), **common)
    refused(journey, "reassessment-refusal-ground", "ReassessmentDecisionMade",
            date(2024, 3, 10), decision="refuse", reasons="  ", refusal_ground="not_necessary",
            notice_includes=NOTICE)
    refused(journey, "reassessment-refusal-ground", "ReassessmentDecisionMade",
            date(2024, 3, 10), decision="refuse", reasons="no", notice_includes=NOTICE)
    record(journey, "ReassessmentDecisionMade", date(2024, 3, 10),
           last_assessment_on=date(2023, 9, 2), **common)
    assert journey.state.reviews.reassessments[0].decision == "refuse"


@pytest.mark.proves("reassessment-refusal-notice-content")
def test_refusal_to_reassess_needs_appeal_information() -> None:
    journey = journey_with_plan()
    record(journey, "ReassessmentRequested", date(2024, 3, 1), requester="Parent",
           reasons="changed")
    refused(journey, "reassessment-refusal-notice-content", "ReassessmentDecisionMade",
            date(2024, 3, 10), decision="refuse", reasons="no new needs",
            refusal_ground="not_necessary", notice_includes=["appeal_rights"])
