"""The reports' pushed-down filters and database counts never change an answer.

``application.reports`` narrows what it fetches (``SCOPES``, the area picture's own
scope, the store's SQL filters), and on PostgreSQL lets the database count some
questions and the area picture's late episodes (``SQLCohortReports.aggregate`` and
``late_episodes``), for speed. Each narrowing must keep every row the question's records
could keep, and each count must be the one the records give. Here a random cohort, its
dates crowded around the period and census edges, is written straight into the cohort
tables; every narrowed
question and the area picture are answered twice, through the store as it is and
through a store that ignores every narrowing filter and counts nothing itself (the
records are built and counted in Python), and the two answers must be equal.
On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest
from sqlalchemy import insert

from application.queries import AGE_BANDS
from application.reports import (
    NOT_RECORDED,
    QUESTIONS,
    SCOPES,
    Cohort,
    answer,
    area_picture,
)
from infrastructure.cohort import (
    SQL_RECORDS,
    CohortChild,
    CohortDispute,
    CohortFact,
    CohortRequest,
    SQLCohortReports,
)
from infrastructure.migrations import upgrade
from infrastructure.readmodels import make_engine
from tests.postgres import fresh_schema

pytest_plugins = ["tests.postgres"]

AUTHORITY = "LA-800"
# Days on and either side of the periods, as_at and census days asked about below.
EDGES = [date(2023, 12, 31), date(2024, 1, 1), date(2024, 3, 1), date(2024, 6, 30),
         date(2024, 7, 1), date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 16),
         date(2025, 1, 17), date(2025, 1, 31), date(2025, 2, 1), date(2025, 9, 30),
         date(2025, 12, 31), date(2026, 1, 15),
         date(2024, 7, 31), date(2024, 8, 31), date(2025, 2, 28)]  # six months before
# Children turning 5 on or beside the as_at days; reviews six months before them.
FIFTH_BIRTHDAYS = [date(2020, 1, 30), date(2020, 1, 31), date(2020, 2, 1), date(2020, 2, 28),
                   date(2020, 2, 29), date(2020, 3, 1)]
SIX_MONTHS_BEFORE = [date(2024, 7, 30), date(2024, 7, 31), date(2024, 8, 1), date(2024, 8, 28),
                     date(2024, 8, 29), date(2024, 8, 31)]
KINDS = ("K1", "K2", "K4", "K5", "K7", "K10", "K11", "K19", "K22", "exception_claim",
         "correction")
OUTCOMES = (None, None, "not_applicable", "holds", "withdrawn", "rejected:late_claim",
            "no_advice_asked_in_closure_window")


def _day(rng: random.Random, none: float = 0.2) -> date | None:
    if rng.random() < none:
        return None
    if rng.random() < 0.5:
        return rng.choice(EDGES) + timedelta(days=rng.choice((-1, 0, 0, 1)))
    return date(2023, 6, 1) + timedelta(days=rng.randrange(1000))


def _near(rng: random.Random, day: date | None, otherwise: date | None) -> date | None:
    """Often a day on or beside ``day`` (due dates met, missed or just made), else
    ``otherwise``."""
    if day is None or rng.random() < 0.4:
        return otherwise
    return day + timedelta(days=rng.choice((-1, 0, 0, 1)))


def cohort_rows(seed: int, children: int) -> dict[type, list[dict[str, Any]]]:
    rng = random.Random(seed)
    rows: dict[type, list[dict[str, Any]]] = {CohortChild: [], CohortRequest: [],
                                              CohortDispute: [], CohortFact: []}
    for n in range(children):
        child_id = f"child-{n:04d}"
        authority = AUTHORITY if rng.random() < 0.9 else "LA-801"
        rows[CohortChild].append({
            "child_id": child_id, "authority": authority,
            "date_of_birth": rng.choice(FIFTH_BIRTHDAYS) if rng.random() < 0.25 else
            date(2006, 1, 1) + timedelta(days=rng.randrange(7000)),
            "sex": rng.choice(("M", "F", None)), "ethnicity": rng.choice(("WBRI", "ASIA")),
            "primary_need": rng.choice(("ASD", "SLCN", None)),
            "setting_type": rng.choice(("MAINSTREAM_LA", None)),
            "requester": rng.choice(("Parent", "YoungPerson")), "status": "open",
            "plan_made_on": _day(rng, 0.3), "plan_ceased_on": _day(rng, 0.7),
            "cease_reason": rng.choice("123"), "transferred_out_on": _day(rng, 0.9),
            "position": n})
        request_ids = [f"request-{n}-{k}" for k in range(rng.randrange(3))]
        for request_id in request_ids:
            received = _day(rng, 0) or date(2024, 1, 1)
            final = _near(rng, received + timedelta(weeks=20), _day(rng, 0.4)) \
                if rng.random() < 0.7 else None
            rows[CohortRequest].append({
                "child_id": child_id, "request_id": request_id, "authority": authority,
                "received_on": received, "route": rng.choice(("request", "request",
                                                              "brought_to_attention")),
                "requester_role": rng.choice(("Parent", "SchoolOrPost16OnBehalf")),
                "request_source": "1", "rya": rng.random() < 0.2,
                "decision": rng.choice(("assess", "not_assess", None)),
                "decision_notified_on": _near(rng, received + timedelta(weeks=6),
                                              _day(rng, 0.3)),
                "withdrawn_on": _day(rng, 0.8),
                "issue_decision": rng.choice(("issue", "not_issue", None)),
                "issue_decision_on": _day(rng, 0.4), "no_plan_notified_on": _day(rng, 0.8),
                "final_issued_on": final, "k1_due_on": received + timedelta(weeks=6),
                "k4_due_on": received + timedelta(weeks=20),
                "k1_ground": rng.choice((None, None, "exceptional_personal_circumstances")),
                "k4_ground": rng.choice((None, None, "school_closure_window")),
                "mediation": rng.random() < 0.2, "tribunal": rng.random() < 0.1})
            for k in range(rng.randrange(4)):  # advice for this request, on time or late
                asked = received + timedelta(weeks=7)
                due = asked + timedelta(weeks=6)
                rows[CohortFact].append({
                    "child_id": child_id, "kind": "K2", "key": f"advice-{request_id}-{k}",
                    "authority": authority, "started_on": asked, "due_on": due,
                    "stopped_on": _near(rng, final, _near(rng, due, _day(rng, 0.3))),
                    "responsible": rng.choice(("local_authority", "health", "social_care",
                                               None)),
                    "exception_ground": None, "subject": rng.choice(("Medical", "Educational")),
                    "parent": request_id, "anchor_on": received + timedelta(weeks=20),
                    "outcome": None, "detail": {
                        "final_issued_on": final.isoformat() if final else None}})
        for k in range(rng.randrange(3)):
            rows[CohortDispute].append({
                "child_id": child_id, "decision_id": f"decision-{n}-{k}",
                "authority": authority,
                "kind": rng.choice(("refuse_assessment", "cease_plan", "plan_content")),
                "notified_on": _day(rng, 0) or date(2024, 1, 1),
                "adviser_contacted_on": _day(rng, 0.5), "mediation_requested_on":
                _day(rng, 0.5), "mediation_declined_on": _day(rng, 0.8),
                "mediation_held_on": _day(rng, 0.6),
                "mediation_outcome": rng.choice((None, "agreement")),
                "certificate_on": _day(rng, 0.6), "appeal_registered_on": _day(rng, 0.6),
                "appeal_closed_on": _day(rng, 0.7),
                "appeal_outcome": rng.choice((None, "allowed", "dismissed"))})
        for k in range(rng.randrange(12)):
            kind = rng.choice(KINDS)
            parent = rng.choice(request_ids) if request_ids and rng.random() < 0.8 else None
            started = _day(rng, 0) or date(2024, 1, 1)
            if kind == "K7" and rng.random() < 0.5:  # a review six months before as_at
                started = rng.choice(SIX_MONTHS_BEFORE)
            due = _near(rng, started + timedelta(weeks=6), _day(rng, 0)) \
                if kind not in ("K2", "K4", "K7") or rng.random() > 0.15 else None
            anchor = _day(rng, 0.2)
            final = _near(rng, anchor, _day(rng, 0.3))
            rows[CohortFact].append({
                "child_id": child_id, "kind": kind, "key": f"{kind}-{k}",
                "authority": authority, "started_on": started, "due_on": due,
                "stopped_on": _near(rng, due, _day(rng, 0.4)),
                "responsible": rng.choice(("local_authority", "health", "social_care", None)),
                "exception_ground": rng.choice((None, None, "school_closure_window")),
                "subject": rng.choice(("Educational", "Medical", "annual", "school_closure_"
                                       "window", None)),
                "parent": parent, "anchor_on": anchor,
                "outcome": rng.choice(OUTCOMES),
                "detail": {"final_issued_on": final.isoformat() if final else None,
                           "phase": rng.choice(("K2", "K4")),
                           "before": rng.choice(("late", "on_time", "absent")),
                           "after": rng.choice(("late", "on_time", "absent"))}})
    # Looked-after periods, some starting or ending on an as_at day (a generator of their
    # own, so the rows above stay as they were).
    care = random.Random(seed + 1)
    for child in rows[CohortChild]:
        if care.random() < 0.3:
            started = _day(care, 0) or date(2024, 1, 1)
            rows[CohortFact].append({
                "child_id": child["child_id"], "kind": "looked_after",
                "key": "looked-after-1", "authority": child["authority"],
                "started_on": started, "due_on": None,
                "stopped_on": _near(care, started + timedelta(days=200), _day(care, 0.5)),
                "responsible": None, "exception_ground": None, "subject": None,
                "parent": None, "anchor_on": None, "outcome": None, "detail": {}})
    return rows


class Unnarrowed:
    """The same store with every narrowing filter ignored: all of the authority's rows
    (only the due window and late-only filters the area picture always had are kept)."""

    def __init__(self, store: SQLCohortReports) -> None:
        self.store = store

    def children(self, authority: str, **_: Any) -> dict[str, dict[str, Any]]:
        return self.store.children(authority)

    def requests(self, authority: str, **_: Any) -> list[dict[str, Any]]:
        return self.store.requests(authority)

    def disputes(self, authority: str, **_: Any) -> list[dict[str, Any]]:
        return self.store.disputes(authority)

    def facts(self, authority: str, kinds: Iterable[str], *, due_from: date | None = None,
              due_to: date | None = None, late_only: bool = False, within: Sequence[Any] = (),
              **_: Any) -> list[dict[str, Any]]:
        return self.store.facts(authority, kinds, due_from=due_from, due_to=due_to,
                                late_only=late_only)


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[SQLCohortReports]:
    """The random cohort in a store of its own, written once per backend."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            path = tmp_path_factory.mktemp("scopes") / "readmodels.db"
            engine = make_engine(f"sqlite:///{path}")
        else:
            url = stack.enter_context(fresh_schema(request.getfixturevalue("postgres_url")))
            parts = urlsplit(url)
            schema = dict(parse_qsl(parts.query))["schema"]
            engine = make_engine(urlunsplit(parts._replace(
                scheme="postgresql+psycopg", query="")), schema=schema)
        stack.callback(engine.dispose)
        upgrade(engine)
        with engine.begin() as conn:
            for model, rows in cohort_rows(seed=11, children=400).items():
                conn.execute(insert(model), rows)
        yield SQLCohortReports(engine)


COHORTS = [
    Cohort(authority=AUTHORITY, as_at=date(2025, 1, 31), period_from=date(2024, 1, 1),
           period_to=date(2024, 12, 31)),
    Cohort(authority=AUTHORITY, as_at=date(2024, 6, 30), period_from=date(2024, 1, 1),
           period_to=date(2024, 12, 31)),
    Cohort(authority=AUTHORITY, as_at=date(2025, 9, 30)),
    Cohort(authority=AUTHORITY, as_at=date(2025, 12, 31), period_from=date(2024, 7, 1)),
    Cohort(authority=AUTHORITY, as_at=date(2025, 1, 31), period_to=date(2024, 6, 30),
           sex="F"),
    Cohort(authority=AUTHORITY, as_at=date(2025, 2, 28), age_band="under-5"),
    Cohort(authority=AUTHORITY, as_at=date(2025, 1, 1), looked_after="yes"),
]


def test_the_narrowed_questions_answer_as_if_every_row_were_read(
        store: SQLCohortReports) -> None:
    everything = Unnarrowed(store)
    compared = 0
    for question in SCOPES:
        for cohort in COHORTS:
            narrowed = answer(store, question, cohort)
            assert narrowed == answer(everything, question, cohort), (question, cohort)
            compared += narrowed["total"]["count"]
    assert compared > 500  # the cohort gives the questions something to count


def test_every_breakdown_and_pseudonyms_answer_the_same(store: SQLCohortReports) -> None:
    everything = Unnarrowed(store)

    def pseudonym(child_id: str) -> str:
        return "p-" + child_id[::-1]  # a different order from the ids'

    for question in SCOPES:
        for breakdown in QUESTIONS[question].dimensions:
            cohort = replace(COHORTS[0], breakdown=breakdown)
            narrowed = answer(store, question, cohort, pseudonym=pseudonym)
            assert narrowed == answer(everything, question, cohort, pseudonym=pseudonym), (
                question, breakdown)
            assert narrowed["groups"], (question, breakdown)
    # On PostgreSQL the database did count the questions it has a SQL form of.
    on_postgres = store.engine.dialect.name == "postgresql"
    for question in SCOPES:
        spec = QUESTIONS[question]
        counted = store.aggregate(
            question, authority=AUTHORITY, as_at=COHORTS[0].as_at, period_from=None,
            period_to=None, filters={}, breakdown=None, age_bands=AGE_BANDS,
            measures=[m for m, _ in spec.measures], values=spec.values)
        assert (counted is not None) == (on_postgres and question in SQL_RECORDS), question
    late = store.late_episodes(AUTHORITY, ["K1", "K2"], due_from=date(2024, 1, 1),
                               due_to=date(2024, 12, 31), as_at=date(2025, 1, 31))
    assert (late is not None) == on_postgres


@pytest.mark.parametrize(("year", "as_at", "census_on"), [
    (2024, date(2025, 6, 30), None), (2024, date(2024, 9, 30), None),
    (2025, date(2026, 3, 31), None), (2024, date(2025, 6, 30), date(2025, 2, 1)),
])
def test_the_area_picture_counts_as_if_every_row_were_read(
        store: SQLCohortReports, year: int, as_at: date, census_on: date | None) -> None:
    narrowed = area_picture(store, AUTHORITY, year, as_at=as_at, census_on=census_on)
    assert narrowed == area_picture(Unnarrowed(store), AUTHORITY, year, as_at=as_at,
                                    census_on=census_on)
    assert narrowed["requests"]["received"]["count"] > 0
    assert narrowed["active_plans"]["count"] > 0
    assert narrowed["delays"]["late_plans_by_body"]


def test_a_fact_not_on_the_record_is_grouped_as_not_recorded_never_none(
        store: SQLCohortReports) -> None:
    """Issue 15: a child without a recorded need, sex, setting type or cease reason was
    grouped under Python's "None" in the area picture (and a JSON null in a question's
    breakdown); on either store the group is ``not_recorded``."""
    picture = area_picture(store, AUTHORITY, 2024, as_at=date(2025, 6, 30))
    active, ceased = picture["active_plans"], picture["ceased_plans"]
    for groups in (active["by_primary_need"], active["by_setting_type"], active["by_sex"]):
        assert "None" not in groups
        assert groups[NOT_RECORDED]["count"] > 0
        assert sum(g["count"] for g in groups.values()) == active["count"]
    assert "None" not in ceased["by_reason"]
    for breakdown in ("primary_need", "sex", "setting_type"):
        cohort = replace(COHORTS[0], breakdown=breakdown)
        for question in ("timeliness", "equality"):
            keys = [g["key"] for g in answer(store, question, cohort)["groups"]]
            assert NOT_RECORDED in keys, (question, breakdown)
            assert None not in keys and "None" not in keys, (question, breakdown)
    # A question's own dimension keeps null where it means none: no exception claimed.
    grounds = answer(store, "timeliness", replace(COHORTS[0], breakdown="exception_ground"))
    assert None in [g["key"] for g in grounds["groups"]]
