"""A small hand-built cohort for SEN2, bundles and sampling (made-up children and dates).

Collection year 2025: the activity period is calendar 2024 and the reference (census)
date is Thursday 16 January 2025. Every figure the tests expect is worked out beside
the child that produces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from application.tracking import CaseTracking
from domain.actors import Actor

AUTHORITY = "LA-901"
TODAY = date(2025, 1, 31)
YEAR = 2025
NOTICE = ["appeal_rights", "time_limits", "mediation", "disagreement_resolution",
          "information_advice"]
ACTOR = Actor("caseworker-1", "caseworker", AUTHORITY)
MANAGER = Actor("manager-1", "manager", AUTHORITY)


def tracking(store_env: dict[str, str]) -> CaseTracking:
    return CaseTracking(env=store_env, today=lambda: TODAY)


def store_env(tmp_path: Path, store_url: str | None) -> dict[str, str]:
    from tests.conftest import settings_for

    return settings_for(tmp_path, store_url).event_store_env()


@dataclass
class Child:
    child_id: UUID
    label: str
    versions: dict[str, int] = field(default_factory=dict)


def register(app: CaseTracking, label: str, dob: date, on: date, sex: str = "F",
             authority: str = AUTHORITY) -> Child:
    actor = Actor("caseworker-1", "caseworker", authority)
    written = app.register_child(authority=authority, date_of_birth=dob, actor=actor,
                                 occurred_on=on, sex=sex, ethnicity="WBRI")
    return Child(written.child_id, label)


def record(app: CaseTracking, child: Child, type_name: str, on: date, label: str | None = None,
           authority: str = AUTHORITY, **payload: Any) -> int:
    actor = Actor("caseworker-1", "caseworker", authority)
    written = app.record_event(child.child_id, type_name, payload, actor=actor, occurred_on=on)
    if label:
        child.versions[label] = written.version
    return written.version


def request(app: CaseTracking, child: Child, received: date, source: str = "1") -> None:
    role = {"1": "Parent", "2": "SchoolOrPost16OnBehalf"}[source]
    record(app, child, "EHCNeedsAssessmentRequested", received, requester_role=role,
           request_source=source)


def assess_and_advise(app: CaseTracking, child: Child, decided: date, advice_back: date,
                      *, medical_back: date | None = None) -> None:
    record(app, child, "DecisionToAssessMade", decided, assessment_test_met=True,
           reasons="May need a plan")
    asked = decided + timedelta(days=2)
    for kind, extra in (("Parent", {}), ("Educational", {}),
                        ("Medical", {"adviser_identified_by_icb": True}),
                        ("Psychological", {"adviser_is_educational_psychologist": True})):
        record(app, child, "AdviceRequested", asked, label=kind, advice_type=kind,
               recipient_org="org", received_by_adviser_on=asked, **extra)
    record(app, child, "ExistingAdviceAdopted", asked, advice_type="SocialCare",
           document_ref="doc-sc", adviser="social care", adviser_agreed=True, la_agreed=True,
           family_agreed=True)
    for kind in ("Parent", "Educational", "Psychological", "Medical"):
        back = medical_back if kind == "Medical" and medical_back else advice_back
        record(app, child, "AdviceReceived", back,
               advice_request_id=f"advice-{child.versions[kind]}", author=kind,
               document_ref=f"doc-{kind}")


SECTIONS = {
    "A": "Loves music; wants to join the school choir.",
    "B": [{"need": "SLCN", "description": "Understanding of language well below age"},
          {"need": "ASD", "description": "Finds changes of routine hard"}],
    "F": [{"need": "SLCN", "provision": "Speech and language therapy, 1 hour weekly",
           "quantified": True},
          {"need": "ASD", "provision": "Visual timetable", "quantified": False}],
}
SETTING = {"setting_ref": "urn-100001", "setting_name": "Oakfield Primary School",
           "setting_type": "MAINSTREAM_LA"}


def issue_plan(app: CaseTracking, child: Child, issue_decided: date, final_on: date,
               needs: list[dict[str, Any]] | None = None, urn: str = "100001") -> None:
    record(app, child, "DecisionToIssuePlanMade", issue_decided,
           necessity_reasons="Needs cannot be met from SEN support")
    draft_on = issue_decided + timedelta(days=1)
    assert final_on >= draft_on + timedelta(days=15)
    record(app, child, "DraftPlanIssued", draft_on, sections=SECTIONS | {"I": {}})
    record(app, child, "FinalPlanIssued", final_on, label="final",
           sections=SECTIONS | {"I": SETTING | {"setting_ref": f"urn-{urn}"}},
           notice_includes=NOTICE, recipients=["family", "icb", "setting"])
    record(app, child, "PlacementStarted", final_on + timedelta(days=7), label="placement",
           urn=urn, rank=1)
    record(app, child, "NeedsRecorded", final_on + timedelta(days=7),
           needs=needs or [{"code": "SLCN", "rank": 1}, {"code": "ASD", "rank": 2}])


@dataclass
class Cohort:
    children: dict[str, Child]

    def __getitem__(self, label: str) -> Child:
        return self.children[label]


def build(app: CaseTracking) -> Cohort:
    """Record the cohort; each child's comment says what SEN2 2025 must show for it."""
    children: dict[str, Child] = {}

    # ON_TIME: request received Mon 8 Jan 2024 (source 1, parent); assessed; final plan
    # Mon 20 May 2024 = 133 days = 19 weeks → within 20 weeks (≤ 140 days); no exception
    # → Week20 0. Placement URN 100001 from 27 May 2024, needs SLCN (1), ASD (2): an
    # active plan on 16 Jan 2025.
    c = children["on_time"] = register(app, "on_time", date(2016, 3, 3), date(2024, 1, 2))
    request(app, c, date(2024, 1, 8))
    assess_and_advise(app, c, date(2024, 2, 12), date(2024, 3, 20))
    issue_plan(app, c, date(2024, 4, 15), date(2024, 5, 20))

    # LATE_WITH_EXCEPTION: received 1 Feb 2024 (source 2, school); K4 exception claimed
    # (exceptional personal circumstances); final plan 1 Aug 2024 = 182 days = 26 weeks
    # → not within 20 weeks; Week20 1. Needs MLD (1).
    c = children["late_exception"] = register(app, "late_exception", date(2012, 6, 1),
                                              date(2024, 1, 2), sex="M")
    request(app, c, date(2024, 2, 1), source="2")
    assess_and_advise(app, c, date(2024, 3, 7), date(2024, 4, 15),
                      medical_back=date(2024, 6, 10))
    record(app, c, "TimescaleExceptionClaimed", date(2024, 6, 12), clock="K4",
           ground="exceptional_personal_circumstances", period_from=date(2024, 6, 1),
           period_to=date(2024, 6, 30), family_informed=True)
    issue_plan(app, c, date(2024, 7, 1), date(2024, 8, 1), needs=[{"code": "MLD", "rank": 1}],
               urn="100002")

    # REFUSED: received 4 Mar 2024 (source 2); decided not to assess 15 Apr 2024 →
    # RequestOutcome N on 2024-04-15; mediation on the refusal → RequestMediation 1;
    # no Assessment module; no plan.
    c = children["refused"] = register(app, "refused", date(2014, 11, 20), date(2024, 1, 2))
    request(app, c, date(2024, 3, 4), source="2")
    refusal = record(app, c, "DecisionNotToAssessMade", date(2024, 4, 15),
                     reasons="Needs met at SEN support", notice_includes=NOTICE)
    record(app, c, "MediationAdviserContacted", date(2024, 4, 29),
           decision_id=f"decision-{refusal}")
    record(app, c, "MediationRequested", date(2024, 5, 3), decision_id=f"decision-{refusal}",
           issues=["education"])

    # WITHDRAWN: received 9 Sep 2024, withdrawn 30 Sep 2024 → RequestOutcome W.
    c = children["withdrawn"] = register(app, "withdrawn", date(2017, 1, 9), date(2024, 1, 2))
    request(app, c, date(2024, 9, 9))
    record(app, c, "AssessmentRequestWithdrawn", date(2024, 9, 30), withdrawn_by="parent",
           reason="Moved school")

    # UNDECIDED: received 2 Dec 2024 → RequestOutcome blank (no decision by year end).
    c = children["undecided"] = register(app, "undecided", date(2018, 4, 4), date(2024, 1, 2))
    request(app, c, date(2024, 12, 2))

    # OLD_REQUEST: received 3 Jan 2023, plan issued 22 May 2023 → nothing in 2024's
    # activity, but the plan is active on 16 Jan 2025 → ActivePlans only.
    c = children["old_plan"] = register(app, "old_plan", date(2010, 2, 2), date(2023, 1, 2),
                                        sex="M")
    request(app, c, date(2023, 1, 3))
    assess_and_advise(app, c, date(2023, 2, 10), date(2023, 3, 20))
    issue_plan(app, c, date(2023, 4, 17), date(2023, 5, 22), needs=[{"code": "SEMH", "rank": 1}],
               urn="100003")

    # ELSEWHERE: another authority's child; never in LA-901's return.
    c = children["elsewhere"] = register(app, "elsewhere", date(2016, 1, 1), date(2024, 1, 2),
                                         authority="LA-877")
    request_other = record(app, c, "EHCNeedsAssessmentRequested", date(2024, 1, 8),
                           authority="LA-877", requester_role="Parent", request_source="1")
    assert request_other
    return Cohort(children)


LA_NUMBERS = {AUTHORITY: "901", "LA-877": "877"}
SURNAMES = {"on_time": "Ashdown", "late_exception": "Birchley", "refused": "Copse",
            "withdrawn": "Dunmore", "undecided": "Elmstead", "old_plan": "Fallow",
            "elsewhere": "Gorse"}


def synthetic_upn(number: int) -> str:
    """A made-up UPN with a valid check letter (LA 901, establishment 0000, serial)."""
    from domain.personal_data import upn_check_letter

    body = f"90100002{number:03d}"[:11] + "0"
    return upn_check_letter(body) + body


def give_identifiers(vault: Any, cohort: Cohort) -> None:
    """Put made-up names, postcodes and UPNs in the vault for every cohort child."""
    for number, (label, child) in enumerate(sorted(cohort.children.items()), start=1):
        vault.create(child.child_id, {
            "family_name": SURNAMES[label], "given_name": "Sam",
            "postcode": "ZZ9 9ZZ", "upn": synthetic_upn(number)})
