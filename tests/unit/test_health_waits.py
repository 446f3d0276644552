"""Health referrals and waits (K26 for autism), social care assessments and DCO checks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.support import recorder

LA = Actor("health-1", "nhs_shared_data", "ICB-QXX")
TODAY = date(2026, 6, 30)


def registered(date_of_birth: date = date(2015, 3, 3)) -> ChildJourney:
    return ChildJourney.register(authority="LA-999", date_of_birth=date_of_birth, actor=LA,
                                 occurred_on=date(2023, 9, 1), today=TODAY)


record, refusal = recorder(LA, TODAY)


def referred(journey: ChildJourney, service: str, on: date, **extra: Any) -> str:
    record(journey, "HealthReferralMade", {"service": service, "referrer": "GP",
                                           "shared_by": "ICB-QXX", **extra}, on)
    return f"referral-{journey.version}"


def k26(journey: ChildJourney, episode: str, today: date) -> ClockReading:
    [found] = [r for r in journey.clocks(today) if r.clock == "K26" and r.episode == episode]
    return found


@pytest.mark.proves("K26")
def test_an_autism_assessment_starts_within_three_months_of_the_referral_being_accepted(
) -> None:
    # NICE QS51: referred 2 September 2024, accepted 16 September -> start by 16 December.
    journey = registered()
    referral = referred(journey, "ND_AUTISM", date(2024, 9, 2), accepted_on=date(2024, 9, 16))
    reading = k26(journey, referral, date(2024, 10, 1))
    assert (reading.started_on, reading.due_on) == (date(2024, 9, 16), date(2024, 12, 16))
    assert (reading.responsible, reading.statutory) == (Body.HEALTH, False)
    record(journey, "HealthServiceFirstContact", {"referral_id": referral}, date(2024, 12, 16))
    assert k26(journey, referral, TODAY).status is ClockStatus.MET


@pytest.mark.proves("K26")
def test_a_triage_call_does_not_start_the_autism_assessment() -> None:
    journey = registered()
    referral = referred(journey, "ND_AUTISM", date(2024, 9, 2))
    record(journey, "HealthServiceFirstContact", {"referral_id": referral, "kind": "triage"},
           date(2024, 10, 1))
    assert k26(journey, referral, date(2024, 12, 3)).status is ClockStatus.LATE
    record(journey, "HealthDiagnosisRecorded",
           {"referral_id": referral, "outcome": "diagnosed"}, date(2025, 11, 3))
    reading = k26(journey, referral, TODAY)
    assert (reading.stopped_on, reading.status) == (date(2025, 11, 3), ClockStatus.LATE)


@pytest.mark.proves("K26")
def test_only_autism_referrals_have_a_k26_clock() -> None:
    journey = registered()
    referred(journey, "SALT", date(2024, 9, 2))
    assert [r for r in journey.clocks(TODAY) if r.clock == "K26"] == []


def test_waits_are_kept_per_service_until_the_child_is_seen() -> None:
    journey = registered()
    salt = referred(journey, "SALT", date(2024, 1, 8))
    referred(journey, "OT", date(2024, 3, 4))
    record(journey, "HealthServiceFirstContact", {"referral_id": salt}, date(2024, 10, 7))
    record(journey, "HealthInterventionStarted",
           {"referral_id": salt, "intervention": "weekly therapy block"}, date(2024, 11, 4))
    waits = journey.state.health.waits_by_service(date(2025, 3, 4))
    assert waits == {"SALT": [273], "OT": [365]}


@pytest.mark.proves("health-referral-already-waiting")
def test_a_second_referral_to_a_service_the_child_waits_for_is_refused() -> None:
    journey = registered()
    first = referred(journey, "CAMHS", date(2024, 1, 8))
    assert refusal(journey, "HealthReferralMade",
                   {"service": "CAMHS", "referrer": "school nurse", "shared_by": "ICB-QXX"},
                   date(2024, 5, 1)) == "health-referral-already-waiting"
    record(journey, "HealthServiceFirstContact", {"referral_id": first}, date(2024, 6, 3))
    referred(journey, "CAMHS", date(2025, 2, 3))
    assert len(journey.state.health.referrals) == 2


@pytest.mark.proves("health-step-needs-referral")
def test_a_first_contact_for_an_unknown_or_already_seen_referral_is_refused() -> None:
    journey = registered()
    assert refusal(journey, "HealthServiceFirstContact", {"referral_id": "referral-9"},
                   date(2024, 2, 1)) == "health-step-needs-referral"
    referral = referred(journey, "PHYSIO", date(2024, 1, 8))
    record(journey, "HealthServiceFirstContact", {"referral_id": referral}, date(2024, 2, 1))
    assert refusal(journey, "HealthServiceFirstContact", {"referral_id": referral},
                   date(2024, 2, 2)) == "health-step-needs-referral"
    assert refusal(journey, "HealthDiagnosisRecorded",
                   {"referral_id": "referral-9", "outcome": "inconclusive"},
                   date(2024, 2, 2)) == "health-step-needs-referral"
    assert refusal(journey, "HealthInterventionStarted",
                   {"referral_id": "referral-9", "intervention": "x"},
                   date(2024, 2, 2)) == "health-step-needs-referral"


@pytest.mark.proves("social-care-assessment-age")
def test_social_care_assessments_follow_the_child_or_adult_route() -> None:
    journey = registered(date_of_birth=date(2007, 5, 10))  # 18 on 10 May 2025
    record(journey, "SocialCareAssessmentCompleted",
           {"assessment_type": "care_act_transition", "outcome": "eligible at 18"},
           date(2025, 1, 6))
    assert refusal(journey, "SocialCareAssessmentCompleted",
                   {"assessment_type": "care_act_needs", "outcome": "x"},
                   date(2025, 5, 9)) == "social-care-assessment-age"
    record(journey, "SocialCareAssessmentCompleted",
           {"assessment_type": "care_act_needs", "outcome": "eligible needs"}, date(2025, 5, 10))
    assert refusal(journey, "SocialCareAssessmentCompleted",
                   {"assessment_type": "s17_child_in_need", "outcome": "x"},
                   date(2025, 6, 2)) == "social-care-assessment-age"
    assert [a.assessment_type for a in journey.state.health.social_care_assessments] == [
        "care_act_transition", "care_act_needs"]


@pytest.mark.proves("dco-qa-needs-plan-content")
def test_a_dco_check_of_section_g_needs_a_draft_or_plan() -> None:
    journey = registered()
    record(journey, "DCOQualityAssuranceRecorded",
           {"target": "advice", "target_ref": "advice-doc-1", "rating": "good"},
           date(2024, 2, 1))
    assert refusal(journey, "DCOQualityAssuranceRecorded",
                   {"target": "section_g", "target_ref": "plan", "rating": "good"},
                   date(2024, 2, 1)) == "dco-qa-needs-plan-content"
    record(journey, "PlanTransferredIn", {"old_la": "LA-888",
                                          "original_made_on": date(2023, 11, 1)},
           date(2024, 1, 15))
    record(journey, "DCOQualityAssuranceRecorded",
           {"target": "section_g", "target_ref": "plan", "rating": "requires_improvement"},
           date(2024, 2, 1))
    assert len(journey.state.health.quality_assurance) == 2
