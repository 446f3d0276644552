"""Age-bound rules checked against the date of birth (issue 13 §3): responsibility to the
end of the academic year in which the young person turns 25 (CFA 2014 s.46), "reached 25"
only from the 25th birthday, phase transfers into the year group the phase begins with."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.ages import academic_year_end, responsibility_ends_on, year_group
from domain.errors import RuleViolationError
from domain.journey import ChildJourney

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2027, 1, 1)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]


def with_plan(born: date, transferred_on: date = date(2020, 9, 1)) -> ChildJourney:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=born, actor=LA,
                                    occurred_on=transferred_on, today=TODAY)
    record(journey, "PlanTransferredIn", transferred_on, old_la="LA-100",
           original_made_on=date(2019, 6, 3), named_setting="Elm College",
           setting_type="MAINSTREAM_LA")
    return journey


def record(journey: ChildJourney, type_name: str, day: date, **payload: Any) -> None:
    journey.record(type_name, payload, actor=LA, occurred_on=day, today=TODAY)


def refusal(journey: ChildJourney, type_name: str, day: date, **payload: Any) -> str:
    version = journey.version
    with pytest.raises(RuleViolationError) as refused:
        record(journey, type_name, day, **payload)
    assert journey.version == version  # nothing stored
    return refused.value.code


def propose_reached_25(journey: ChildJourney, day: date) -> None:
    record(journey, "CeasingProposed", day, ground="no_longer_responsible",
           responsibility_reason="reached_25", family_informed_on=day,
           family_consulted=True, head_consulted=True, outcomes_considered=True)


def test_responsibility_ends_with_the_academic_year_in_which_the_young_person_turns_25() -> None:
    """s.46: born 10 October 2000, 25 on 10 October 2025, in the academic year 1 August
    2025 to 31 July 2026: the plan may be kept to 31 July 2026. Born 15 July 2001, 25 on
    15 July 2026, in the academic year ending 31 July 2026 as well; born 1 August 2001,
    25 on 1 August 2026, the first day of the next: to 31 July 2027."""
    assert responsibility_ends_on(date(2000, 10, 10)) == date(2026, 7, 31)
    assert responsibility_ends_on(date(2001, 7, 15)) == date(2026, 7, 31)
    assert responsibility_ends_on(date(2001, 8, 1)) == date(2027, 7, 31)
    assert academic_year_end(date(2026, 7, 31)) == date(2026, 7, 31)


@pytest.mark.proves("reached-25-before-25th-birthday")
def test_reached_25_is_refused_for_a_22_year_old_and_accepted_from_the_25th_birthday() -> None:
    """Born 10 October 2003: 22 on 1 March 2026, so "reached 25" is refused; born 10
    October 2000, 25 on 10 October 2025, it is accepted that day."""
    young = with_plan(date(2003, 10, 10))
    assert refusal(young, "CeasingProposed", date(2026, 3, 1), ground="no_longer_responsible",
                   responsibility_reason="reached_25", family_informed_on=date(2026, 3, 1),
                   family_consulted=True, head_consulted=True,
                   outcomes_considered=True) == "reached-25-before-25th-birthday"

    old_enough = with_plan(date(2000, 10, 10))
    assert refusal(old_enough, "CeasingProposed", date(2025, 10, 9),
                   ground="no_longer_responsible", responsibility_reason="reached_25",
                   family_informed_on=date(2025, 10, 9), family_consulted=True,
                   head_consulted=True, outcomes_considered=True) == \
        "reached-25-before-25th-birthday"
    propose_reached_25(old_enough, date(2025, 10, 10))
    assert old_enough.state.stage == "ceasing_proposed"


@pytest.mark.proves("reached-25-before-25th-birthday")
def test_a_plan_ceased_for_reaching_maximum_age_before_25_is_refused() -> None:
    """SEN2 cease reason 1 ("Reached maximum age") for a young person born 10 October 2003
    is refused on 1 December 2026, when they are 23, whatever decision preceded it."""
    journey = with_plan(date(2003, 10, 10))
    record(journey, "CeasingProposed", date(2026, 9, 1), ground="no_longer_necessary",
           family_informed_on=date(2026, 9, 1), family_consulted=True, head_consulted=True,
           outcomes_considered=True)
    record(journey, "CeaseDecisionIssued", date(2026, 9, 15), ground="no_longer_necessary",
           reasons="outcomes met", recipients=["family", "icb", "setting"],
           notice_includes=NOTICE)
    assert refusal(journey, "PlanCeased", date(2026, 12, 1), cease_reason="1") == \
        "reached-25-before-25th-birthday"
    record(journey, "PlanCeased", date(2026, 12, 1), cease_reason="2")
    assert journey.state.status == "ceased"


@pytest.mark.proves("plan-step-after-responsibility-ended")
def test_no_review_is_scheduled_after_responsibility_ended_at_25() -> None:
    """s.46: born 15 July 2001, the LA may maintain the plan to 31 July 2026. A review
    scheduled on 31 July 2026 is recorded; one on 1 August 2026 is refused, and so is a
    new request for assessment; ceasing is still recorded."""
    journey = with_plan(date(2001, 7, 15))
    record(journey, "AnnualReviewScheduled", date(2026, 7, 31), due_by=date(2026, 9, 1),
           review_type="annual", organiser="local_authority")
    assert refusal(journey, "ReviewMeetingHeld", date(2026, 8, 1),
                   attendees=["young_person"]) == "plan-step-after-responsibility-ended"
    assert refusal(journey, "EHCNeedsAssessmentRequested", date(2026, 8, 3),
                   requester_role="YoungPerson", request_source="1") == \
        "plan-step-after-responsibility-ended"
    propose_reached_25(journey, date(2026, 8, 3))
    assert journey.state.stage == "ceasing_proposed"


@pytest.mark.proves("phase-transfer-year-group")
def test_a_phase_transfer_is_into_the_year_group_the_phase_begins_with() -> None:
    """Reg 18: born 10 October 2014, the child is in Year 7 from 1 September 2026
    (2026 - 2014 - 5 = 7), so primary to secondary is recorded; secondary to post-16 is
    refused (Year 12 is 2031). Born 10 October 2019, the child is in Year 2 in 2026:
    primary to secondary is impossible."""
    assert year_group(date(2014, 10, 10), date(2026, 9, 1)) == 7
    ready = with_plan(date(2014, 10, 10))
    assert refusal(ready, "PhaseTransferIdentified", date(2025, 11, 3),
                   transfer_type="secondary_to_post16", transfer_on=date(2026, 9, 1)) == \
        "phase-transfer-year-group"
    record(ready, "PhaseTransferIdentified", date(2025, 11, 3),
           transfer_type="primary_to_secondary", transfer_on=date(2026, 9, 1))
    # Reg 18(1)(b): before 15 February 2026, so 14 February is the last day.
    assert ready.state.reviews.phase_transfers[-1].deadline == date(2026, 2, 14)

    too_young = with_plan(date(2019, 10, 10), transferred_on=date(2024, 9, 2))
    assert refusal(too_young, "PhaseTransferIdentified", date(2025, 11, 3),
                   transfer_type="primary_to_secondary", transfer_on=date(2026, 9, 1)) == \
        "phase-transfer-year-group"


@pytest.mark.proves("phase-transfer-year-group")
def test_a_child_taught_a_year_behind_may_transfer_a_year_late() -> None:
    """A summer-born child (born 20 August 2014, chronologically Year 7 from September
    2025) whose entry was delayed a year moves to secondary on 1 September 2026, in
    chronological Year 8: one year either way is allowed; two is not."""
    journey = with_plan(date(2014, 8, 20))
    record(journey, "PhaseTransferIdentified", date(2025, 11, 3),
           transfer_type="primary_to_secondary", transfer_on=date(2026, 9, 1))
    assert year_group(date(2014, 8, 20), date(2026, 9, 1)) == 8
    later = with_plan(date(2013, 8, 20))
    assert refusal(later, "PhaseTransferIdentified", date(2025, 11, 3),
                   transfer_type="primary_to_secondary", transfer_on=date(2026, 9, 1)) == \
        "phase-transfer-year-group"
