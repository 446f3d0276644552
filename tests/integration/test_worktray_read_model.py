"""The work-tray read model stores what the domain's clocks decided and stays true as
days pass: rows projected on one day give, on every later day, the status, days late and
next due that the journey's own clocks give that day, on SQLite and PostgreSQL.

The journey (as tests/integration/test_clock_status_everywhere.py): a request received
Mon 6 Jan 2025 and a decision to assess on Mon 10 Feb. K3 is due 16 weeks on, Mon 28 Apr,
and binds only a decision not to issue (undecided past it, still running); K4, the final
plan, is due 20 weeks on, Mon 26 May, and is late once past.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from application.views import journey_view_at
from application.worktray import TrayFilter, work_tray
from domain.actors import Actor
from domain.journey import ChildJourney
from infrastructure.readmodels import SQLReadModels
from infrastructure.tracking import insert_rows
from infrastructure.worktray import TrayCase, TrayClock, tray_rows

AUTHORITY = "LA-971"
MANAGER = Actor("mgr-1", "manager", AUTHORITY)
WORKER = Actor("cw-9", "caseworker", AUTHORITY)
PROJECTED_ON = date(2025, 2, 10)


def journey() -> ChildJourney:
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=WORKER, occurred_on=date(2025, 1, 6),
                                  today=PROJECTED_ON, case_ref="TRAY-1")
    child.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                 "request_source": "1"},
                 actor=WORKER, occurred_on=date(2025, 1, 6), today=PROJECTED_ON)
    child.record("DecisionToAssessMade", {"assessment_test_met": True,
                                          "reasons": "May need a plan"}, actor=WORKER,
                 occurred_on=PROJECTED_ON, today=PROJECTED_ON)
    child.record("CaseAssigned", {"assigned_to": "cw-9", "assigned_organisation": AUTHORITY},
                 actor=MANAGER, occurred_on=PROJECTED_ON, today=PROJECTED_ON)
    return child


@pytest.fixture
def engine(read_model_engine: Engine) -> Engine:
    return read_model_engine


def project(engine: Engine, child: ChildJourney, on: date) -> None:
    rows = tray_rows(child, on)
    with engine.begin() as conn:
        insert_rows(conn, TrayCase, rows[TrayCase])
        insert_rows(conn, TrayClock, rows[TrayClock])


def test_rows_projected_once_give_the_journeys_next_due_on_every_later_day(
        engine: Engine) -> None:
    child = journey()
    project(engine, child, PROJECTED_ON)  # long before either due date
    store = SQLReadModels(engine, "CaseTracking")
    day = PROJECTED_ON
    while day <= date(2025, 7, 1):
        [item] = work_tray(store, actor=WORKER, where=TrayFilter(), today=day)["items"]
        view, _ = journey_view_at(child, day)
        assert item["next_due"] == view["next_due"], day
        expected_late = sorted((c for c in view["clocks"] if c["stopped_on"] is None
                                and c["status"] in ("late", "late_exception_applies")),
                               key=lambda c: c["clock"])
        assert sorted(item["late"], key=lambda c: c["clock"]) == expected_late, day
        day += timedelta(days=7)


def test_k4_past_week_20_is_late_by_the_days_since_and_k3_undecided_still_running(
        engine: Engine) -> None:
    project(engine, journey(), PROJECTED_ON)
    store = SQLReadModels(engine, "CaseTracking")
    asked = date(2025, 5, 29)  # Thursday, three days after K4's due date (Mon 26 May)
    [item] = work_tray(store, actor=WORKER, where=TrayFilter(), today=asked)["items"]
    assert [(c["clock"], c["days_late"]) for c in item["late"]] == [("K4", 3)]
    assert item["next_due"]["clock"] == "K3"  # due 28 Apr, soonest; never late while open
    assert item["next_due"]["status"] == "running"
    k4 = work_tray(store, actor=WORKER, where=TrayFilter(clock="K4"), today=asked)
    assert k4["items"][0]["next_due"]["due_on"] == date(2025, 5, 26)


def test_the_tray_holds_only_open_readings_and_the_holder_from_case_assigned(
        engine: Engine) -> None:
    child = journey()
    project(engine, child, PROJECTED_ON)
    with engine.connect() as conn:
        case = conn.execute(select(TrayCase.__table__)).mappings().one()
        clocks = sorted(conn.scalars(select(TrayClock.clock)))
    assert (case["assigned_to"], case["assigned_organisation"], case["case_ref"]) == (
        "cw-9", AUTHORITY, "TRAY-1")
    assert "K1" not in clocks  # met on 10 Feb: no longer anyone's work
    assert {"K3", "K4"} <= set(clocks)
    other = Actor("cw-10", "caseworker", AUTHORITY)
    store = SQLReadModels(engine, "CaseTracking")
    assert work_tray(store, actor=other, where=TrayFilter(), today=PROJECTED_ON)[
        "items"] == []


def test_a_reminder_names_the_adviser_the_case_the_due_date_and_where_it_comes_from(
        engine: Engine) -> None:
    """Psychological advice asked of an EP service, received by it on Wed 12 Mar 2025:
    K2 gives the adviser 6 weeks (reg 8); the reminder says so in words, with the due
    date the domain's K2 reading gives, and on a later day says how late it is."""
    from application.notifications import notifications
    from domain.clocks import compute_clocks

    child = journey()
    child.record("AdviceRequested", {
        "advice_type": "Psychological", "recipient_org": "EP-SERVICE-EAST",
        "received_by_adviser_on": date(2025, 3, 12),
        "adviser_is_educational_psychologist": True},
        actor=WORKER, occurred_on=date(2025, 3, 11), today=date(2025, 3, 12))
    project(engine, child, date(2025, 3, 12))
    store = SQLReadModels(engine, "CaseTracking")
    [k2] = [r for r in compute_clocks(child.state, date(2025, 3, 12)) if r.clock == "K2"]
    assert k2.due_on is not None
    due = f"{k2.due_on.day} {k2.due_on:%B %Y}"
    asked = k2.due_on - timedelta(days=3)
    [note] = [n for n in notifications(store, actor=WORKER, today=asked, within_days=14)[
        "items"] if n["clock"] == "K2"]
    assert note["message"] == (
        f"Advice from an adviser (EP-SERVICE-EAST) for TRAY-1 is due on {due} "
        f"(6 weeks from 12 March 2025; {k2.citation})")
    assert "reg 8" in note["message"]
    later = k2.due_on + timedelta(days=3)
    [late] = [n for n in notifications(store, actor=WORKER, today=later, within_days=0)[
        "items"] if n["clock"] == "K2"]
    assert late["kind"] == "late" and late["days_late"] == 3
    assert late["message"].startswith(
        "Advice from an adviser (EP-SERVICE-EAST) for TRAY-1 is late by 3 days: it was "
        f"due on {due}")


def test_the_tray_keeps_the_authoritys_local_readings_as_its_projection_is_set() -> None:
    """An authority reviewing on the anniversary (anniversary_reviews) sees K7A beside
    K7 in its tray, as on the journey page; by default it is not there."""
    from domain.clocks import LocalPolicy
    from tests.unit.test_counting_words import journey_with_plan

    child = journey_with_plan(date(2014, 3, 1), date(2024, 3, 15))
    plain = {r["clock"] for r in tray_rows(child, date(2025, 3, 1))[TrayClock]}
    local = {r["clock"] for r in tray_rows(child, date(2025, 3, 1), LocalPolicy(
        anniversary_reviews=True))[TrayClock]}
    assert "K7" in plain and "K7A" not in plain
    assert {"K7", "K7A"} <= local


def test_the_tray_keeps_a_phase_transfer_read_by_the_day_beside_k12() -> None:
    """An authority reading reg 18(1) "by" the day (phase_transfer_by_the_day) sees K12P,
    due 15 February 2025, beside K12 (14 February) in its tray; by default only K12."""
    from domain.clocks import LocalPolicy
    from tests.unit.test_reviews_worked_examples import journey_with_plan, record

    child = journey_with_plan()
    record(child, "PhaseTransferIdentified", date(2024, 10, 1),
           transfer_type="primary_to_secondary", transfer_on=date(2025, 9, 1))
    plain = {r["clock"]: r["due_on"] for r in tray_rows(child, date(2025, 1, 6))[TrayClock]}
    local = {r["clock"]: r["due_on"] for r in tray_rows(child, date(2025, 1, 6), LocalPolicy(
        phase_transfer_by_the_day=True))[TrayClock]}
    assert plain["K12"] == date(2025, 2, 14) and "K12P" not in plain
    assert (local["K12"], local["K12P"]) == (date(2025, 2, 14), date(2025, 2, 15))
