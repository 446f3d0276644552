"""The family's voice: who decides (invariant 7.4 #6), consent to share, SARs (K25)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.actors import Actor
from domain.catalogue.voice import decision_maker_on
from domain.clocks import ClockReading, ClockStatus
from domain.errors import InvalidFieldError
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.support import recorder

LA = Actor("caseworker-1", "sen_officer", "LA-999")
TODAY = date(2026, 6, 30)
# Born 10 May 2008: compulsory school age ends on Friday 28 June 2024.
BORN = date(2008, 5, 10)
LAST_DAY_OF_SCHOOL_AGE = date(2024, 6, 28)


def registered(date_of_birth: date = BORN) -> ChildJourney:
    return ChildJourney.register(authority="LA-999", date_of_birth=date_of_birth, actor=LA,
                                 occurred_on=date(2023, 9, 1), today=TODAY)


record, refusal = recorder(LA, TODAY)


def k25(journey: ChildJourney, today: date) -> ClockReading:
    [found] = [r for r in journey.clocks(today) if r.clock == "K25"]
    return found


def test_the_young_person_decides_from_the_day_after_compulsory_school_age_ends() -> None:
    journey = registered()
    assert decision_maker_on(journey.state, LAST_DAY_OF_SCHOOL_AGE) == "parent"
    assert decision_maker_on(journey.state, date(2024, 6, 29)) == "young_person"


@pytest.mark.proves("decision-maker-before-young-person")
def test_handing_decisions_to_the_young_person_before_the_end_of_school_age_is_refused(
) -> None:
    journey = registered()
    assert refusal(journey, "DecisionMakerChanged",
                   {"to": "young_person", "reason": "turned 16"},
                   LAST_DAY_OF_SCHOOL_AGE) == "decision-maker-before-young-person"
    assert refusal(journey, "DecisionMakerChanged",
                   {"to": "parent", "reason": "no capacity decision"},
                   date(2024, 6, 1)) == "decision-maker-before-young-person"


@pytest.mark.proves("decision-maker-before-young-person")
def test_a_capacity_decision_before_the_end_of_school_age_keeps_the_parent_deciding() -> None:
    journey = registered()
    record(journey, "DecisionMakerChanged",
           {"to": "parent", "reason": "lacks capacity for these decisions",
            "capacity_decision_ref": "MCA-2024-17"}, date(2024, 6, 1))
    assert decision_maker_on(journey.state, date(2024, 9, 1)) == "parent"


@pytest.mark.proves("decision-maker-needs-capacity-decision")
def test_a_parent_deciding_for_a_young_person_needs_a_capacity_decision() -> None:
    journey = registered()
    assert refusal(journey, "DecisionMakerChanged", {"to": "parent", "reason": "asked"},
                   date(2024, 9, 2)) == "decision-maker-needs-capacity-decision"
    record(journey, "DecisionMakerChanged",
           {"to": "representative", "reason": "deputy appointed",
            "capacity_decision_ref": "COP-123"}, date(2024, 9, 2))
    assert decision_maker_on(journey.state, date(2024, 9, 3)) == "representative"
    record(journey, "DecisionMakerChanged", {"to": "young_person", "reason": "regained"},
           date(2025, 3, 3))
    assert decision_maker_on(journey.state, date(2025, 3, 3)) == "young_person"


@pytest.mark.proves("consent-by-decision-maker")
def test_consent_comes_from_whoever_decides_that_day() -> None:
    journey = registered()
    assert refusal(journey, "ConsentToShareRecorded",
                   {"scope": ["health"], "given_by": "young_person"},
                   LAST_DAY_OF_SCHOOL_AGE) == "consent-by-decision-maker"
    record(journey, "ConsentToShareRecorded", {"scope": ["health", "social_care"],
                                               "given_by": "parent"}, date(2024, 1, 8))
    assert refusal(journey, "ConsentToShareWithdrawn",
                   {"scope": ["health"], "given_by": "parent"},
                   date(2024, 7, 1)) == "consent-by-decision-maker"
    record(journey, "ConsentToShareWithdrawn", {"scope": ["health"],
                                                "given_by": "young_person"}, date(2024, 7, 1))
    assert sorted(journey.state.voice.consents) == ["social_care"]


@pytest.mark.proves("consent-withdrawal-needs-consent")
def test_withdrawing_a_consent_that_was_never_given_is_refused() -> None:
    journey = registered()
    assert refusal(journey, "ConsentToShareWithdrawn",
                   {"scope": ["setting"], "given_by": "parent"},
                   date(2024, 1, 8)) == "consent-withdrawal-needs-consent"


@pytest.mark.proves("voice-summary-too-long")
def test_views_are_kept_as_a_document_and_a_short_summary() -> None:
    journey = registered()
    record(journey, "ChildViewsRecorded",
           {"document_ref": "doc-views-1", "method": "drawing", "about": "review",
            "summary": "Likes the quiet room; wants help at lunchtime."}, date(2024, 1, 8))
    assert refusal(journey, "ChildViewsRecorded",
                   {"document_ref": "doc-views-2", "method": "conversation", "about": "plan",
                    "summary": "x" * 281}, date(2024, 1, 9)) == "voice-summary-too-long"
    assert refusal(journey, "FamilyFeedbackRecorded",
                   {"given_by": "parent", "about": "overall", "rating": 2,
                    "summary": "y" * 400}, date(2024, 1, 9)) == "voice-summary-too-long"


def test_family_feedback_has_a_rating_from_one_to_five() -> None:
    journey = registered()
    record(journey, "FamilyFeedbackRecorded",
           {"given_by": "parent", "about": "communication", "rating": 4,
            "document_ref": "survey-2024-01"}, date(2024, 1, 8))
    assert journey.state.voice.views[0].rating == 4
    with pytest.raises(InvalidFieldError):
        record(journey, "FamilyFeedbackRecorded",
               {"given_by": "parent", "about": "overall", "rating": 6}, date(2024, 1, 9))


@pytest.mark.proves("K25")
def test_a_subject_access_request_is_answered_within_one_month() -> None:
    # UK GDPR Art. 12(3): received 3 September 2024 -> answer by 3 October 2024.
    journey = registered()
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-1", "requester_role": "young_person"}, date(2024, 9, 3))
    reading = k25(journey, date(2024, 9, 10))
    assert (reading.due_on, reading.status, reading.responsible) == (
        date(2024, 10, 3), ClockStatus.RUNNING, Body.LOCAL_AUTHORITY)
    record(journey, "SubjectAccessRequestFulfilled",
           {"request_ref": "SAR-1", "exemptions_applied": ["third_party"],
            "documents_disclosed": 42}, date(2024, 10, 3))
    assert k25(journey, TODAY).status is ClockStatus.MET


@pytest.mark.proves("K25")
def test_a_month_from_31_january_ends_on_28_february() -> None:
    journey = registered()
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-2", "requester_role": "young_person"}, date(2025, 1, 31))
    assert k25(journey, date(2025, 3, 1)).due_on == date(2025, 2, 28)
    assert k25(journey, date(2025, 3, 1)).status is ClockStatus.LATE


@pytest.mark.proves("K25", "sar-extension-within-first-month")
def test_an_extension_in_the_first_month_gives_two_more_months_once() -> None:
    journey = registered()
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-3", "requester_role": "young_person"}, date(2024, 9, 3))
    record(journey, "SubjectAccessRequestExtended",
           {"request_ref": "SAR-3", "reasons": "complex: 9 years of records"}, date(2024, 9, 30))
    assert k25(journey, date(2024, 10, 10)).due_on == date(2024, 12, 3)
    assert refusal(journey, "SubjectAccessRequestExtended",
                   {"request_ref": "SAR-3", "reasons": "again"},
                   date(2024, 10, 1)) == "sar-extension-within-first-month"


@pytest.mark.proves("sar-extension-within-first-month")
def test_an_extension_after_the_first_month_is_refused() -> None:
    journey = registered()
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-4", "requester_role": "young_person"}, date(2024, 9, 3))
    assert refusal(journey, "SubjectAccessRequestExtended",
                   {"request_ref": "SAR-4", "reasons": "complex"},
                   date(2024, 10, 4)) == "sar-extension-within-first-month"


@pytest.mark.proves("sar-needs-open-request")
def test_answering_a_request_that_is_not_open_is_refused() -> None:
    journey = registered()
    assert refusal(journey, "SubjectAccessRequestFulfilled", {"request_ref": "SAR-9"},
                   date(2024, 9, 3)) == "sar-needs-open-request"
    assert refusal(journey, "SubjectAccessRequestExtended",
                   {"request_ref": "SAR-9", "reasons": "r"},
                   date(2024, 9, 3)) == "sar-needs-open-request"


@pytest.mark.proves("sar-competence-recorded")
def test_a_parent_asking_for_a_teenagers_data_records_their_competence() -> None:
    journey = registered(date_of_birth=date(2011, 4, 1))  # 13 in September 2024
    assert refusal(journey, "SubjectAccessRequestReceived",
                   {"request_ref": "SAR-5", "requester_role": "parent_on_behalf"},
                   date(2024, 9, 3)) == "sar-competence-recorded"
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-5", "requester_role": "parent_on_behalf",
            "competence_assessed": True, "child_authorised": True}, date(2024, 9, 3))
    assert len(journey.state.voice.sars) == 1


@pytest.mark.proves("K25")
def test_a_subject_access_request_is_handled_after_the_plan_transferred_out() -> None:
    journey = registered()
    record(journey, "PlanTransferredIn", {"old_la": "LA-888",
                                          "original_made_on": date(2023, 6, 1)},
           date(2023, 10, 2))
    record(journey, "MoveNotified", {"move_on": date(2024, 3, 1), "new_la": "LA-777"},
           date(2024, 1, 8))
    record(journey, "PlanTransferredOut", {"new_la": "LA-777"}, date(2024, 3, 1))
    assert journey.state.is_closed
    record(journey, "SubjectAccessRequestReceived",
           {"request_ref": "SAR-6", "requester_role": "parent_on_behalf",
            "competence_assessed": True, "child_authorised": True}, date(2024, 5, 1))
    record(journey, "FamilyFeedbackRecorded",
           {"given_by": "parent", "about": "overall", "rating": 3}, date(2024, 5, 2))
    record(journey, "ComplaintReceived", {"complaint_ref": "C-9", "body": "local_authority",
                                          "subject": "communication"}, date(2024, 5, 3))
    assert k25(journey, date(2024, 5, 10)).due_on == date(2024, 6, 1)
