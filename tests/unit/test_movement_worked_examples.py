"""Worked examples for moving between LAs and commissioners (K15-K18) and for ceasing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.actors import Actor
from domain.clocks import ClockReading, ClockStatus
from domain.errors import RuleViolationError
from domain.journey import ChildJourney
from domain.responsibility import Body

LA = Actor("officer-1", "caseworker", "LA-900")
ICB = Actor("icb-1", "commissioner", "ICB-QWE")
TODAY = date(2026, 6, 1)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]


def journey_with_plan(*, born: date = date(2014, 3, 1), transferred_on: date = date(2023, 3, 1),
                      made_on: date = date(2022, 6, 1), last_reviewed_on: date | None = None
                      ) -> ChildJourney:
    journey = ChildJourney.register(authority="LA-900", date_of_birth=born, actor=LA,
                                    occurred_on=transferred_on, today=TODAY)
    record(journey, "PlanTransferredIn", transferred_on, old_la="LA-100",
           original_made_on=made_on, last_reviewed_on=last_reviewed_on,
           sen2_transfer_la="100")
    return journey


def record(journey: ChildJourney, type_name: str, day: date, *, actor: Actor = LA,
           **payload: Any) -> None:
    journey.record(type_name, payload, actor=actor, occurred_on=day, today=TODAY)


def clock(journey: ChildJourney, clock_id: str, today: date = TODAY) -> list[ClockReading]:
    return [r for r in journey.clocks(today) if r.clock == clock_id]


def moving_with_short_notice() -> ChildJourney:
    """Aware Thursday 17 April 2025, moving Tuesday 6 May 2025: 10 working days, because
    Good Friday, Easter Monday and the early May bank holiday do not count."""
    journey = journey_with_plan()
    record(journey, "MoveNotified", date(2025, 4, 17), move_on=date(2025, 5, 6),
           new_la="LA-300")
    return journey


@pytest.mark.proves("K15")
def test_move_with_10_working_days_notice_over_bank_holidays_is_due_15_working_days_on() -> None:
    """Reg 15(2): told less than 15 working days before, the old LA transfers "within 15
    working days beginning with the day on which it did become aware": Thursday 17 April
    2025 is working day 1; Good Friday 18 April, Easter Monday 21 April and the early May
    bank holiday on 5 May are not working days:
    17 Apr (1); 22-25 Apr (2-5); 28 Apr-2 May (6-10); 6-9 May (11-14); Mon 12 May (15).
    Due 12 May 2025, not the move day; 13 May is a day late."""
    on_time = moving_with_short_notice()
    record(on_time, "PlanTransferredOut", date(2025, 5, 12), new_la="LA-300")
    late = moving_with_short_notice()
    record(late, "PlanTransferredOut", date(2025, 5, 13), new_la="LA-300")

    [met] = clock(on_time, "K15")
    [missed] = clock(late, "K15")
    assert (met.started_on, met.due_on, met.status) == (date(2025, 4, 17), date(2025, 5, 12),
                                                        ClockStatus.MET)
    assert missed.status is ClockStatus.LATE
    assert on_time.state.status == "transferred_out"
    assert on_time.state.plan.ceased_on is None  # transfer is not ceasing


@pytest.mark.proves("K15")
def test_move_known_well_ahead_is_due_on_the_move_day() -> None:
    """Reg 15(2): told on 3 March 2025 of a move on 6 May 2025, transfer on the day."""
    journey = journey_with_plan()
    record(journey, "MoveNotified", date(2025, 3, 3), move_on=date(2025, 5, 6),
           new_la="LA-300")
    [running] = clock(journey, "K15", today=date(2025, 5, 6))
    assert (running.due_on, running.status) == (date(2025, 5, 6), ClockStatus.RUNNING)
    [late] = clock(journey, "K15", today=date(2025, 5, 7))
    assert late.status is ClockStatus.LATE


@pytest.mark.proves("K15", "journey-closed")
def test_transferred_out_journey_takes_no_more_events() -> None:
    journey = moving_with_short_notice()
    record(journey, "PlanTransferredOut", date(2025, 5, 13), new_la="LA-300")
    version = journey.version
    with pytest.raises(RuleViolationError) as raised:
        record(journey, "AnnualReviewScheduled", date(2025, 6, 1), due_by=date(2025, 7, 1),
               review_type="annual", organiser="local_authority")
    assert raised.value.code == "journey-closed"
    assert journey.version == version


@pytest.mark.proves("K16")
def test_new_la_notice_due_6_weeks_from_the_transfer() -> None:
    """Reg 15(4): transferred in 1 March 2023, the notice is due 12 April 2023."""
    met = journey_with_plan()
    record(met, "TransferNoticeIssued", date(2023, 4, 12), will_assess=False,
           review_on=date(2023, 5, 20))
    late = journey_with_plan()
    record(late, "TransferNoticeIssued", date(2023, 4, 13), will_assess=True)

    [on_time] = clock(met, "K16")
    [overdue] = clock(late, "K16")
    assert (on_time.due_on, on_time.status) == (date(2023, 4, 12), ClockStatus.MET)
    assert overdue.status is ClockStatus.LATE


@pytest.mark.proves("K17")
def test_new_la_review_three_months_from_transfer_when_that_is_later() -> None:
    """Reg 15(5): last reviewed 1 February 2024 (12 months beginning with it end on
    31 January 2025), transferred 2 December 2024 (3 months beginning with it end on
    1 March 2025, the day before the corresponding date 2 March) → due 1 March 2025."""
    journey = journey_with_plan(made_on=date(2023, 2, 1), last_reviewed_on=date(2024, 2, 1),
                                transferred_on=date(2024, 12, 2))
    [k17] = clock(journey, "K17", today=date(2025, 1, 15))
    assert (k17.due_on, k17.status) == (date(2025, 3, 1), ClockStatus.RUNNING)
    assert journey.state.plan.made_on == date(2023, 2, 1)
    assert journey.state.plan.current is not None
    assert journey.state.plan.current.source == "transfer_in"


@pytest.mark.proves("K17", "K7")
def test_new_la_review_12_months_from_last_review_when_that_is_later() -> None:
    """Reg 15(5): last reviewed 1 October 2024, transferred 2 December 2024: 12 months
    beginning with 1 October 2024 end on 30 September 2025, later than the 3 months
    beginning with the transfer (1 March 2025). A review on 30 September 2025 meets K17 on
    its last day and starts the next K7 period: 12 months starting with 30 September 2025
    end on 29 September 2026 (s.44(1))."""
    journey = journey_with_plan(made_on=date(2023, 2, 1), last_reviewed_on=date(2024, 10, 1),
                                transferred_on=date(2024, 12, 2))
    record(journey, "AnnualReviewScheduled", date(2025, 7, 1), due_by=date(2025, 10, 1),
           review_type="post_transfer", organiser="local_authority")
    record(journey, "ReviewMeetingHeld", date(2025, 9, 30), attendees=["parent"])

    [k17] = clock(journey, "K17")
    assert (k17.due_on, k17.stopped_on, k17.status) == (date(2025, 9, 30), date(2025, 9, 30),
                                                        ClockStatus.MET)
    [k7] = clock(journey, "K7")
    assert (k7.started_on, k7.due_on) == (date(2025, 9, 30), date(2026, 9, 29))


@pytest.mark.proves("K18")
def test_commissioning_change_notified_within_15_working_days() -> None:
    """Reg 16(2): aware Thursday 17 April 2025, working day 1 of the 15 working days
    beginning with it; Good Friday, Easter Monday and the early May bank holiday do not
    count, so day 15 is Monday 12 May 2025; responsibility lies with health."""
    met = journey_with_plan()
    record(met, "ResponsibleCommissioningBodyChanged", date(2025, 4, 17), actor=ICB,
           old_body="ICB-QWE", new_body="ICB-RTY", notified_on=date(2025, 5, 12))
    late = journey_with_plan()
    record(late, "ResponsibleCommissioningBodyChanged", date(2025, 4, 17), actor=ICB,
           old_body="ICB-QWE", new_body="ICB-RTY", notified_on=date(2025, 5, 13))

    [on_time] = clock(met, "K18")
    [overdue] = clock(late, "K18")
    assert (on_time.due_on, on_time.status, on_time.responsible) == (
        date(2025, 5, 12), ClockStatus.MET, Body.HEALTH)
    assert overdue.status is ClockStatus.LATE


def ceasing_decided(journey: ChildJourney, notified_on: date) -> ChildJourney:
    record(journey, "CeasingProposed", notified_on.replace(day=1), ground="no_longer_necessary",
           family_informed_on=notified_on.replace(day=1), family_consulted=True,
           head_consulted=True)
    record(journey, "CeaseDecisionIssued", notified_on, ground="no_longer_necessary",
           reasons="outcomes met", recipients=["family", "institution", "icb"],
           notice_includes=NOTICE, proposed_end_on=date(2025, 7, 18))
    return journey


@pytest.mark.proves("cease-appeal-window-open")
def test_plan_ceases_only_after_the_two_month_appeal_window() -> None:
    """Notified 3 February 2025: the family may appeal until 3 April 2025 (r.20), so the
    plan can cease from 4 April 2025 with SEN2 cease reason 2."""
    journey = ceasing_decided(journey_with_plan(born=date(2007, 3, 1)), date(2025, 2, 3))
    version = journey.version
    with pytest.raises(RuleViolationError) as raised:
        record(journey, "PlanCeased", date(2025, 4, 3), cease_reason="2")
    assert raised.value.code == "cease-appeal-window-open"
    assert journey.version == version

    record(journey, "PlanCeased", date(2025, 4, 4), cease_reason="2")
    assert (journey.state.status, journey.state.plan.ceased_on) == ("ceased",
                                                                    date(2025, 4, 4))
    assert [d.kind for d in journey.state.appealable_decisions] == ["cease_plan"]
