"""A child's looked-after status (Children Act 1989 s.22(1)): its periods, "as at" a day."""

from __future__ import annotations

from datetime import date

import pytest

from domain.actors import Actor
from domain.journey import ChildJourney
from domain.state import replay
from tests.unit.support import recorder

CASEWORKER = Actor("caseworker-1", "caseworker", "LA-999")
TODAY = date(2026, 6, 30)
record, refusal = recorder(CASEWORKER, TODAY)


def registered() -> ChildJourney:
    return ChildJourney.register(authority="LA-999", date_of_birth=date(2014, 5, 6),
                                 actor=CASEWORKER, occurred_on=date(2023, 1, 9), today=TODAY)


@pytest.mark.proves("looked-after-status-unchanged")
def test_looked_after_periods_are_kept_and_a_record_that_changes_nothing_is_refused() -> None:
    journey = registered()
    assert journey.state.child is not None
    assert not journey.state.child.looked_after_on(date(2024, 1, 1))
    # Not looked after yet: recording "not looked after" changes nothing.
    assert refusal(journey, "LookedAfterStatusRecorded", {"looked_after": False},
                   date(2024, 2, 5)) == "looked-after-status-unchanged"
    record(journey, "LookedAfterStatusRecorded", {"looked_after": True}, date(2024, 3, 4))
    assert refusal(journey, "LookedAfterStatusRecorded", {"looked_after": True},
                   date(2024, 6, 3)) == "looked-after-status-unchanged"
    record(journey, "LookedAfterStatusRecorded", {"looked_after": False}, date(2025, 1, 13))
    record(journey, "LookedAfterStatusRecorded", {"looked_after": True}, date(2025, 9, 1))
    child = journey.state.child
    assert [(p.start_on, p.end_on) for p in child.looked_after_periods] == [
        (date(2024, 3, 4), date(2025, 1, 13)), (date(2025, 9, 1), None)]
    # Looked after from the first day of a period up to the day before it ends.
    assert [child.looked_after_on(day) for day in (
        date(2024, 3, 3), date(2024, 3, 4), date(2025, 1, 12), date(2025, 1, 13),
        date(2025, 9, 1))] == [False, True, True, False, True]
    # As at a day, the state holds only the periods begun by then.
    then = replay(journey.log, as_at=date(2024, 12, 31)).child
    assert then is not None
    assert [(p.start_on, p.end_on) for p in then.looked_after_periods] == [
        (date(2024, 3, 4), None)]
