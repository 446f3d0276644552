"""Every question with a database-side counting path gives its definition's figures, on
SQLite and on PostgreSQL, for generated cohorts (a property-based test, hypothesis).

Each generated cohort is recorded through the domain (``ChildJourney``), projected into
the cohort tables by the projection's own row builder, and written to both stores. The
cohorts always hold every clock the database-counted questions declare they read
(``Question.reads``: K2, K4 through the request rows, K7, K17) and the journeys that
move them: late and on-time advice, plans issued in and past week 20, exception claims,
transfers in (K16, K17), annual reviews, corrections of a date, retractions, and steps
recorded long after they happened (the projection's day drawn apart from the days
asked about). The definition is ``answer`` over every row of the authority, counted in
Python (``Unnarrowed``); the database path is the store itself: on PostgreSQL its SQL
counting (``SQL_RECORDS``, the area picture's plan counts, late episodes and late
advice), on SQLite the narrowing of each fetch in SQL (``Question.scope``). The test
prints, and records as test properties, how many cohorts and children it compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from application.reports import QUESTIONS, Cohort, answer, area_picture
from domain.actors import Actor
from domain.errors import DomainError
from domain.journey import ChildJourney
from infrastructure.cohort import COHORT_TABLES, SQL_RECORDS, SQLCohortReports, cohort_rows
from infrastructure.cohort.sql_records import TABLE_READS
from infrastructure.migrations import upgrade
from infrastructure.readmodels import make_engine
from infrastructure.tracking import ReadModelDatabase, insert_rows
from tests.integration.test_report_scopes import Unnarrowed
from tests.postgres import fresh_schema

AUTHORITY = "LA-990"
CASEWORKER = Actor("caseworker-1", "caseworker", AUTHORITY)
MANAGER = Actor("manager-1", "manager", AUTHORITY)
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
SECTIONS = {"A": "Likes trains.", "B": [{"need": "SLCN", "description": "Speech delay"}],
            "F": [{"need": "SLCN", "provision": "Therapy weekly", "quantified": True}]}
FIRST_DAY = date(2023, 9, 4)  # a Monday; requests fall on Mondays from here
# The days a generated cohort is asked about (as_at), and its projection days.
ASKED = [date(2024, 6, 30), date(2025, 1, 31), date(2025, 9, 30)]
PROJECTED = [date(2025, 6, 30), date(2025, 12, 31), date(2026, 3, 31)]
# What the run compared, reported at its end.
COMPARED = {"cohorts": 0, "children": 0, "answers": 0}


@dataclass(frozen=True)
class NewPlan:
    """A request and what became of it: advice, a plan or not, a review, and fixes."""

    received_week: int
    decided_after: int  # days
    advice_after: tuple[int, int]  # days each advice took, Educational and Medical
    final_after: int | None  # days from the request to the final plan (None: not yet)
    exception: bool
    reviewed_after: int | None  # days from the plan to its first review
    corrected_by: int  # days the request date moves by correction (0: none)
    retract: bool
    recorded_late: int  # days after it happened the final plan was recorded


@dataclass(frozen=True)
class TransferIn:
    """A plan transferred in from another LA (reg 15): its notice and first review."""

    on_week: int
    made_months_before: int
    reviewed_months_before: int | None
    notice_after: int | None
    reviewed_after: int | None


new_plans = st.builds(
    NewPlan, received_week=st.integers(0, 56), decided_after=st.integers(20, 60),
    advice_after=st.tuples(st.integers(20, 70), st.integers(20, 70)),
    final_after=st.one_of(st.none(), st.integers(110, 200)), exception=st.booleans(),
    reviewed_after=st.one_of(st.none(), st.integers(250, 420)),
    corrected_by=st.sampled_from([0, 0, -14, -7, 7, 21]), retract=st.booleans(),
    recorded_late=st.sampled_from([0, 0, 40, 200]))
transfers = st.builds(
    TransferIn, on_week=st.integers(0, 90), made_months_before=st.integers(2, 30),
    reviewed_months_before=st.one_of(st.none(), st.integers(1, 11)),
    notice_after=st.one_of(st.none(), st.integers(10, 70)),
    reviewed_after=st.one_of(st.none(), st.integers(30, 200)))
cohorts = st.tuples(st.lists(new_plans, min_size=3, max_size=5),
                    st.lists(transfers, min_size=2, max_size=3),
                    st.sampled_from(PROJECTED))


class Journey:
    """One child's journey recorded in memory; a step the rules refuse is left out."""

    def __init__(self, born: date, registered_on: date, today: date) -> None:
        self.today = today
        self.child = ChildJourney.register(authority=AUTHORITY, date_of_birth=born,
                                           actor=CASEWORKER, occurred_on=registered_on,
                                           today=today)

    def rec(self, type_name: str, on: date, actor: Actor = CASEWORKER, **payload: Any
            ) -> int | None:
        if on > self.today:
            return None
        try:
            self.child.record(type_name, payload, actor=actor, occurred_on=on,
                              today=self.today)
        except DomainError:
            return None
        return self.child.version


def record_new_plan(spec: NewPlan, n: int, today: date) -> ChildJourney:
    received = FIRST_DAY + timedelta(weeks=spec.received_week)
    # The first child is under five when the plan is made: the under-fives' review (K7U).
    j = Journey(date(2021, 6, 1) if n == 0 else date(2012 + n % 10, 3, 1), received, today)
    request = j.rec("EHCNeedsAssessmentRequested", received, requester_role="Parent",
                    request_source="1")
    decided = received + timedelta(days=spec.decided_after)
    j.rec("DecisionToAssessMade", decided, assessment_test_met=True, reasons="May need a plan")
    asked = decided + timedelta(days=2)
    took_of = {"Parent": spec.advice_after[0], "Educational": spec.advice_after[0],
               "Psychological": spec.advice_after[1], "Medical": spec.advice_after[1]}
    for kind, took in took_of.items():
        extra = {"Medical": {"adviser_identified_by_icb": True}, "Psychological": {
            "adviser_is_educational_psychologist": True}}.get(kind, {})
        v = j.rec("AdviceRequested", asked, advice_type=kind, recipient_org=f"org-{kind}",
                  received_by_adviser_on=asked, **extra)
        if v is not None:
            j.rec("AdviceReceived", asked + timedelta(days=took),
                  advice_request_id=f"advice-{v}", author="adviser", document_ref=f"doc-{v}")
    j.rec("ExistingAdviceAdopted", asked, advice_type="SocialCare", document_ref="doc-sc",
          adviser="social care", adviser_agreed=True, la_agreed=True, family_agreed=True)
    claim = None
    if spec.exception:
        claim = j.rec("TimescaleExceptionClaimed", received + timedelta(weeks=15), clock="K4",
              ground="exceptional_personal_circumstances",
              period_from=received + timedelta(weeks=14),
              period_to=received + timedelta(weeks=18), family_informed=True)
    if spec.final_after is not None:
        final_on = received + timedelta(days=spec.final_after)
        j.today = max(today, final_on + timedelta(days=spec.recorded_late)) \
            if spec.recorded_late else today
        j.rec("DecisionToIssuePlanMade", final_on - timedelta(days=21),
              necessity_reasons="Needs cannot be met from SEN support")
        j.rec("DraftPlanIssued", final_on - timedelta(days=21), sections=SECTIONS | {"I": {}})
        j.rec("FinalPlanIssued", final_on, sections=SECTIONS | {"I": {
            "setting_ref": "urn-100001", "setting_type": "MAINSTREAM_LA"}},
              notice_includes=NOTICE, recipients=["family", "icb", "setting"])
        j.today = today
        if spec.reviewed_after is not None:
            held = final_on + timedelta(days=spec.reviewed_after)
            j.rec("AnnualReviewScheduled", held - timedelta(days=30), due_by=held,
                  review_type="annual", organiser="local_authority")
            j.rec("ReviewMeetingHeld", held, attendees=["parent", "senco"],
                  pfa_discussed=True)
    correction = None
    if spec.corrected_by and request is not None:
        correction = j.rec("EntryCorrected", min(today, received + timedelta(weeks=30)), MANAGER,
              target_version=request, reason="date misread",
              changes={"occurred_on": received + timedelta(days=spec.corrected_by)})
    retracted = claim or correction  # a claim withdrawn from the record, or a fix undone
    if spec.retract and retracted is not None:
        j.rec("EntryRetracted", min(today, received + timedelta(weeks=31)), MANAGER,
              target_version=retracted, reason="recorded in error")
    return j.child


def record_transfer(spec: TransferIn, n: int, today: date) -> ChildJourney:
    on = FIRST_DAY + timedelta(weeks=spec.on_week)
    j = Journey(date(2010 + n % 8, 7, 1), on, today)
    made = on - timedelta(days=30 * spec.made_months_before)
    reviewed = on - timedelta(days=30 * spec.reviewed_months_before) \
        if spec.reviewed_months_before is not None else None
    j.rec("PlanTransferredIn", on, old_la="LA-877", original_made_on=made,
          last_reviewed_on=reviewed if reviewed and reviewed > made else None,
          named_setting="urn-100002", setting_type="MAINSTREAM_ACADEMY")
    if spec.notice_after is not None:
        j.rec("TransferNoticeIssued", on + timedelta(days=spec.notice_after),
              will_assess=False)
    if spec.reviewed_after is not None:
        held = on + timedelta(days=spec.reviewed_after)
        j.rec("AnnualReviewScheduled", held - timedelta(days=30), due_by=held,
              review_type="annual", organiser="local_authority")
        j.rec("ReviewMeetingHeld", held, attendees=["parent", "senco"], pfa_discussed=True)
    return j.child


def cohort_tables(plans: list[NewPlan], moves: list[TransferIn], today: date
                  ) -> dict[type, list[dict[str, Any]]]:
    # The first request always ends in a plan, so an annual review (K7) always runs.
    plans = [replace(plans[0], decided_after=30, advice_after=(30, 35), corrected_by=0,
                     retract=False, final_after=max(plans[0].final_after or 0, 140)),
             *plans[1:]]
    journeys = [record_new_plan(p, n, today) for n, p in enumerate(plans)]
    journeys += [record_transfer(t, n, today) for n, t in enumerate(moves)]
    tables: dict[type, list[dict[str, Any]]] = {t: [] for t in COHORT_TABLES}
    for position, journey in enumerate(journeys, start=1):
        rows = cohort_rows(journey, position, today)
        tables[COHORT_TABLES[0]].append(rows.child)
        for table, found in zip(COHORT_TABLES[1:], (rows.requests, rows.disputes,
                                                     rows.facts), strict=True):
            found_rows: list[dict[str, Any]] = found
            tables[table].extend(found_rows)
    return tables


def declared_reads_present(tables: dict[type, list[dict[str, Any]]]) -> set[str]:
    """The kinds of fact (and tables) in the generated rows."""
    present = {f["kind"] for f in tables[COHORT_TABLES[3]]}
    if tables[COHORT_TABLES[1]]:
        present.add("requests")
    if tables[COHORT_TABLES[2]]:
        present.add("disputes")
    return present


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, postgres_url: str
            ) -> Iterator[dict[str, Engine]]:
    """A SQLite file and a PostgreSQL schema, each with the cohort tables."""
    sqlite = make_engine(f"sqlite:///{tmp_path_factory.mktemp('parity') / 'rm.db'}")
    with fresh_schema(postgres_url) as url:
        postgres = ReadModelDatabase.beside(url, Path(".")).engine()
        for engine in (sqlite, postgres):
            upgrade(engine)
        yield {"sqlite": sqlite, "postgres": postgres}
        postgres.dispose()
    sqlite.dispose()


def replace_rows(engine: Engine, tables: dict[type, list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for table in COHORT_TABLES:
            conn.execute(delete(table))
        for table in COHORT_TABLES:
            insert_rows(conn, table, tables[table])


def compare(store: SQLCohortReports, check: Callable[[Any, Any, str], None]) -> int:
    """Answer each database-counted question (and the area picture) through the store
    and by its definition over every row; return how many answers were compared."""
    everything = Unnarrowed(store)
    answers = 0
    for question in SQL_RECORDS:
        for as_at in ASKED:
            own = QUESTIONS[question].dimensions[-1]  # its own dimension, else the last
            for cohort in (Cohort(AUTHORITY, as_at, breakdown="age_band"),
                           Cohort(AUTHORITY, as_at, period_from=date(2024, 1, 1),
                                  period_to=date(2024, 12, 31), breakdown=own)):
                check(answer(store, question, cohort), answer(everything, question, cohort),
                      f"{question} {cohort}")
                answers += 1
    for year, as_at in ((2024, date(2025, 3, 31)), (2025, date(2025, 12, 31))):
        check(area_picture(store, AUTHORITY, year, as_at=as_at),
              area_picture(everything, AUTHORITY, year, as_at=as_at), f"area {year}")
        answers += 1
    return answers


@pytest.mark.postgres
def test_database_counting_gives_the_definitions_figures_on_both_stores(
        engines: dict[str, Engine], record_property: Callable[[str, object], None]) -> None:
    wanted = {k for q in SQL_RECORDS for k in QUESTIONS[q].reads} - set(TABLE_READS)
    seen: set[str] = set()

    def same(got: Any, expected: Any, what: str) -> None:
        assert got == expected, what

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(cohorts)
    def counted_alike(drawn: tuple[list[NewPlan], list[TransferIn], date]) -> None:
        plans, moves, today = drawn
        tables = cohort_tables(plans, moves, today)
        present = declared_reads_present(tables)
        # Every clock the database-counted questions read is in every cohort.
        assert wanted <= present, wanted - present
        seen.update(present)
        for engine in engines.values():
            replace_rows(engine, tables)
            COMPARED["answers"] += compare(SQLCohortReports(engine), same)
        COMPARED["cohorts"] += 1
        COMPARED["children"] += len(tables[COHORT_TABLES[0]])

    counted_alike()
    # The generated journeys moved the facts the questions are sensitive to.
    assert {"exception_claim", "correction", "K16", "K17", "K7"} <= seen, seen
    summary = (f"compared {COMPARED['cohorts']} cohorts, {COMPARED['children']} children, "
               f"{COMPARED['answers']} answers on SQLite and PostgreSQL")
    print(summary)
    for key, value in COMPARED.items():
        record_property(f"parity_{key}", value)
    assert COMPARED["cohorts"] >= 15
