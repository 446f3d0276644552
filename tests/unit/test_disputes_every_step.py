"""Every step of mediation the Act and Regulations provide, and who brings the appeal."""

from __future__ import annotations

from datetime import date

import pytest

from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.test_disputes_appeals import certified
from tests.unit.test_disputes_mediation import clock, record, refusal, refused_assessment

LATER = date(2026, 6, 30)


def requested(issues: list[str] | None = None) -> tuple[ChildJourney, str]:
    """A refusal notified 10 June 2024; adviser 1 July; mediation asked for on Monday 8 July."""
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationRequested", {"decision_id": decision,
                                           "issues": issues or ["education"]}, date(2024, 7, 8))
    return journey, decision


@pytest.mark.proves("mediation-information-needs-contact")
def test_the_adviser_gives_information_once_after_the_familys_contact() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    assert refusal(journey, "MediationInformationProvided", {"decision_id": decision},
                   date(2024, 6, 20)) == "mediation-information-needs-contact"
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    record(journey, "MediationInformationProvided", {"decision_id": decision}, date(2024, 7, 2))
    assert journey.state.disputes.mediations[0].information_on == date(2024, 7, 2)
    assert refusal(journey, "MediationInformationProvided", {"decision_id": decision},
                   date(2024, 7, 3)) == "mediation-information-needs-contact"


@pytest.mark.proves("mediation-arranged-needs-request")
def test_mediation_is_arranged_after_the_request_by_the_body_that_must_arrange_it() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    assert refusal(journey, "MediationArranged", {"decision_id": decision,
                                                  "mediation_on": date(2024, 7, 20)},
                   date(2024, 7, 2)) == "mediation-arranged-needs-request"
    journey, decision = requested()
    # Education issues: the LA arranges it, not the ICB (ss.53-54).
    assert refusal(journey, "MediationArranged", {"decision_id": decision,
                                                  "mediation_on": date(2024, 7, 20),
                                                  "arranged_by": "health"},
                   date(2024, 7, 10)) == "mediation-arranged-needs-request"
    record(journey, "MediationArranged", {"decision_id": decision,
                                          "mediation_on": date(2024, 7, 20)}, date(2024, 7, 10))
    assert journey.state.disputes.mediations[0].arranged_for == date(2024, 7, 20)
    assert refusal(journey, "MediationArranged", {"decision_id": decision,
                                                  "mediation_on": date(2024, 7, 22)},
                   date(2024, 7, 11)) == "mediation-arranged-needs-request"


@pytest.mark.proves("K20")
def test_mediation_arranged_within_30_days_and_held_meets_the_meeting_clock() -> None:
    # Requested Monday 8 July 2024: 30 days -> 7 August. Held 1 August (met); the
    # certificate is due 3 working days after, Tuesday 6 August 2024.
    journey, decision = requested()
    record(journey, "MediationArranged", {"decision_id": decision,
                                          "mediation_on": date(2024, 8, 1)}, date(2024, 7, 15))
    record(journey, "MediationHeld", {"decision_id": decision, "parties": ["parent", "LA"],
                                      "outcome": "no_agreement"}, date(2024, 8, 1))
    meeting = clock(journey, "K20", "mediation-4-meeting", LATER)
    certificate = clock(journey, "K20", "mediation-4-certificate", date(2024, 8, 2))
    assert (meeting.due_on, meeting.status) == (date(2024, 8, 7), ClockStatus.MET)
    assert (certificate.due_on, certificate.status) == (date(2024, 8, 6), ClockStatus.RUNNING)


@pytest.mark.proves("K20")
def test_notice_that_mediation_cannot_take_place_starts_three_working_days_to_a_certificate(
) -> None:
    # Reg 37: requested 8 July 2024; the LA tells the adviser on Friday 2 August that it
    # cannot take place by 7 August. Three working days after Friday 2 August: Monday 5,
    # Tuesday 6, Wednesday 7 August 2024. The certificate on 8 August is late, the
    # adviser's (mediation) delay.
    journey, decision = requested()
    record(journey, "MediationCannotTakePlaceNotified",
           {"decision_id": decision, "reason": "mediator_unavailable"}, date(2024, 8, 2))
    meeting = clock(journey, "K20", "mediation-4-meeting", LATER)
    assert (meeting.stopped_on, meeting.status) == (date(2024, 8, 2), ClockStatus.MET)
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "not_arranged_in_30_days"},
           date(2024, 8, 8))
    certificate = clock(journey, "K20", "mediation-4-certificate", LATER)
    assert (certificate.started_on, certificate.due_on, certificate.status) == (
        date(2024, 8, 2), date(2024, 8, 7), ClockStatus.LATE)
    assert certificate.responsible is Body.MEDIATION


@pytest.mark.proves("mediation-not-possible-needs-request")
def test_notice_that_mediation_cannot_take_place_needs_a_request_not_yet_held() -> None:
    journey, decision = refused_assessment(date(2024, 6, 10))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 7, 1))
    assert refusal(journey, "MediationCannotTakePlaceNotified", {"decision_id": decision},
                   date(2024, 7, 2)) == "mediation-not-possible-needs-request"
    journey, decision = requested()
    record(journey, "MediationHeld", {"decision_id": decision, "parties": ["parent", "LA"],
                                      "outcome": "agreement"}, date(2024, 7, 30))
    assert refusal(journey, "MediationCannotTakePlaceNotified", {"decision_id": decision},
                   date(2024, 7, 31)) == "mediation-not-possible-needs-request"




@pytest.mark.proves("appellant-standing")
def test_a_young_person_appeals_in_their_own_right_and_a_child_through_the_parent() -> None:
    # The child of refused_assessment was born 3 March 2015: a child, so the parent appeals.
    journey, decision = refused_assessment(date(2024, 6, 10))
    certified(journey, decision, date(2024, 7, 3))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": decision, "tribunal_ref": "SE1", "appellant": "young_person"},
                   date(2024, 8, 1)) == "appellant-standing"
    record(journey, "AppealRegistered",
           {"decision_id": decision, "tribunal_ref": "SE1", "appellant": "parent"},
           date(2024, 8, 1))
    assert journey.state.disputes.appeals[0].appellant == "parent"


@pytest.mark.proves("appellant-standing")
def test_after_compulsory_school_age_the_parent_appeals_only_for_a_young_person_lacking_capacity(
) -> None:
    from tests.unit.test_movement_refusals import cease_decided

    # Born 1 March 2007: compulsory school age ended Friday 28 June 2024 (s.80 from then).
    journey = cease_decided(date(2007, 3, 1))
    decision = journey.state.appealable_decisions[-1].id
    certified(journey, decision, date(2025, 2, 12))
    appeal = {"decision_id": decision, "tribunal_ref": "SE2"}
    assert refusal(journey, "AppealRegistered", appeal | {"appellant": "parent"},
                   date(2025, 3, 3)) == "appellant-standing"
    record(journey, "AppealRegistered", appeal | {
        "appellant": "parent", "on_behalf_of_young_person_lacking_capacity": True},
        date(2025, 3, 3))
    assert journey.state.disputes.appeals[0].appellant == "parent"
