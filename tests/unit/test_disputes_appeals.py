"""Appeals to the First-tier Tribunal: the appeal window (K21) and registration rules."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import DEFAULT_COUNTING, sen_appeal_deadline
from domain.catalogue.disputes import appeal_window_open_on
from domain.clocks import ClockStatus
from domain.journey import ChildJourney
from domain.responsibility import Body
from tests.unit.test_disputes_mediation import clock, record, refusal, refused_assessment


def certified(journey: ChildJourney, decision: str, on: date) -> None:
    """Record contact, declined mediation and the certificate, all on ``on``."""
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, on)
    record(journey, "MediationDeclined", {"decision_id": decision}, on)
    record(journey, "MediationCertificateIssued",
           {"decision_id": decision, "certificate_type": "declined"}, on)


@pytest.mark.proves("K21")
def test_an_appeal_deadline_in_august_moves_to_the_first_working_day_of_september() -> None:
    # r.20 and r.12(3)(a): notified 10 June 2024 -> 2 months = Saturday 10 August 2024 ->
    # the first working day after 31 August, Monday 2 September 2024.
    journey, decision = refused_assessment(date(2024, 6, 10))
    certified(journey, decision, date(2024, 7, 3))  # certificate + 1 month = 3 August
    reading = clock(journey, "K21", decision, date(2024, 8, 20))
    assert (reading.due_on, reading.status) == (date(2024, 9, 2), ClockStatus.RUNNING)
    assert reading.responsible is Body.FAMILY
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/1"},
           date(2024, 9, 2))
    reading = clock(journey, "K21", decision, date(2024, 9, 3))
    assert (reading.stopped_on, reading.status) == (date(2024, 9, 2), ClockStatus.MET)


@pytest.mark.proves("K21")
def test_a_certificate_issued_late_extends_the_window_to_one_month_after_it() -> None:
    # Notified 15 January 2024 -> 15 March 2024; certificate 4 March -> 4 April 2024, later.
    journey, decision = refused_assessment(date(2024, 1, 15))
    assert clock(journey, "K21", decision, date(2024, 2, 1)).due_on == date(2024, 3, 15)
    certified(journey, decision, date(2024, 3, 4))
    assert clock(journey, "K21", decision, date(2024, 3, 20)).due_on == date(2024, 4, 4)
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/2"},
           date(2024, 4, 4))
    assert clock(journey, "K21", decision, date(2024, 4, 5)).status is ClockStatus.MET


@pytest.mark.proves("K21")
def test_an_early_certificate_leaves_the_two_month_deadline_in_place() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))  # + 1 month = 20 February, earlier
    assert clock(journey, "K21", decision, date(2024, 2, 1)).due_on == date(2024, 3, 15)


@pytest.mark.proves("K21")
def test_an_appeal_deadline_from_25_december_to_1_january_moves_past_new_year() -> None:
    # Notified 25 October 2024 -> 25 December 2024 -> Thursday 2 January 2025.
    journey, decision = refused_assessment(date(2024, 10, 25))
    assert clock(journey, "K21", decision, date(2024, 11, 1)).due_on == date(2025, 1, 2)


@pytest.mark.parametrize(("due", "moved"), [
    (date(2024, 8, 10), date(2024, 9, 2)),    # August: first working day of September
    (date(2025, 8, 29), date(2025, 9, 1)),
    (date(2024, 12, 25), date(2025, 1, 2)),   # Christmas to New Year: after 1 January
    (date(2025, 1, 1), date(2025, 1, 2)),
    (date(2026, 12, 28), date(2027, 1, 4)),   # 2 and 3 January 2027 are a weekend
    (date(2024, 11, 16), date(2024, 11, 18)),  # a Saturday: the next working day (r.12(2))
    (date(2024, 3, 29), date(2024, 4, 2)),    # Good Friday and Easter Monday
    (date(2024, 7, 31), date(2024, 7, 31)),   # a working day stays put
])
@pytest.mark.proves("K21")
def test_sen_appeal_deadline_follows_rule_12(due: date, moved: date) -> None:
    assert sen_appeal_deadline(due) == moved


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)))
@pytest.mark.proves("K21")
def test_an_appeal_deadline_is_never_earlier_in_august_or_at_new_year_or_a_holiday(
        due: date) -> None:
    moved = sen_appeal_deadline(due)
    assert moved >= due
    assert DEFAULT_COUNTING.is_working_day(moved)
    assert moved.month != 8
    assert not (moved.month == 12 and moved.day >= 25) and moved != date(moved.year, 1, 1)
    assert (moved - due).days <= 34  # 1 August can move to early September


@pytest.mark.proves("K21")
def test_an_appeal_window_that_lapses_unused_is_no_ones_breach() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    assert clock(journey, "K21", decision, date(2024, 3, 16)).status is \
        ClockStatus.NOT_APPLICABLE
    assert appeal_window_open_on(journey.state, date(2024, 3, 15))
    assert not appeal_window_open_on(journey.state, date(2024, 3, 16))


@pytest.mark.proves("K21", "appeal-out-of-time")
def test_an_appeal_the_tribunal_admitted_late_shows_the_window_as_late() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/3",
                                         "late_permitted": True}, date(2024, 4, 2))
    assert clock(journey, "K21", decision, date(2024, 4, 3)).status is ClockStatus.LATE
    assert journey.state.disputes.appeals[0].late_permitted


@pytest.mark.proves("appeal-out-of-time")
def test_an_appeal_after_the_window_without_permission_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": decision, "tribunal_ref": "SE999/24/4"},
                   date(2024, 3, 18)) == "appeal-out-of-time"


@pytest.mark.proves("appeal-needs-mediation-certificate")
def test_an_appeal_without_a_mediation_certificate_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    record(journey, "MediationAdviserContacted", {"decision_id": decision}, date(2024, 1, 20))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": decision, "tribunal_ref": "SE999/24/5",
                    "sections_challenged": ["B", "F"]}, date(2024, 2, 1)) == \
        "appeal-needs-mediation-certificate"


@pytest.mark.proves("appeal-needs-mediation-certificate", "K19")
def test_an_appeal_only_about_section_i_needs_no_certificate_nor_adviser_contact() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/6",
                                         "sections_challenged": ["I"]}, date(2024, 2, 1))
    assert journey.state.disputes.appeal_pending()
    k19 = clock(journey, "K19", decision, date(2024, 6, 1))
    assert (k19.status, k19.stopped_on) == (ClockStatus.NOT_APPLICABLE, date(2024, 2, 1))


@pytest.mark.proves("appeal-already-registered")
def test_a_second_open_appeal_against_the_same_decision_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/7"},
           date(2024, 2, 1))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": decision, "tribunal_ref": "SE999/24/8"},
                   date(2024, 2, 2)) == "appeal-already-registered"


@pytest.mark.proves("appeal-type-mismatch")
def test_an_appeal_type_that_is_not_the_decisions_kind_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": decision, "tribunal_ref": "SE999/24/9",
                    "appeal_type": "cease"}, date(2024, 2, 1)) == "appeal-type-mismatch"


@pytest.mark.proves("dispute-needs-appealable-decision")
def test_an_appeal_against_no_recorded_decision_is_refused() -> None:
    journey, _ = refused_assessment(date(2024, 1, 15))
    assert refusal(journey, "AppealRegistered",
                   {"decision_id": "decision-42", "tribunal_ref": "SE999/24/10"},
                   date(2024, 2, 1)) == "dispute-needs-appealable-decision"


@pytest.mark.proves("appeal-must-be-open")
def test_withdrawing_an_appeal_twice_is_refused() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/11"},
           date(2024, 2, 1))
    record(journey, "AppealWithdrawn", {"tribunal_ref": "SE999/24/11"}, date(2024, 3, 1))
    assert not journey.state.disputes.appeal_pending()
    assert journey.state.disputes.appeals[0].outcome == "withdrawn"
    assert refusal(journey, "AppealWithdrawn", {"tribunal_ref": "SE999/24/11"},
                   date(2024, 3, 2)) == "appeal-must-be-open"


@pytest.mark.proves("appeal-must-be-open")
def test_conceding_an_appeal_that_was_never_registered_is_refused() -> None:
    journey, _ = refused_assessment(date(2024, 1, 15))
    assert refusal(journey, "AppealConceded", {"tribunal_ref": "SE999/24/12",
                                               "terms": "consent order ref CO-1"},
                   date(2024, 3, 2)) == "appeal-must-be-open"


def test_a_conceded_appeal_is_no_longer_pending() -> None:
    journey, decision = refused_assessment(date(2024, 1, 15))
    certified(journey, decision, date(2024, 1, 20))
    record(journey, "AppealRegistered", {"decision_id": decision, "tribunal_ref": "SE999/24/13"},
           date(2024, 2, 1))
    assert journey.state.disputes.appeal_pending()
    record(journey, "AppealConceded", {"tribunal_ref": "SE999/24/13", "terms": "ref CO-2"},
           date(2024, 3, 1))
    assert not journey.state.disputes.appeal_pending()
