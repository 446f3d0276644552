"""Hand-built cohorts for the report tests: record journeys through ``CaseTracking``,
project the cohort read model, and ask ``application.reports`` about it.

Every child, reference and date is made up. Each test builds its own small cohort with
``World``: ``child`` registers a child under a label, ``rec`` records one event of that
child's journey (returning its version, which names episodes: ``advice-{v}``,
``decision-{v}``, ``referral-{v}``...), ``project`` brings the cohort tables up to date,
and ``ask`` / ``area`` answer a question as a manager (child ids) or an inspector
(pseudonyms).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from application import access
from application.reports import Cohort, ReportContext, area, ask
from application.tracking import CaseTracking
from domain.actors import Actor
from infrastructure.cohort import CohortProjection, SQLCohortReports
from infrastructure.migrations import upgrade
from infrastructure.persistence import event_store_env
from infrastructure.projections import ReadModelDatabase, ReadModelView, catch_up
from infrastructure.readmodels import SQLReadModels

AUTHORITY = "LA-931"
OTHER_AUTHORITY = "LA-932"
TODAY = date(2025, 6, 30)
INSPECTORATE = "OFSTED-CQC"
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
PSEUDONYM_KEY = b"test-report-pseudonyms"
# Calendar-year periods for cohort filters, and a day after them for "as at".
Y2024 = {"period_from": date(2024, 1, 1), "period_to": date(2024, 12, 31)}
Y2025 = {"period_from": date(2025, 1, 1), "period_to": date(2025, 12, 31)}
LATER = date(2025, 6, 30)


def pseudonym(child_id: str) -> str:
    return access.pseudonym(child_id, PSEUDONYM_KEY)  # the scheme every surface uses


class World:
    """One event store and read-model database, with the children recorded so far."""

    def __init__(self, env: dict[str, str], database: ReadModelDatabase) -> None:
        self.env = env
        self.app = CaseTracking(env=env, today=lambda: TODAY)
        self.engine = database.engine()
        upgrade(self.engine)
        self.store = SQLCohortReports(self.engine)
        self.ids: dict[str, UUID] = {}
        self.authority_of: dict[str, str] = {}
        self.inspecting = False

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()

    # Recording.

    def child(self, label: str, born: date, *, sex: str | None = None,
              ethnicity: str | None = None, on: date = date(2023, 1, 2),
              authority: str = AUTHORITY) -> str:
        actor = Actor("caseworker-1", "caseworker", authority)
        written = self.app.register_child(authority=authority, date_of_birth=born,
                                          actor=actor, occurred_on=on, sex=sex,
                                          ethnicity=ethnicity)
        self.ids[label] = written.child_id
        self.authority_of[label] = authority
        return str(written.child_id)

    def rec(self, label: str, type_name: str, on: date, *, role: str = "caseworker",
            **payload: Any) -> int:
        actor = Actor(f"{role}-1", role, self.authority_of[label])
        expected = None
        if type_name in ("EntryCorrected", "EntryRetracted"):
            expected = self.app.repository.get(self.ids[label]).version
        written = self.app.record_event(self.ids[label], type_name, payload, actor=actor,
                                        occurred_on=on, expected_version=expected)
        return written.version

    def id(self, *labels: str) -> list[str]:
        """The child ids of ``labels``, sorted as the reports list them."""
        return sorted(str(self.ids[label]) for label in labels)

    def pseudonyms(self, *labels: str) -> list[str]:
        return sorted(pseudonym(str(self.ids[label])) for label in labels)

    # Reading.

    def project(self) -> int:
        projection = CohortProjection(ReadModelView(self.engine, CohortProjection.name))
        projection.today = lambda: TODAY
        return catch_up(projection, application_class=CaseTracking, event_store_env=self.env)

    def context(self) -> ReportContext:
        return ReportContext(store=self.store,
                             read_models=SQLReadModels(self.engine, self.app.name),
                             inspecting=lambda inspectorate, authority: self.inspecting
                             and inspectorate == INSPECTORATE,
                             pseudonym=pseudonym, head=self.app.recorder.max_notification_id)

    def ask(self, question: str, as_at: date, *, actor: Actor | None = None,
            **cohort: Any) -> dict[str, Any]:
        authority = cohort.pop("authority", AUTHORITY)
        return ask(self.context(), question, Cohort(authority=authority, as_at=as_at,
                                                    **cohort),
                   actor=actor or Actor("manager-1", "manager", authority))

    def area(self, year: int, as_at: date, *, actor: Actor | None = None,
             **options: Any) -> dict[str, Any]:
        return area(self.context(), AUTHORITY, year, as_at=as_at,
                    actor=actor or Actor("manager-1", "manager", AUTHORITY), **options)


@contextmanager
def world_on(tmp_path: Path, url: str | None) -> Iterator[World]:
    """A world on SQLite (``url`` None) or on a PostgreSQL schema URL of its own."""
    world = World(event_store_env(url, tmp_path), ReadModelDatabase.beside(url, tmp_path))
    try:
        yield world
    finally:
        world.close()


def measure(figure: dict[str, Any], name: str) -> tuple[int, int, float | None]:
    """(count, of, percent) of a measure."""
    m = figure["measures"][name]
    return m["count"], m["of"], m["percent"]


def kids(figure: dict[str, Any], name: str) -> list[str]:
    """The children behind a measure."""
    return list(figure["measures"][name]["children"])


def groups(answer: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {g["key"]: g for g in answer["groups"]}


# Journey steps the cohorts share (a new assessment, SEND Regs 2014 regs 3-14).

SECTIONS = {
    "A": "Enjoys football; wants to read comics on his own.",
    "B": [{"need": "SLCN", "description": "Understanding of language well below age"}],
    "F": [{"need": "SLCN", "provision": "Speech and language therapy, 1 hour weekly",
           "quantified": True}],
}


def request(w: World, label: str, received: date, *, role: str = "Parent",
            source: str = "1") -> int:
    return w.rec(label, "EHCNeedsAssessmentRequested", received, requester_role=role,
                 request_source=source)


def assess(w: World, label: str, decided: date, **extra: Any) -> int:
    return w.rec(label, "DecisionToAssessMade", decided, assessment_test_met=True,
                 reasons="May need a plan", **extra)


def refuse(w: World, label: str, decided: date, **extra: Any) -> int:
    return w.rec(label, "DecisionNotToAssessMade", decided, reasons="Needs met at support",
                 notice_includes=NOTICE, **extra)


def ask_advice(w: World, label: str, asked: date, *kinds: str) -> dict[str, str]:
    """Ask each kind of advice (received by the adviser the same day); adopt social care
    advice already held (reg 6(4)). Returns each kind's advice request id."""
    extra = {"Medical": {"adviser_identified_by_icb": True},
             "Psychological": {"adviser_is_educational_psychologist": True}}
    ids = {}
    for kind in kinds:
        version = w.rec(label, "AdviceRequested", asked, advice_type=kind, recipient_org="org",
                        received_by_adviser_on=asked, **extra.get(kind, {}))
        ids[kind] = f"advice-{version}"
    w.rec(label, "ExistingAdviceAdopted", asked, advice_type="SocialCare",
          document_ref="doc-sc", adviser="social care", adviser_agreed=True, la_agreed=True,
          family_agreed=True)
    return ids


def advice_back(w: World, label: str, advice_id: str, on: date) -> None:
    w.rec(label, "AdviceReceived", on, advice_request_id=advice_id, author="adviser",
          document_ref=f"doc-{advice_id}")


def issue(w: World, label: str, final_on: date, *, draft_on: date | None = None,
          setting_type: str = "MAINSTREAM_LA", need: str | None = None) -> int:
    """Decide to issue, send the draft (at least 15 days before the final, reg 13(1)),
    and issue the final plan; record the primary need if given."""
    from datetime import timedelta

    draft_on = draft_on or final_on - timedelta(days=21)
    w.rec(label, "DecisionToIssuePlanMade", draft_on,
          necessity_reasons="Needs cannot be met from SEN support")
    w.rec(label, "DraftPlanIssued", draft_on, sections=SECTIONS | {"I": {}})
    version = w.rec(label, "FinalPlanIssued", final_on, sections=SECTIONS | {"I": {
        "setting_ref": "urn-100001", "setting_name": "Elm Primary School",
        "setting_type": setting_type}}, notice_includes=NOTICE,
        recipients=["family", "icb", "setting"])
    if need:
        w.rec(label, "NeedsRecorded", final_on, needs=[{"code": need, "rank": 1}])
    return version


def new_plan(w: World, label: str, received: date, decided: date, asked: date,
             back: date, final_on: date, **options: Any) -> int:
    """A request to a final plan: assessed, advice asked and all back, the plan issued."""
    request(w, label, received, **{k: options.pop(k) for k in ("role", "source")
                                   if k in options})
    assess(w, label, decided)
    for advice_id in ask_advice(w, label, asked, "Parent", "Educational", "Medical",
                                "Psychological").values():
        advice_back(w, label, advice_id, back)
    return issue(w, label, final_on, **options)
