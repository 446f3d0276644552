"""Who is responsible, by name and by how much: each clock names the body as recorded and
counts the days late; provision not delivered is attributed as s.42 places the duty."""

from __future__ import annotations

from datetime import date

import pytest

from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.test_plan_advice import answer, ask, assessing, clock, record
from tests.unit.test_plan_drafting import FINAL, drafted, finalise

G = [{"provision": "Epilepsy care plan, reviewed termly", "commissioner": "ICB-901"}]


@pytest.mark.proves("K2")
def test_late_advice_names_the_service_it_went_to_and_counts_its_days_late() -> None:
    # Reg 8(1): the EP service received the request on 6 March 2024; 6 weeks -> 17 April.
    # Advice came on Monday 22 April: 22 - 17 = 5 days late, the LA's EP service's.
    journey = assessing()
    advice_id = ask(journey, "Psychological", date(2024, 3, 5), date(2024, 3, 6))
    running = clock(journey, "K2", advice_id, date(2024, 4, 10))
    assert (running.responsible_name, running.days_late) == ("la-901-ep-service", 0)
    # Still undone on 20 April: 3 days late so far.
    assert clock(journey, "K2", advice_id, date(2024, 4, 20)).days_late == 3
    answer(journey, advice_id, date(2024, 4, 22))
    reading = clock(journey, "K2", advice_id, date(2024, 6, 1))
    assert (reading.status, reading.responsible, reading.responsible_name,
            reading.days_late) == (ClockStatus.LATE, Body.LOCAL_AUTHORITY,
                                   "la-901-ep-service", 5)
    assert reading.as_dict()["responsible_name"] == "la-901-ep-service"
    assert reading.as_dict()["days_late"] == 5


@pytest.mark.proves("K2")
def test_medical_advice_names_the_icb_and_school_advice_the_school() -> None:
    journey = assessing()
    medical = ask(journey, "Medical", date(2024, 3, 5), date(2024, 3, 6))
    school = ask(journey, "Educational", date(2024, 3, 5), date(2024, 3, 6))
    assert clock(journey, "K2", medical, date(2024, 3, 8)).responsible_name == "icb-901"
    assert clock(journey, "K2", school, date(2024, 3, 8)).responsible_name == "urn-100001"


@pytest.mark.proves("K1")
def test_the_authoritys_own_clocks_name_the_authority() -> None:
    # Reg 4(1)/5(1): received Monday 8 January 2024, decided 12 February (due 19 Feb).
    journey = assessing()
    [k1] = [r for r in journey.clocks(date(2024, 3, 1)) if r.clock == "K1"]
    assert (k1.responsible, k1.responsible_name, k1.days_late) == (
        Body.LOCAL_AUTHORITY, "LA-901", 0)


@pytest.mark.proves("K6")
def test_a_consultation_names_the_setting_consulted() -> None:
    # Code 9.83: consulted 4 April 2024, 15 days -> 19 April; no answer by 24 April.
    journey = drafted()
    record(journey, "SettingConsulted", {"setting_ref": "urn-100009",
                                         "la_considering": True}, date(2024, 4, 4))
    [k6] = [r for r in journey.clocks(date(2024, 4, 24)) if r.clock == "K6"]
    assert (k6.responsible, k6.responsible_name, k6.days_late) == (
        Body.SETTING, "urn-100009", 5)


def plan_with_g() -> ChildJourney:
    journey = drafted()
    record(journey, "HealthProvisionAgreed", {"icb": "ICB-901", "section_g": G},
           date(2024, 4, 10))
    finalise(journey, date(2024, 4, 17), sections=FINAL | {"G": G})
    return journey


def test_provision_not_delivered_is_attributed_as_section_42_places_the_duty() -> None:
    journey = plan_with_g()
    record(journey, "ProvisionNonDeliveryRecorded",
           {"section": "F", "item": "Speech and language therapy, 1 hour weekly",
            "period_from": date(2024, 5, 1), "reason": "therapist vacancy"}, date(2024, 6, 3))
    record(journey, "ProvisionNonDeliveryRecorded",
           {"section": "G", "item": "Epilepsy care plan, reviewed termly",
            "period_from": date(2024, 5, 1), "reason": "no nurse"}, date(2024, 6, 3))
    record(journey, "ProvisionDeliveryConcernRaised",
           {"section": "H2", "item": "Short breaks", "period_from": date(2024, 5, 1),
            "reason": "not arranged"}, date(2024, 6, 4))
    records = journey.state.plan.delivery
    assert [(r.section, r.responsible, r.responsible_name) for r in records] == [
        ("F", "local_authority", "LA-901"),  # s.42(2): the LA secures F
        ("G", "health", "ICB-901"),  # s.42(3): the commissioning body arranges G
        ("H2", "social_care", "LA-901"),
    ]
