"""Mediation before an appeal: adviser contact (K19) and certificates or meetings (K20)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.support import recorder

LA = Actor("caseworker-1", "sen_officer", "LA-999")
TODAY = date(2026, 6, 30)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]


def refused_assessment(notified_on: date) -> tuple[ChildJourney, str]:
    """Return a journey whose LA refused to assess, notified on ``notified_on``."""
    journey = ChildJourney.register(authority="LA-999", date_of_birth=date(2015, 3, 3),
                                    actor=LA, occurred_on=date(2023, 9, 1), today=TODAY)
    record(journey, "EHCNeedsAssessmentRequested",
           {"requester_role": "Parent", "request_source": "1"}, notified_on - timedelta(weeks=5))
    record(journey, "DecisionNotToAssessMade",
           {"reasons": "needs met at SEN support", "notice_includes": NOTICE,
            "notified_on": notified_on}, notified_on)
    return journey, journey.state.appealable_decisions[-1].id


record, refusal = recorder(LA, TODAY)


def clock(journey: ChildJourney, clock_id: str, episode: str, today: date) -> ClockReading:
    [found] = [r for r in journey.clocks(today) if r.clock == clock_id and r.episode == episode]
    return found


@pytest.mark.proves("K19")
def test_adviser_contacted_within_two_months_of_the_notice_meets_k19() -> None:
    # Reg 33: contact within 2 months of the notice; notified 10 June 2024 -> 10 August 2024.
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert clock(journey, "K19", decision, date(2024, 7, 1)).due_on == date(2024, 8, 10)
    assert clock(journey, "K19", decision, date(2024, 7, 1)).status is ClockStatus.RUNNING
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 8, 1))
    reading = clock(journey, "K19", decision, date(2024, 9, 1))
    assert (reading.stopped_on, reading.status) == (date(2024, 8, 1), ClockStatus.MET)
    assert reading.responsible is Body.FAMILY


@pytest.mark.proves("K19")
def test_adviser_contacted_after_two_months_is_late_for_the_family() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 8, 12))
    reading = clock(journey, "K19", decision, date(2024, 9, 1))
    assert reading.status is ClockStatus.LATE
    assert reading.responsible is Body.FAMILY


@pytest.mark.proves("K19")
def test_a_family_that_never_contacts_the_adviser_breaches_nothing() -> None:
    # Not appealing is the family's choice: the unused window lapses, it is not "late".
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert clock(journey, "K19", decision, date(2024, 8, 11)).status is \
        ClockStatus.NOT_APPLICABLE


@pytest.mark.proves("dispute-needs-appealable-decision")
def test_adviser_contact_about_an_unknown_decision_is_refused() -> None:
    journey, _ = refused_assessment(date(2024, 6, 10))
    assert refusal(journey, "MediationAdviserContacted", {"decision_id": "decision-99"},
                   date(2024, 7, 1)) == "dispute-needs-appealable-decision"


@pytest.mark.proves("dispute-needs-appealable-decision")
def test_adviser_contact_before_the_decision_was_notified_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert refusal(journey, "MediationAdviserContacted", {"decision_id": decision},
                   date(2024, 6, 9)) == "dispute-needs-appealable-decision"


@pytest.mark.proves("mediation-adviser-contacted-once")
def test_a_second_contact_about_the_same_decision_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    assert refusal(journey, "MediationAdviserContacted", {"decision_id": decision},
                   date(2024, 7, 2)) == "mediation-adviser-contacted-once"


@pytest.mark.proves("mediation-needs-adviser-contact")
def test_declining_mediation_without_contacting_the_adviser_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert refusal(journey, "MediationDeclined", {"decision_id": decision},
                   date(2024, 7, 1)) == "mediation-needs-adviser-contact"


@pytest.mark.proves("mediation-needs-adviser-contact")
def test_requesting_mediation_without_contacting_the_adviser_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert refusal(journey, "MediationRequested",
                   {"decision_id": decision, "issues": ["education"]},
                   date(2024, 7, 1)) == "mediation-needs-adviser-contact"


@pytest.mark.proves("mediation-choice-made-once")
def test_requesting_mediation_after_declining_it_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationDeclined", {"decision_id": decision}, date(2024, 7, 1))
    assert refusal(journey, "MediationRequested",
                   {"decision_id": decision, "issues": ["education"]},
                   date(2024, 7, 2)) == "mediation-choice-made-once"


@pytest.mark.proves("K20")
def test_certificate_after_mediation_declined_is_due_in_three_working_days() -> None:
    # Reg 34: declined on Friday 5 July 2024 -> certificate by Wednesday 10 July 2024.
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 5))
    record(journey, "MediationDeclined", {"decision_id": decision}, date(2024, 7, 5))
    mediation = journey.state.disputes.mediation_for(decision)
    assert mediation is not None
    episode = f"{mediation.id}-certificate"
    reading = clock(journey, "K20", episode, date(2024, 7, 8))
    assert (reading.due_on, reading.status) == (date(2024, 7, 10), ClockStatus.RUNNING)
    assert reading.responsible is Body.MEDIATION
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "declined"}, date(2024, 7, 11))
    assert clock(journey, "K20", episode, date(2024, 7, 12)).status is ClockStatus.LATE


@pytest.mark.proves("K20")
def test_mediation_is_arranged_within_30_days_then_certified_in_three_working_days() -> None:
    # Regs 36-37, 39: asked Monday 1 July 2024 -> meeting by 31 July; held Thursday
    # 25 July -> certificate by Tuesday 30 July 2024.
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationRequested",
           {"decision_id": decision, "issues": ["education", "social_care"]}, date(2024, 7, 1))
    mediation = journey.state.disputes.mediation_for(decision)
    assert mediation is not None
    meeting = clock(journey, "K20", f"{mediation.id}-meeting", date(2024, 7, 2))
    assert (meeting.due_on, meeting.responsible) == (date(2024, 7, 31), Body.LOCAL_AUTHORITY)
    record(journey, "MediationHeld", {"decision_id": decision, "parties": ["parent", "LA"],
                                      "outcome": "no_agreement"}, date(2024, 7, 25))
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "held"}, date(2024, 7, 30))
    assert clock(journey, "K20", f"{mediation.id}-meeting", TODAY).status is ClockStatus.MET
    certificate = clock(journey, "K20", f"{mediation.id}-certificate", TODAY)
    assert (certificate.due_on, certificate.status) == (date(2024, 7, 30), ClockStatus.MET)


@pytest.mark.proves("K20")
def test_health_issues_mean_the_icb_is_told_within_three_working_days() -> None:
    # Asked Thursday 22 August 2024; Monday 26 August is a bank holiday -> ICB by
    # Wednesday 28 August 2024; told on the 29th is late, and the LA is responsible.
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 8, 1))
    record(journey, "MediationRequested",
           {"decision_id": decision, "issues": ["education", "health"],
            "health_provision_sought": "speech and language therapy in section G",
            "icb_notified_on": date(2024, 8, 29)}, date(2024, 8, 22))
    mediation = journey.state.disputes.mediation_for(decision)
    assert mediation is not None
    reading = clock(journey, "K20", f"{mediation.id}-icb-notice", date(2024, 9, 2))
    assert (reading.due_on, reading.status) == (date(2024, 8, 28), ClockStatus.LATE)
    assert reading.responsible is Body.LOCAL_AUTHORITY


@pytest.mark.proves("K20")
def test_health_only_mediation_is_arranged_by_the_icb_from_when_it_was_told() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationRequested",
           {"decision_id": decision, "issues": ["health"], "icb_notified_on": date(2024, 7, 3)},
           date(2024, 7, 1))
    mediation = journey.state.disputes.mediation_for(decision)
    assert mediation is not None
    reading = clock(journey, "K20", f"{mediation.id}-meeting", date(2024, 7, 10))
    assert (reading.started_on, reading.due_on) == (date(2024, 7, 3), date(2024, 8, 2))
    assert reading.responsible is Body.HEALTH


@pytest.mark.proves("K20")
def test_a_certificate_for_mediation_not_arranged_in_30_days_stops_the_meeting_clock() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationRequested", {"decision_id": decision, "issues": ["education"]},
           date(2024, 7, 1))
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "not_arranged_in_30_days"},
           date(2024, 8, 2))
    mediation = journey.state.disputes.mediation_for(decision)
    assert mediation is not None
    reading = clock(journey, "K20", f"{mediation.id}-meeting", date(2024, 8, 5))
    assert (reading.stopped_on, reading.status) == (date(2024, 8, 2), ClockStatus.LATE)


@pytest.mark.proves("mediation-held-needs-request")
def test_mediation_held_after_it_was_declined_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationDeclined", {"decision_id": decision}, date(2024, 7, 1))
    assert refusal(journey, "MediationHeld",
                   {"decision_id": decision, "parties": ["parent", "LA"],
                    "outcome": "agreement"}, date(2024, 7, 20)) == "mediation-held-needs-request"


@pytest.mark.proves("mediation-certificate-basis")
def test_a_held_certificate_without_a_held_mediation_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationRequested", {"decision_id": decision, "issues": ["education"]},
           date(2024, 7, 1))
    assert refusal(journey, "MediationCertificateIssued",
                   {"decision_id": decision, "certificate_type": "held"},
                   date(2024, 7, 10)) == "mediation-certificate-basis"


@pytest.mark.proves("mediation-certificate-basis")
def test_a_second_certificate_for_the_same_decision_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationDeclined", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "declined"}, date(2024, 7, 2))
    assert refusal(journey, "MediationCertificateIssued",
                   {"decision_id": decision, "certificate_type": "declined"},
                   date(2024, 7, 3)) == "mediation-certificate-basis"
