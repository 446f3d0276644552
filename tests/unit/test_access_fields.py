"""Corrections never change who may see or do what (issue 12.1): the journey's authority,
the case's assignment and legal holds change only by their own events."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.actors import Actor
from domain.catalogue.registration import EntryCorrected
from domain.errors import RuleViolationError
from domain.journey import ChildJourney
from domain.state import replay

TODAY = date(2025, 6, 30)
MANAGER = Actor(user_id="mgr-1", role="manager", organisation="LA-901")


def new_journey() -> ChildJourney:
    return ChildJourney.register(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                 actor=MANAGER, occurred_on=date(2023, 9, 1), today=TODAY,
                                 case_ref="AF-1")


@pytest.mark.proves("access-field-not-correctable")
def test_a_correction_of_the_authority_is_refused_by_its_rule() -> None:
    journey = new_journey()
    with pytest.raises(RuleViolationError) as refused:
        journey.record("EntryCorrected", {"target_version": 1, "reason": "moved",
                                          "changes": {"authority": "LA-902"}},
                       actor=MANAGER, occurred_on=TODAY, today=TODAY)
    assert refused.value.code == "access-field-not-correctable"
    assert journey.version == 1
    assert journey.state.child is not None and journey.state.child.authority == "LA-901"


def test_a_stored_correction_of_the_authority_does_not_move_the_child() -> None:
    """A log written before the rule may hold one: the fold keeps the registration's
    authority, so the read side and access control still agree."""
    journey = new_journey()
    journey.record("EntryCorrected", {"target_version": 1, "reason": "typo",
                                      "changes": {"case_ref": "AF-2"}},
                   actor=MANAGER, occurred_on=TODAY, today=TODAY)
    stored = journey.log[-1]
    assert isinstance(stored, EntryCorrected)
    forged = dataclasses.replace(stored, changes={"case_ref": "AF-3", "authority": "LA-902"})
    state = replay([journey.log[0], forged])
    assert state.child is not None
    assert (state.child.authority, state.child.case_ref) == ("LA-901", "AF-3")
    assert journey.authority == "LA-901"


# Issue 12.13: a date of birth is bounded to a plausible range.


@pytest.mark.proves("date-of-birth-implausible")
@pytest.mark.parametrize("born", [date(1, 1, 1), date(1975, 1, 1), date(1997, 9, 1)])
def test_an_implausible_date_of_birth_is_refused(born: date) -> None:
    with pytest.raises(RuleViolationError) as refused:
        ChildJourney.register(authority="LA-901", date_of_birth=born, actor=MANAGER,
                              occurred_on=date(2023, 9, 1), today=TODAY)
    assert refused.value.code == "date-of-birth-implausible"


def test_a_young_person_of_25_may_be_registered_and_not_corrected_to_an_implausible_age(
        ) -> None:
    journey = ChildJourney.register(authority="LA-901", date_of_birth=date(1997, 9, 2),
                                    actor=MANAGER, occurred_on=date(2023, 9, 1), today=TODAY)
    with pytest.raises(RuleViolationError) as refused:
        journey.record("EntryCorrected", {"target_version": 1, "reason": "typo",
                                          "changes": {"date_of_birth": date(1, 1, 1)}},
                       actor=MANAGER, occurred_on=TODAY, today=TODAY)
    assert refused.value.code == "date-of-birth-implausible"
    assert journey.version == 1
