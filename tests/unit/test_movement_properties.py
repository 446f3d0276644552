"""Properties of the transfer clocks over arbitrary dates (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Actor
from domain.calendar import DEFAULT_COUNTING, months_beginning_with
from domain.journey import ChildJourney

LA = Actor("officer-1", "caseworker", "LA-900")
TODAY = date(2040, 1, 1)
days = st.dates(min_value=date(2016, 1, 1), max_value=date(2028, 12, 31))


def journey_with_plan(transferred_on: date, made_on: date,
                      last_reviewed_on: date | None = None) -> ChildJourney:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=date(2012, 5, 5),
                                    actor=LA, occurred_on=transferred_on, today=TODAY)
    journey.record("PlanTransferredIn", {"old_la": "LA-100", "original_made_on": made_on,
                                         "last_reviewed_on": last_reviewed_on},
                   actor=LA, occurred_on=transferred_on, today=TODAY)
    return journey


def working_days_from(start: date, end: date) -> int:
    """Count working days from ``start`` to ``end``, both included."""
    return sum(DEFAULT_COUNTING.is_working_day(start + timedelta(days=n))
               for n in range(0, (end - start).days + 1))


@pytest.mark.proves("K15")
@settings(max_examples=60, deadline=None)
@given(aware_on=days, notice=st.integers(min_value=0, max_value=60))
def test_old_la_has_until_the_move_and_at_least_15_working_days(aware_on: date,
                                                                notice: int) -> None:
    """Reg 15(2): the transfer is never due before the move day, nor before the end of 15
    working days beginning with the day the old LA became aware; aware 15 working days
    before the move, it is due on the day."""
    move_on = aware_on + timedelta(days=notice)
    journey = journey_with_plan(date(2015, 9, 1), date(2015, 6, 1))
    journey.record("MoveNotified", {"move_on": move_on, "new_la": "LA-300"}, actor=LA,
                   occurred_on=aware_on, today=TODAY)

    [k15] = [r for r in journey.clocks(TODAY) if r.clock == "K15"]
    assert k15.due_on is not None
    assert k15.due_on >= move_on
    assert working_days_from(aware_on, k15.due_on) >= 15
    if working_days_from(aware_on, move_on - timedelta(days=1)) >= 15:
        assert k15.due_on == move_on
    else:  # the 15th working day counting the day of becoming aware as the first
        assert working_days_from(aware_on, k15.due_on) == 15
        assert DEFAULT_COUNTING.is_working_day(k15.due_on)


@pytest.mark.proves("K17")
@settings(max_examples=60, deadline=None)
@given(made_on=days, review_gap=st.integers(min_value=0, max_value=900),
       transfer_gap=st.integers(min_value=0, max_value=900), reviewed=st.booleans())
def test_new_la_review_is_due_at_the_later_of_the_two_limits(
        made_on: date, review_gap: int, transfer_gap: int, reviewed: bool) -> None:
    """Reg 15(5): the later of the ends of 12 months beginning with the plan being made or
    last reviewed and of 3 months beginning with the transfer."""
    last_reviewed_on = made_on + timedelta(days=review_gap) if reviewed else None
    transferred_on = (last_reviewed_on or made_on) + timedelta(days=transfer_gap)
    journey = journey_with_plan(transferred_on, made_on, last_reviewed_on)

    [k17] = [r for r in journey.clocks(TODAY) if r.clock == "K17"]
    twelve = months_beginning_with(last_reviewed_on or made_on, 12)
    three = months_beginning_with(transferred_on, 3)
    assert k17.due_on == max(twelve, three)
    assert journey.state.plan.made_on == made_on
