"""A clock's status as at a day has one definition (``domain.clocks.status_on``): the
journey's readings, the list's clocks and ``overdue_clocks``, and the list's ``overdue``
filter agree, on both stores, whenever the summary row was projected.

The journey: a request received Mon 6 Jan 2025 and a decision to assess on Mon 10 Feb.
K3 (notice of a decision not to issue, reg 10(1)) is due 16 weeks on, Mon 28 Apr; it
binds only a decision not to issue, so undecided past that day it is still running, never
overdue. K4 (the final plan, reg 13(2)) is due 20 weeks on, Mon 26 May; open after that
day it is late.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine

from application.queries import ChildFilter
from application.views import journey_view_at
from domain.actors import Actor
from domain.clocks import compute_clocks, overdue_on, status_on
from domain.journey import ChildJourney
from infrastructure.readmodels import CaseClock, CaseSummary, SQLReadModels
from infrastructure.summaries import case_rows
from infrastructure.tracking import insert_rows

AUTHORITY = "LA-971"
CASEWORKER = Actor("caseworker-1", "caseworker", AUTHORITY)
PROJECTED_ON = date(2025, 2, 10)
K3_DUE, K4_DUE = date(2025, 4, 28), date(2025, 5, 26)
ASKED_ON = date(2025, 6, 2)  # past both due dates


def journey() -> ChildJourney:
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=CASEWORKER, occurred_on=date(2025, 1, 6),
                                  today=PROJECTED_ON)
    child.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                 "request_source": "1"},
                 actor=CASEWORKER, occurred_on=date(2025, 1, 6), today=PROJECTED_ON)
    child.record("DecisionToAssessMade", {"assessment_test_met": True,
                                          "reasons": "May need a plan"}, actor=CASEWORKER,
                 occurred_on=PROJECTED_ON, today=PROJECTED_ON)
    return child


@pytest.fixture
def engine(read_model_engine: Engine) -> Engine:
    return read_model_engine


def test_an_undecided_k3_past_week_16_is_running_on_every_surface_and_k4_past_week_20_late(
        engine: Engine) -> None:
    child = journey()
    rows = case_rows(child, 3, PROJECTED_ON)  # projected long before either due date
    with engine.begin() as conn:
        insert_rows(conn, CaseSummary, [rows.summary])
        insert_rows(conn, CaseClock, rows.clocks)
    lists = SQLReadModels(engine, "CaseTracking")
    view, _ = journey_view_at(child, ASKED_ON)
    assert view["next_due"]["clock"] == "K3"  # due soonest, and still running
    assert view["next_due"]["status"] == "running"
    [listed] = lists.children(ChildFilter(authority=AUTHORITY), ASKED_ON)
    status = {c["clock"]: c["status"] for c in listed["clocks"]}
    assert (status["K3"], status["K4"]) == ("running", "late")
    assert listed["overdue_clocks"] == ["K4"]
    assert lists.children(ChildFilter(authority=AUTHORITY, overdue_clock="K3"), ASKED_ON) == []
    assert [c["child_id"] for c in lists.children(
        ChildFilter(authority=AUTHORITY, overdue_clock="K4"), ASKED_ON)] == [str(child.id)]
    # Asked the day K4 fell due it is not yet overdue; the day after, it is.
    assert lists.children(ChildFilter(authority=AUTHORITY, overdue_clock="any"), K4_DUE) == []
    assert len(lists.children(ChildFilter(authority=AUTHORITY, overdue_clock="any"),
                              K4_DUE + timedelta(days=1))) == 1


def test_a_stored_reading_gives_the_status_the_clocks_give_on_every_later_day() -> None:
    child = journey()
    stored = {(r.clock, r.episode): r for r in compute_clocks(child.state, PROJECTED_ON)}
    day = PROJECTED_ON
    while day <= date(2025, 9, 1):
        for now in compute_clocks(child.state, day):
            then = stored[(now.clock, now.episode)]
            fields = {"due_on": then.due_on, "stopped_on": then.stopped_on,
                      "status": then.status, "exception_ground": then.exception_ground,
                      "day": day}
            assert status_on(now.clock, **fields) is now.status, (now.clock, day)
            assert overdue_on(now.clock, **fields) == (
                now.stopped_on is None and now.status.value.startswith("late")), now.clock
        day += timedelta(days=1)
