"""The later section-8 questions on hand-built cohorts: refusals overturned (Q6), section F
quality (Q11), health advice (Q13), moves between LAs (Q15), placement sufficiency (Q18)
and preparation for adulthood (Q24).

Every child, reference and date is made up. Each test records its journeys through
``CaseTracking`` (or, in the ``*_over_http`` tests, through ``POST /children``), projects
the cohort read model and asks ``application.reports``; every expected figure is worked
out in the comments from the regulations: weeks are 7-day weeks counted from the day
after the start (6 weeks from Monday 2 September 2024 is Monday 14 October 2024), months
run to the same day of the month.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application import access
from application.reports import QUESTIONS, Cohort, ReportContext, ask
from application.tracking import CaseTracking
from domain.actors import Actor
from domain.errors import RuleViolationError
from infrastructure.cohort import CohortProjection, SQLCohortReports, therapies
from infrastructure.migrations import upgrade
from infrastructure.persistence import event_store_env
from infrastructure.projections import (
    EmbeddedRunners,
    ReadModelDatabase,
    ReadModelView,
    catch_up,
)
from infrastructure.readmodels import SQLReadModels
from web.services import services_of

AUTHORITY = "LA-941"
TODAY = date(2025, 6, 30)
AS_AT = date(2025, 6, 30)
INSPECTORATE = "OFSTED-CQC"
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
KEY = b"test-new-questions"
Auth = Callable[..., dict[str, str]]


def pseudonym(child_id: str) -> str:
    return access.pseudonym(child_id, KEY)


class Recorder(Protocol):
    def child(self, label: str, born: date, on: date) -> None: ...

    def rec(self, label: str, type_name: str, on: date, **payload: Any) -> int: ...


class World:
    """An event store and read-model database of its own (SQLite in ``tmp_path``)."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = event_store_env(None, tmp_path)
        self.app = CaseTracking(env=self.env, today=lambda: TODAY)
        self.engine = ReadModelDatabase.beside(None, tmp_path).engine()
        upgrade(self.engine)
        self.ids: dict[str, UUID] = {}

    def child(self, label: str, born: date, on: date) -> None:
        written = self.app.register_child(
            authority=AUTHORITY, date_of_birth=born, occurred_on=on,
            actor=Actor("caseworker-1", "caseworker", AUTHORITY))
        self.ids[label] = written.child_id

    def rec(self, label: str, type_name: str, on: date, **payload: Any) -> int:
        return self.app.record_event(
            self.ids[label], type_name, payload, occurred_on=on,
            actor=Actor("caseworker-1", "caseworker", AUTHORITY)).version

    def id(self, *labels: str) -> list[str]:
        return sorted(str(self.ids[label]) for label in labels)

    def ask(self, question: str, as_at: date = AS_AT, **cohort: Any) -> dict[str, Any]:
        projection = CohortProjection(ReadModelView(self.engine, CohortProjection.name))
        projection.today = lambda: TODAY
        catch_up(projection, application_class=CaseTracking, event_store_env=self.env)
        context = ReportContext(store=SQLCohortReports(self.engine),
                                read_models=SQLReadModels(self.engine, self.app.name),
                                inspecting=lambda inspectorate, authority: False,
                                pseudonym=pseudonym, head=self.app.recorder.max_notification_id)
        return ask(context, question, Cohort(authority=AUTHORITY, as_at=as_at, **cohort),
                   actor=Actor("manager-1", "manager", AUTHORITY))

    def close(self) -> None:
        self.app.close()
        self.engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def measure(figure: dict[str, Any], name: str) -> tuple[int, int, float | None]:
    m = figure["measures"][name]
    return m["count"], m["of"], m["percent"]


def kids(figure: dict[str, Any], name: str) -> list[str]:
    return list(figure["measures"][name]["children"])


def value(figure: dict[str, Any], name: str) -> tuple[float | None, float | None, int]:
    v = figure["values"][name]
    return v["median"], v["mean"], v["count"]


def groups(answer: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {g["key"]: g for g in answer["groups"]}


def d(text: str) -> date:
    return date.fromisoformat(text)


# Journeys, written once for both recorders.


def request_and_assess(r: Recorder, label: str, request_on: date, decided_on: date) -> None:
    r.rec(label, "EHCNeedsAssessmentRequested", request_on, requester_role="Parent",
          request_source="1")
    r.rec(label, "DecisionToAssessMade", decided_on, assessment_test_met=True,
          reasons="May have SEN")


def adopt_advice(r: Recorder, label: str, on: date, *types: str) -> None:
    for advice_type in types:
        r.rec(label, "ExistingAdviceAdopted", on, advice_type=advice_type,
              document_ref=f"doc-{advice_type.lower()}", adviser="Synthetic adviser",
              adviser_agreed=True, la_agreed=True, family_agreed=True)


def parents_advice(r: Recorder, label: str, on: date) -> None:
    v = r.rec(label, "AdviceRequested", on, advice_type="Parent", recipient_org="family",
              received_by_adviser_on=on)
    r.rec(label, "AdviceReceived", on + timedelta(days=7), advice_request_id=f"advice-{v}",
          author="Parent", document_ref="doc-parent")


def final_plan(r: Recorder, label: str, born: date, final_on: date, sections: dict[str, Any],
               *, preference: tuple[str, str] | None = None,
               decision: dict[str, Any] | None = None) -> None:
    """A request 18 weeks before ``final_on``, advice, a draft 7 weeks after the request
    (the family says it has nothing to add), an optional preference and placement
    decision, and the final plan with ``sections`` (section I naming the setting or type).
    """
    request_on = final_on - timedelta(weeks=18)
    r.child(label, born, request_on - timedelta(days=30))
    request_and_assess(r, label, request_on, request_on + timedelta(weeks=4))
    parents_advice(r, label, request_on + timedelta(weeks=4, days=1))
    adopt_advice(r, label, request_on + timedelta(weeks=5), "Educational", "Medical",
                 "Psychological", "SocialCare")
    r.rec(label, "DecisionToIssuePlanMade", request_on + timedelta(weeks=6),
          necessity_reasons="Needs cannot be met from SEN support")
    draft_on = request_on + timedelta(weeks=7)
    r.rec(label, "DraftPlanIssued", draft_on, sections={**sections, "I": {}})
    if preference is not None:
        r.rec(label, "PlacementPreferenceExpressed", draft_on + timedelta(days=2),
              setting_ref=preference[0], setting_category=preference[1])
    if sections.get("G"):
        r.rec(label, "HealthProvisionAgreed", draft_on + timedelta(days=5), icb="ICB-941",
              section_g=sections["G"])
    if decision is not None:
        r.rec(label, "PlacementDecided", draft_on + timedelta(days=10), **decision)
    r.rec(label, "RepresentationsReceived", draft_on + timedelta(days=12),
          nothing_further=True)
    named = bool((sections.get("I") or {}).get("setting_ref"))
    r.rec(label, "FinalPlanIssued", final_on, sections=sections, notice_includes=NOTICE,
          recipients=["family", "icb"] + (["setting"] if named else []))


def transferred_in(r: Recorder, label: str, born: date, on: date, made_on: date,
                   last_reviewed_on: date | None = None, **extra: Any) -> None:
    r.child(label, born, on)
    r.rec(label, "PlanTransferredIn", on, old_la="LA-877", original_made_on=made_on,
          last_reviewed_on=last_reviewed_on, **extra)


def review(r: Recorder, label: str, scheduled_on: date, held_on: date, *, pfa: bool) -> None:
    r.rec(label, "AnnualReviewScheduled", scheduled_on, due_by=held_on,
          review_type="annual", organiser="local_authority")
    r.rec(label, "ReviewMeetingHeld", held_on, attendees=["parent", "SENCO"],
          pfa_discussed=pfa)


def refusal_with_appeal(r: Recorder, label: str, refused_on: date, appeal_on: date) -> str:
    """Refused on ``refused_on``; mediation declined a week later; appeal registered."""
    v = r.rec(label, "DecisionNotToAssessMade", refused_on, reasons="Needs met at school",
              notice_includes=NOTICE)
    decision = f"decision-{v}"
    r.rec(label, "MediationAdviserContacted", refused_on + timedelta(days=6),
          decision_id=decision)
    r.rec(label, "MediationDeclined", refused_on + timedelta(days=7), decision_id=decision)
    r.rec(label, "MediationCertificateIssued", refused_on + timedelta(days=8),
          decision_id=decision, certificate_type="declined")
    r.rec(label, "AppealRegistered", appeal_on, decision_id=decision,
          tribunal_ref=f"SE941/{label}", appeal_type="refuse_assessment")
    return f"SE941/{label}"


def at_school(r: Recorder, label: str, born: date, urn: str, need: str) -> None:
    r.child(label, born, d("2023-09-01"))
    r.rec(label, "SENSupportRecorded", d("2023-09-20"), setting_urn=urn,
          start_on=d("2023-09-06"), needs=[{"code": need, "rank": 1}])
    r.rec(label, "NeedsRecorded", d("2023-09-20"), needs=[{"code": need, "rank": 1}],
          source="other")


# Q6: refusals overturned.


def record_refusals(r: Recorder) -> None:
    # R1 (urn-400001, SLCN): refused to assess 12 Feb 2024; mediation 14 Mar 2024 reached
    # agreement; a new request was decided "assess" on 15 Apr 2024.
    at_school(r, "R1", d("2016-01-10"), "urn-400001", "SLCN")
    r.rec("R1", "EHCNeedsAssessmentRequested", d("2024-01-08"), requester_role="Parent",
          request_source="1")
    v = r.rec("R1", "DecisionNotToAssessMade", d("2024-02-12"), reasons="Needs met at school",
              notice_includes=NOTICE)
    r.rec("R1", "MediationAdviserContacted", d("2024-02-20"), decision_id=f"decision-{v}")
    r.rec("R1", "MediationRequested", d("2024-02-22"), decision_id=f"decision-{v}",
          issues=["education"])
    r.rec("R1", "MediationHeld", d("2024-03-14"), decision_id=f"decision-{v}",
          parties=["parent", "LA"], outcome="agreement")
    request_and_assess(r, "R1", d("2024-03-18"), d("2024-04-15"))
    # R2 (urn-400001, SLCN): refused 4 Mar 2024; the Tribunal allowed the appeal on 16 Sep.
    at_school(r, "R2", d("2016-02-10"), "urn-400001", "SLCN")
    r.rec("R2", "EHCNeedsAssessmentRequested", d("2024-01-22"), requester_role="Parent",
          request_source="1")
    ref = refusal_with_appeal(r, "R2", d("2024-03-04"), d("2024-04-15"))
    r.rec("R2", "TribunalDecisionIssued", d("2024-09-16"), tribunal_ref=ref, outcome="allowed",
          orders=["assess"])
    # R3 (urn-400002, ASD): refused 7 May 2024; the LA conceded on 22 Jul 2024.
    at_school(r, "R3", d("2016-03-10"), "urn-400002", "ASD")
    r.rec("R3", "EHCNeedsAssessmentRequested", d("2024-03-25"), requester_role="Parent",
          request_source="1")
    ref = refusal_with_appeal(r, "R3", d("2024-05-07"), d("2024-06-10"))
    r.rec("R3", "AppealConceded", d("2024-07-22"), tribunal_ref=ref, terms="LA to assess")
    # R4 (urn-400002, ASD): refused 3 Jun 2024; the appeal was dismissed on 18 Nov 2024.
    at_school(r, "R4", d("2016-04-10"), "urn-400002", "ASD")
    r.rec("R4", "EHCNeedsAssessmentRequested", d("2024-04-22"), requester_role="Parent",
          request_source="1")
    ref = refusal_with_appeal(r, "R4", d("2024-06-03"), d("2024-07-01"))
    r.rec("R4", "TribunalDecisionIssued", d("2024-11-18"), tribunal_ref=ref,
          outcome="dismissed", orders=["dismiss"])
    # R5 (urn-400003, SEMH): assessed, then refused a plan on 2 Sep 2024; not disputed.
    at_school(r, "R5", d("2016-05-10"), "urn-400003", "SEMH")
    request_and_assess(r, "R5", d("2024-05-06"), d("2024-06-10"))
    parents_advice(r, "R5", d("2024-06-11"))
    adopt_advice(r, "R5", d("2024-06-20"), "Educational", "Medical", "Psychological",
                 "SocialCare")
    r.rec("R5", "DecisionNotToIssuePlanMade", d("2024-09-02"), reasons="SEN support suffices",
          notice_includes=NOTICE)


def test_refusals_overturned_by_route_school_and_need(world: World) -> None:
    record_refusals(world)
    answer = world.ask("refusals-overturned", period_from=d("2024-01-01"),
                       period_to=d("2024-12-31"), breakdown="school")
    total = answer["total"]
    # Five refusals notified in 2024 (four to assess, one to issue a plan).
    assert total["count"] == 5
    # Overturned: R1 by agreement at mediation, R2 allowed at Tribunal, R3 conceded.
    assert measure(total, "overturned") == (3, 5, 60.0)
    assert kids(total, "overturned_at_mediation") == world.id("R1")
    assert kids(total, "overturned_at_tribunal") == world.id("R2")
    assert kids(total, "conceded") == world.id("R3")
    assert kids(total, "appeal_dismissed") == world.id("R4")
    assert kids(total, "later_assessed_or_plan_issued") == world.id("R1")
    # Days from the refusal's notice to the overturn: R1 12 Feb -> 14 Mar 2024 = 31 (2024
    # is a leap year: 17 days to 29 Feb, then 14); R2 4 Mar -> 16 Sep = 184 (to 4 Sep) +
    # 12 = 196; R3 7 May -> 22 Jul = 24 + 30 + 22 = 76. Median 76, mean 303 / 3 = 101.
    assert value(total, "days_to_overturn") == (76.0, 101.0, 3)
    by_school = groups(answer)
    assert measure(by_school["urn-400001"], "overturned") == (2, 2, 100.0)
    assert measure(by_school["urn-400002"], "overturned") == (1, 2, 50.0)
    assert measure(by_school["urn-400003"], "overturned") == (0, 1, 0.0)
    by_need = groups(world.ask("refusals-overturned", breakdown="primary_need"))
    assert measure(by_need["SLCN"], "overturned") == (2, 2, 100.0)
    assert measure(by_need["ASD"], "overturned") == (1, 2, 50.0)
    assert by_need["SEMH"]["children"] == world.id("R5")
    # As at 1 Sep 2024 the Tribunal had not decided R2's appeal, nor R4's: pending.
    before = world.ask("refusals-overturned", as_at=d("2024-09-01"))["total"]
    assert kids(before, "overturned") == world.id("R1", "R3")
    assert kids(before, "appeal_pending") == world.id("R2", "R4")


# Q11: section F quality.


def record_plan_content(r: Recorder) -> None:
    # A therapy is recognised by its health service code (``service``: SALT, OT, PHYSIO);
    # the provision's words are sealed personal data the read models do not read.
    sensory = {"need": "ASD", "provision": "Occupational therapy sensory diet through the day",
               "service": "OT", "quantified": False}
    # P1, final 2 Sep 2024: speech and language therapy only in section G.
    final_plan(r, "P1", d("2016-06-01"), d("2024-09-02"), {
        "B": [{"need": "SLCN", "description": "Expressive language delay"}],
        "F": [{"need": "SLCN", "provision": "Small-group language work, 2 x 30 minutes weekly",
               "quantified": True}],
        "G": [{"provision": "Speech and language therapy: assessment and 6 sessions",
               "service": "SALT", "commissioner": "ICB-941"}],
        "I": {"setting_ref": "urn-500001", "setting_type": "MAINSTREAM_LA"}})
    # P2, final 3 Feb 2025: OT in F but not quantified; physiotherapy only in G.
    final_plan(r, "P2", d("2016-07-01"), d("2025-02-03"), {
        "B": [{"need": "ASD", "description": "Sensory processing differences"}],
        "F": [sensory],
        "G": [{"provision": "Physiotherapy review each term", "service": "physio",
               "commissioner": "ICB-941"}],
        "I": {"setting_ref": "urn-500002", "setting_type": "MAINSTREAM_LA"}})
    # P3, final 1 May 2024 (SALT only in G), amended 3 Mar 2025 to put speech and
    # language therapy in F too.
    final_plan(r, "P3", d("2016-08-01"), d("2024-05-01"), {
        "B": [{"need": "SLCN", "description": "Receptive language delay"}],
        "F": [{"need": "SLCN", "provision": "Language group weekly", "quantified": True}],
        "G": [{"provision": "A block of therapy sessions", "service": "SALT"}],
        "I": {"setting_ref": "urn-500003", "setting_type": "MAINSTREAM_LA"}})
    r.rec("P3", "AmendmentNoticeIssued", d("2025-02-10"),
          setting_request_right=True, meeting_right=True, trigger="reg28",
          proposed_amendments=[{"section": "F", "change": "Therapy in F"}])
    r.rec("P3", "AmendedPlanFinalised", d("2025-03-03"), sections_changed=["F"],
          notice_includes=NOTICE, recipients=["family", "icb", "setting"], sections={
              "F": [{"need": "SLCN", "provision": "Speech and language therapy, 1 hour weekly",
                     "therapy": "SALT", "quantified": True}]})
    # P4, final 4 Nov 2024: an F item without the "quantified" field; a G item without a
    # service code (its words name a therapy, but they are not read).
    final_plan(r, "P4", d("2016-09-01"), d("2024-11-04"), {
        "B": [{"need": "MLD", "description": "Reading well below age"}],
        "F": [{"need": "MLD", "provision": "Daily reading intervention"}],
        "G": [{"provision": "Speech and language therapy review", "commissioner": "ICB-941"}],
        "I": {"setting_ref": "urn-500004", "setting_type": "MAINSTREAM_LA"}})


def test_section_f_quality_of_plans_finalised_in_the_last_12_months(world: World) -> None:
    record_plan_content(world)
    answer = world.ask("section-f-quality", breakdown="source")
    total = answer["total"]
    # The 12 months to 30 Jun 2025 begin after 30 Jun 2024: P1 (2 Sep 2024), P4 (4 Nov
    # 2024), P2 (3 Feb 2025) and P3's amended plan (3 Mar 2025); P3's first plan (1 May
    # 2024) is older.
    assert total["count"] == 4
    assert measure(total, "therapy_in_g") == (3, 4, 75.0)
    assert measure(total, "therapy_only_in_g") == (2, 4, 50.0)
    assert kids(total, "therapy_only_in_g") == world.id("P1", "P2")
    assert kids(total, "salt_only_in_g") == world.id("P1")
    assert kids(total, "physio_only_in_g") == world.id("P2")
    assert measure(total, "ot_only_in_g")[0] == 0  # P2's OT is in F
    assert kids(total, "f_item_not_quantified") == world.id("P2")
    assert kids(total, "f_quantification_not_recorded") == world.id("P4")
    assert measure(total, "f_lacks_quantification") == (2, 4, 50.0)
    assert kids(total, "g_item_without_service_code") == world.id("P4")
    by_source = groups(answer)
    assert by_source["amendment"]["children"] == world.id("P3")
    assert by_source["final"]["count"] == 3
    # The calendar year 2024 instead: P3's first plan (SALT coded in G only), P1, P4.
    in_2024 = world.ask("section-f-quality", period_from=d("2024-01-01"),
                        period_to=d("2024-12-31"))["total"]
    assert in_2024["count"] == 3
    assert kids(in_2024, "therapy_only_in_g") == world.id("P1", "P3")


def test_therapies_are_found_by_their_service_code_only() -> None:
    assert therapies([{"service": "SALT"}, {"therapy": "ot"}]) == ["OT", "SALT"]
    assert therapies([{"profession": "Physio"}, {"service": "CAMHS"}]) == ["PHYSIO"]
    assert therapies([{"provision": "Speech and language therapy weekly"}]) == []
    assert therapies(None) == []


# Q13: health advice for assessments.


def record_health_advice(r: Recorder) -> None:
    def medical(label: str, on: date, org: str) -> int:
        return r.rec(label, "AdviceRequested", on, advice_type="Medical", recipient_org=org,
                     received_by_adviser_on=on, adviser_identified_by_icb=True)

    def received(label: str, version: int, on: date) -> None:
        r.rec(label, "AdviceReceived", on, advice_request_id=f"advice-{version}",
              author="Paediatrician", document_ref=f"doc-{label}-{version}")

    # H1: asked icb-A 7 Oct 2024 (due 18 Nov: 6 weeks); back 2 Dec, 14 days late.
    r.child("H1", d("2016-01-05"), d("2024-08-01"))
    request_and_assess(r, "H1", d("2024-09-02"), d("2024-10-07"))
    received("H1", medical("H1", d("2024-10-07"), "icb-A"), d("2024-12-02"))
    # H2: asked provider-B 14 Oct 2024 (due 25 Nov), never answered; the LA asked
    # provider-C on 2 Dec 2024 (due 13 Jan 2025), back 6 Jan 2025 (5 weeks).
    r.child("H2", d("2016-02-05"), d("2024-08-01"))
    request_and_assess(r, "H2", d("2024-09-09"), d("2024-10-14"))
    medical("H2", d("2024-10-14"), "provider-B")
    received("H2", medical("H2", d("2024-12-02"), "provider-C"), d("2025-01-06"))
    # H3: asked icb-A 4 Nov 2024 (due 16 Dec), never answered; the decision to issue on
    # 13 Jan 2025 records medical advice as unobtainable, independent advice commissioned.
    r.child("H3", d("2016-03-05"), d("2024-08-01"))
    request_and_assess(r, "H3", d("2024-09-30"), d("2024-11-04"))
    medical("H3", d("2024-11-04"), "icb-A")
    parents_advice(r, "H3", d("2024-11-04"))
    adopt_advice(r, "H3", d("2024-11-20"), "Educational", "Psychological", "SocialCare")
    r.rec("H3", "DecisionToIssuePlanMade", d("2025-01-13"), necessity_reasons="Needs plan",
          advice_unobtainable=[{"advice_type": "Medical", "reason": "No reply",
                                "independent_advice_ref": "doc-independent-1"}])
    # H4: asked icb-A 4 Nov 2024 (due 16 Dec), back 9 Dec (5 weeks).
    r.child("H4", d("2016-04-05"), d("2024-08-01"))
    request_and_assess(r, "H4", d("2024-09-30"), d("2024-11-04"))
    received("H4", medical("H4", d("2024-11-04"), "icb-A"), d("2024-12-09"))


@pytest.mark.proves("K2")
def test_health_advice_late_by_provider_and_alternatives(world: World) -> None:
    record_health_advice(world)
    answer = world.ask("health-advice", period_from=d("2024-01-01"), period_to=d("2024-12-31"),
                       breakdown="provider")
    total = answer["total"]
    # Five medical advice requests reached their advisers in 2024 (H2 twice).
    assert total["count"] == 5
    assert measure(total, "returned") == (3, 5, 60.0)  # H1, H2 (provider-C), H4
    assert measure(total, "within_6_weeks") == (2, 5, 40.0)  # provider-C 5 wk, H4 5 wk
    assert kids(total, "late") == world.id("H1", "H2", "H3")
    # Alternatives: H2's provider-B request was followed by one to provider-C; H3's was
    # replaced by independent advice at the decision to issue. H1 had none.
    assert measure(total, "late_alternative_commissioned") == (2, 3, 66.7)
    assert kids(total, "late_no_alternative") == world.id("H1")
    assert kids(total, "recorded_unobtainable") == world.id("H3")
    assert kids(total, "is_alternative_advice") == world.id("H2")
    # Days late as at 30 Jun 2025: H1 18 Nov -> 2 Dec = 14; provider-B 25 Nov 2024 ->
    # 30 Jun 2025 = 217 (7 whole months: 30+31+31+28+31+30+31 = 212, + 5); H3 16 Dec 2024
    # -> 30 Jun 2025 = 31+31+28+31+30+31 = 182 to 16 Jun, + 14 = 196. Median 196, mean
    # (14 + 217 + 196) / 3 = 142.33.
    assert value(total, "days_late") == (196.0, 142.33, 3)
    # Weeks to return: H1 7 Oct -> 2 Dec = 56 days = 8; provider-C and H4 35 days = 5.
    assert value(total, "weeks_to_return") == (5.0, 6.0, 3)
    providers = groups(answer)
    assert measure(providers["icb-A"], "late") == (2, 3, 66.7)
    assert measure(providers["provider-B"], "late") == (1, 1, 100.0)
    assert measure(providers["provider-C"], "within_6_weeks") == (1, 1, 100.0)


# Q15: moves between LAs.


def record_transfers(r: Recorder) -> None:
    # T1: in 2 Sep 2024 (made 16 Jan 2023, last reviewed 15 Jan 2024); notice 21 Oct;
    # reviewed 10 Jan 2025; moving to LA-950 on 14 Apr 2025 (told 3 Mar), transferred
    # out 22 Apr 2025.
    transferred_in(r, "T1", d("2014-05-01"), d("2024-09-02"), d("2023-01-16"), d("2024-01-15"))
    r.rec("T1", "TransferNoticeIssued", d("2024-10-21"), will_assess=False)
    review(r, "T1", d("2024-11-04"), d("2025-01-10"), pfa=False)
    r.rec("T1", "MoveNotified", d("2025-03-03"), move_on=d("2025-04-14"), new_la="LA-950")
    r.rec("T1", "PlanTransferredOut", d("2025-04-22"), new_la="LA-950")
    # T2: in 4 Nov 2024 (made 3 Jun 2024, never reviewed); notice 2 Dec; no review yet;
    # the LA learned on 12 Jun 2025 of a move to LA-960 on 20 Jun 2025.
    transferred_in(r, "T2", d("2014-06-01"), d("2024-11-04"), d("2024-06-03"))
    r.rec("T2", "TransferNoticeIssued", d("2024-12-02"), will_assess=False)
    r.rec("T2", "MoveNotified", d("2025-06-16"), aware_on=d("2025-06-12"), move_on=d("2025-06-20"),
          new_la="LA-960")
    # T3: in 6 Jan 2025 (made 1 Mar 2023, last reviewed 1 Feb 2024); no notice yet;
    # reviewed 28 Apr 2025.
    transferred_in(r, "T3", d("2014-07-01"), d("2025-01-06"), d("2023-03-01"), d("2024-02-01"))
    review(r, "T3", d("2025-03-03"), d("2025-04-28"), pfa=False)


@pytest.mark.proves("K15", "K16", "K17")
def test_transfers_in_and_out_against_their_deadlines(world: World) -> None:
    record_transfers(world)
    answer = world.ask("transfers", breakdown="review_deadline_rule")
    total = answer["total"]
    # Notices (reg 15(4), 6 weeks): T1 due 14 Oct 2024, sent 21 Oct (7 days late); T2 due
    # 16 Dec, sent 2 Dec; T3 due 17 Feb 2025, none by 30 Jun: 28 + 31 + 30 + 31 = 120
    # to 17 Jun, + 13 = 133 days late.
    assert measure(total, "transferred_in") == (3, 5, 60.0)
    assert measure(total, "notice_issued") == (2, 3, 66.7)
    assert kids(total, "notice_late") == world.id("T1", "T3")
    assert value(total, "days_notice_late") == (70.0, 70.0, 2)
    assert value(total, "weeks_to_notice") == (5.5, 5.5, 2)  # 49 days = 7 wk; 28 = 4 wk
    # First reviews (reg 15(5)), the later of the ends of 12 months beginning with the
    # plan or its last review and of 3 months beginning with the transfer (each ends the
    # day before the corresponding date):
    # T1: max(14 Jan 2025, 1 Dec 2024) = 14 Jan 2025; held 10 Jan: in time.
    # T2: max(2 Jun 2025, 3 Feb 2025) = 2 Jun 2025; none by 30 Jun: 28 days late.
    # T3: max(31 Jan 2025, 5 Apr 2025) = 5 Apr 2025; held 28 Apr: 23 days late.
    assert kids(total, "review_held") == world.id("T1", "T3")
    assert kids(total, "review_late") == world.id("T2", "T3")
    assert value(total, "days_review_late") == (25.5, 25.5, 2)
    assert measure(total, "either_missed") == (3, 3, 100.0)
    rules = groups(answer)
    assert rules["3_months_from_transfer"]["children"] == world.id("T3")
    assert rules["12_months_from_plan_or_review"]["children"] == world.id("T1", "T2")
    # Moves out (reg 15(2)): T1 told 3 Mar 2025, 15 working days (24 Mar) before the move
    # on 14 Apr, so due on the move day; transferred 22 Apr: 8 days late. T2 told 12 Jun,
    # under 15 working days before the move on 20 Jun: due 15 working days from 12 Jun,
    # 3 Jul, not yet passed.
    assert measure(total, "move_notified") == (2, 5, 40.0)
    assert kids(total, "transferred_out_late") == world.id("T1")
    assert kids(total, "not_yet_transferred") == world.id("T2")
    assert value(total, "days_transfer_late") == (8.0, 8.0, 1)
    out = groups(world.ask("transfers", breakdown="other_la"))
    assert out["LA-950"]["children"] == world.id("T1") and out["LA-877"]["count"] == 3


# Q18: placement sufficiency.


def record_placements(r: Recorder) -> None:
    # S1: final 3 Mar 2025 naming only a type; the parents' maintained school refused as
    # incompatible with the efficient use of resources (s.39(4)(b)(ii)).
    final_plan(r, "S1", d("2016-01-20"), d("2025-03-03"), {
        "B": [{"need": "SLD", "description": "Severe learning difficulties"}],
        "F": [{"need": "SLD", "provision": "Specialist teaching all day", "quantified": True}],
        "I": {"setting_type": "SPECIAL_LA"}},
        preference=("urn-200001", "maintained_school"),
        decision={"setting_type": "SPECIAL_LA",
                  "refusal_ground": "incompatible_efficient_resources"})
    # S2: final 2 Sep 2024 naming only a type (the s.41 independent school asked for
    # refused as unsuitable); amended 6 Jan 2025 to name urn-300001, the parents' choice.
    final_plan(r, "S2", d("2016-02-20"), d("2024-09-02"), {
        "B": [{"need": "ASD", "description": "Autism"}],
        "F": [{"need": "ASD", "provision": "Small class all day", "quantified": True}],
        "I": {"setting_type": "SPECIAL_ACADEMY"}},
        preference=("urn-250001", "independent_special_s41"),
        decision={"setting_type": "SPECIAL_ACADEMY", "refusal_ground": "unsuitable"})
    r.rec("S2", "AmendmentNoticeIssued", d("2024-12-02"),
          setting_request_right=True, meeting_right=True, trigger="reg28",
          proposed_amendments=[{"section": "I", "change": "Name a school"}])
    r.rec("S2", "PlacementPreferenceExpressed", d("2024-12-04"), setting_ref="urn-300001",
          setting_category="maintained_school")
    r.rec("S2", "PlacementDecided", d("2024-12-18"), named_setting_ref="urn-300001",
          setting_type="SPECIAL_LA")
    r.rec("S2", "AmendedPlanFinalised", d("2025-01-06"), sections_changed=["I"],
          notice_includes=NOTICE, recipients=["family", "icb", "setting"],
          named_setting="urn-300001", setting_type="SPECIAL_LA",
          sections={"I": {"setting_ref": "urn-300001", "setting_type": "SPECIAL_LA"}})
    # S3: final 1 Oct 2024 naming urn-260001; the independent school the parents asked
    # for is not an s.38(3) institution, so not naming it needs no s.39(4) ground.
    final_plan(r, "S3", d("2016-03-20"), d("2024-10-01"), {
        "B": [{"need": "MLD", "description": "Moderate learning difficulties"}],
        "F": [{"need": "MLD", "provision": "Daily small-group teaching", "quantified": True}],
        "I": {"setting_ref": "urn-260001", "setting_type": "MAINSTREAM_LA"}},
        preference=("urn-270001", "other"),
        decision={"named_setting_ref": "urn-260001", "setting_type": "MAINSTREAM_LA"})


@pytest.mark.proves("preference-refusal-needs-ground")
def test_type_only_plans_and_refused_preferences(world: World) -> None:
    record_placements(world)
    answer = world.ask("placement-sufficiency", breakdown="refusal_ground")
    total = answer["total"]
    # Active plans on 30 Jun 2025: S1, S2, S3. Only S1's names a type only now, since
    # 3 Mar 2025: 31 + 30 + 31 (to 3 Jun) + 27 = 119 days.
    assert measure(total, "type_only_now") == (1, 3, 33.3)
    assert value(total, "days_type_only_now") == (119.0, 119.0, 1)
    # In the 12 months to 30 Jun 2025 (from 30 Jun 2024): S1 119 days; S2 from 2 Sep 2024
    # to the amended plan on 6 Jan 2025: 30 + 31 + 30 + 31 (to 2 Jan) + 4 = 126 days.
    assert kids(total, "type_only_in_period") == world.id("S1", "S2")
    assert value(total, "days_type_only_in_period") == (122.5, 122.5, 2)
    # Four placement decisions: S1 and S2's first refused a preference (a ground each),
    # S2's second named the parents' choice, S3's named a school other than the "other"
    # independent school asked for (not a refusal under s.39(4)).
    assert measure(total, "decision") == (4, 7, 57.1)
    assert measure(total, "preference_refused") == (2, 4, 50.0)
    assert measure(total, "type_only_decision") == (2, 4, 50.0)
    grounds = groups(answer)
    assert grounds["incompatible_efficient_resources"]["children"] == world.id("S1")
    assert grounds["unsuitable"]["children"] == world.id("S2")
    # Not naming a maintained school the parents asked for needs a ground (s.39(4)).
    with pytest.raises(RuleViolationError):
        world.rec("S1", "PlacementDecided", d("2025-06-02"), setting_type="SPECIAL_LA")
    # As at 1 Dec 2024, S2 named only a type (since 2 Sep: 28 + 31 + 30 + 1 = 90 days).
    before = world.ask("placement-sufficiency", as_at=d("2024-12-01"))["total"]
    assert kids(before, "type_only_now") == world.id("S2")
    assert value(before, "days_type_only_now")[0] == 90.0


# Q24: preparation for adulthood.


def record_adulthood(r: Recorder) -> None:
    # Year groups on 30 Jun 2025 (school year 2024/25): born Sep..Aug of the school year
    # starting in Y, a child is in Year 2024 - Y - 5.
    # Y1, born 1 Mar 2011 (2010/11): Year 9; reviewed 4 Mar 2024 in Year 8, no PfA.
    transferred_in(r, "Y1", d("2011-03-01"), d("2024-01-08"), d("2022-01-10"))
    review(r, "Y1", d("2024-02-05"), d("2024-03-04"), pfa=False)
    # Y2, born 5 May 2010 (2009/10): Year 10; reviewed 13 Jan 2025 with PfA.
    transferred_in(r, "Y2", d("2010-05-05"), d("2024-09-02"), d("2023-09-04"))
    review(r, "Y2", d("2024-12-02"), d("2025-01-13"), pfa=True)
    # Y3, born 1 Dec 2009 (2009/10): Year 10; transferred in 5 May 2025, no review yet.
    transferred_in(r, "Y3", d("2009-12-01"), d("2025-05-05"), d("2024-09-02"))
    # Y4, born 1 Jan 2015 (2014/15): Year 5; reviewed without PfA (not yet due).
    transferred_in(r, "Y4", d("2015-01-01"), d("2024-09-02"), d("2023-09-04"))
    review(r, "Y4", d("2025-01-06"), d("2025-02-03"), pfa=False)
    # N1, born 1 Feb 2008 (17, Year 12): left college 28 Mar 2025, out of school since.
    transferred_in(r, "N1", d("2008-02-01"), d("2024-09-02"), d("2023-09-04"))
    v = r.rec("N1", "PlacementStarted", d("2024-09-02"), ukprn="10009001")
    r.rec("N1", "PlacementEnded", d("2025-03-28"), placement_id=f"placement-{v}")
    r.rec("N1", "ChildOutOfSchoolRecorded", d("2025-04-01"), reason="Left college")
    # N2, born 15 Sep 2006 (18, Year 13): at college; reviewed 3 Feb 2025 with PfA.
    transferred_in(r, "N2", d("2006-09-15"), d("2024-09-02"), d("2023-09-04"))
    r.rec("N2", "PlacementStarted", d("2024-09-02"), ukprn="10009002")
    review(r, "N2", d("2025-01-06"), d("2025-02-03"), pfa=True)
    # N3, born 10 Jan 2005 (20, Year 15): the plan records NEET; no placement.
    transferred_in(r, "N3", d("2005-01-10"), d("2024-10-07"), d("2022-10-03"),
                   setting_type="NEET")
    # N4, born 20 Nov 2007 (17, Year 12): EOTAS since 6 Jan 2025; reviewed 3 Mar with PfA.
    transferred_in(r, "N4", d("2007-11-20"), d("2024-09-02"), d("2023-09-04"))
    r.rec("N4", "EOTASArranged", d("2025-01-06"), hours_per_week=15.0, reason="Tuition")
    review(r, "N4", d("2025-02-03"), d("2025-03-03"), pfa=True)


@pytest.mark.proves("review-pfa-from-year-9")
def test_preparation_for_adulthood_reviews_and_neet(world: World) -> None:
    record_adulthood(world)
    answer = world.ask("adulthood", breakdown="year_group")
    total = answer["total"]
    assert total["count"] == 8
    # Year 9 and above: everyone but Y4. PfA discussed at the latest review: Y2, N2, N4.
    assert measure(total, "year_9_plus") == (7, 8, 87.5)
    assert kids(total, "latest_review_pfa_discussed") == world.id("Y2", "N2", "N4")
    assert measure(total, "pfa_not_recorded") == (4, 7, 57.1)
    assert kids(total, "latest_review_before_year_9") == world.id("Y1")
    assert kids(total, "no_review_held") == world.id("Y3", "N1", "N3")
    # Days since the latest review, to 30 Jun 2025: Y1 from 4 Mar 2024 = 365 (to 4 Mar
    # 2025; 29 Feb 2024 is before 4 Mar) + 31 + 30 + 31 (to 4 Jun) + 26 = 483; Y2 from
    # 13 Jan = 18 + 28 + 31 + 30 + 31 + 30 = 168; N2 from 3 Feb = 25 + 31 + 30 + 31 + 30
    # = 147; N4 from 3 Mar = 28 + 30 + 31 + 30 = 119. Median (147 + 168) / 2 = 157.5,
    # mean (483 + 168 + 147 + 119) / 4 = 229.25.
    assert value(total, "days_since_latest_review") == (157.5, 229.25, 4)
    # 16-25: N1 (17), N2 (18), N3 (20), N4 (17). Not in education or training on 30 Jun:
    # N1 (placement ended 28 Mar) and N3 (none; plan says NEET). N4's EOTAS counts.
    assert measure(total, "neet") == (2, 4, 50.0)
    assert kids(total, "neet") == world.id("N1", "N3")
    assert kids(total, "out_of_school_now") == world.id("N1")
    years = groups(answer)
    assert years[9]["children"] == world.id("Y1") and years[5]["children"] == world.id("Y4")
    # A review of a Year 9 pupil cannot be recorded without PfA (reg 20(6)): Y1 now.
    world.rec("Y1", "AnnualReviewScheduled", d("2025-06-02"), due_by=d("2025-06-30"),
              review_type="annual", organiser="local_authority")
    with pytest.raises(RuleViolationError):
        world.rec("Y1", "ReviewMeetingHeld", d("2025-06-16"), attendees=["parent"],
                  pfa_discussed=False)


# The questions over HTTP, and inspectors' answers without personal identifiers.


def jsonable(value: Any) -> Any:
    """``value`` with every date written as ISO 8601, as a client sends it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


class Http:
    """Records journeys through the API as a caseworker of ``authority``."""

    def __init__(self, client: FlaskClient, auth: Auth, authority: str) -> None:
        self.client, self.auth, self.authority = client, auth, authority
        self.ids: dict[str, str] = {}
        self.position = 0

    def child(self, label: str, born: date, on: date) -> None:
        answer = self.client.post("/children", headers=self.auth(org=self.authority), json={
            "date_of_birth": born.isoformat(), "occurred_on": on.isoformat(),
            "case_ref": f"CR-{label}-{uuid.uuid4().hex[:6]}", "sex": "F"})
        assert answer.status_code == 201, answer.json
        self.ids[label] = answer.json["child_id"]

    def rec(self, label: str, type_name: str, on: date, **payload: Any) -> int:
        answer = self.client.post(f"/children/{self.ids[label]}/events",
                                  headers=self.auth(org=self.authority),
                                  json={"type": type_name, "occurred_on": on.isoformat(),
                                        **jsonable(payload)})
        assert answer.status_code == 201, (type_name, answer.json)
        self.position = max(self.position, answer.json["position"])
        return int(answer.json["version"])

    def get(self, path: str, headers: dict[str, str]) -> dict[str, Any]:
        answer = self.client.get(f"{path}&consistent_after={self.position}", headers=headers)
        assert answer.status_code == 200, answer.json
        return answer.json  # type: ignore[no-any-return]


@pytest.fixture
def http(app: Flask, client: FlaskClient, auth: Auth) -> Iterator[Http]:
    runners = None
    if services_of(app).runners is None:
        settings = services_of(app).settings
        runners = EmbeddedRunners(
            application_class=CaseTracking, event_store_env=settings.event_store_env(),
            database=ReadModelDatabase.beside(settings.database_url, settings.data_dir))
    yield Http(client, auth, f"LA-{uuid.uuid4().hex[:8]}")
    if runners is not None:
        runners.close()


def inspected(http: Http, question: str, query: str) -> dict[str, Any]:
    """Ask as an inspector of an inspection of the authority open today; check that the
    answer names no child, case reference or date of birth, only pseudonyms."""
    inspector = http.auth(role="inspector", org=INSPECTORATE, sub="hmi-1")
    today = date.today()
    opened = http.client.post("/inspections", headers=inspector, json={
        "authority": http.authority, "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat()})
    assert opened.status_code == 201, opened.json
    answer = http.get(f"/reports/{question}?authority={http.authority}&{query}", inspector)
    assert answer["pseudonymous"] is True
    text = str(answer)
    for label, child_id in http.ids.items():
        assert child_id not in text and f"CR-{label}" not in text
    assert "CR-" not in text
    named = answer["total"]["children"]
    assert named and all(c.startswith("pseudo-") for c in named)
    return answer


def managed(http: Http, question: str, query: str) -> dict[str, Any]:
    return http.get(f"/reports/{question}?{query}", http.auth(role="manager", org=http.authority))


def test_refusals_overturned_over_http(http: Http) -> None:
    record_refusals(http)
    query = "as_at=2025-06-30&period_from=2024-01-01&period_to=2024-12-31&breakdown=school"
    answer = managed(http, "refusals-overturned", query)
    assert measure(answer["total"], "overturned") == (3, 5, 60.0)
    assert groups(answer)["urn-400001"]["measures"]["overturned"]["children"] == sorted(
        [http.ids["R1"], http.ids["R2"]])
    inspector = inspected(http, "refusals-overturned", query)
    assert measure(inspector["total"], "overturned") == (3, 5, 60.0)
    assert {g["key"] for g in inspector["groups"]} == {"urn-400001", "urn-400002", "urn-400003"}


def test_section_f_quality_over_http(http: Http) -> None:
    record_plan_content(http)
    answer = managed(http, "section-f-quality", "as_at=2025-06-30")
    assert measure(answer["total"], "therapy_only_in_g") == (2, 4, 50.0)
    inspector = inspected(http, "section-f-quality", "as_at=2025-06-30")
    assert measure(inspector["total"], "f_lacks_quantification") == (2, 4, 50.0)


def test_health_advice_over_http(http: Http) -> None:
    record_health_advice(http)
    query = "as_at=2025-06-30&period_from=2024-01-01&period_to=2024-12-31&breakdown=provider"
    answer = managed(http, "health-advice", query)
    assert answer["total"]["measures"]["late_no_alternative"]["children"] == [http.ids["H1"]]
    inspector = inspected(http, "health-advice", query)
    assert measure(inspector["total"], "late_alternative_commissioned") == (2, 3, 66.7)


def test_transfers_over_http(http: Http) -> None:
    record_transfers(http)
    answer = managed(http, "transfers", "as_at=2025-06-30")
    assert answer["total"]["measures"]["review_late"]["children"] == sorted(
        [http.ids["T2"], http.ids["T3"]])
    inspector = inspected(http, "transfers", "as_at=2025-06-30&breakdown=direction")
    assert measure(groups(inspector)["out"], "transferred_out_late") == (1, 2, 50.0)


def test_placement_sufficiency_over_http(http: Http) -> None:
    record_placements(http)
    answer = managed(http, "placement-sufficiency", "as_at=2025-06-30")
    assert answer["total"]["measures"]["type_only_now"]["children"] == [http.ids["S1"]]
    inspector = inspected(http, "placement-sufficiency",
                          "as_at=2025-06-30&breakdown=refusal_ground")
    assert measure(groups(inspector)["unsuitable"], "preference_refused") == (1, 1, 100.0)


def test_adulthood_over_http(http: Http) -> None:
    record_adulthood(http)
    answer = managed(http, "adulthood", "as_at=2025-06-30")
    assert answer["total"]["measures"]["neet"]["children"] == sorted(
        [http.ids["N1"], http.ids["N3"]])
    inspector = inspected(http, "adulthood", "as_at=2025-06-30&breakdown=age_band")
    assert measure(inspector["total"], "pfa_not_recorded") == (4, 7, 57.1)


def test_the_api_description_lists_every_question(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/reports/{question}"]["get"]
    described = operation["summary"] + operation.get("description", "")
    missing = [name for name in QUESTIONS if name not in described]
    assert not missing
