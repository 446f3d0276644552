"""SEN2 2025 over a cohort using every code of every list: each code appears, each
module's items are as worked out by hand, and the file meets its schema except where
casetrack cannot know an item (a transferred-in plan's request date and source: the old
LA's records, which the transfer does not carry). Both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema

from application.sen2 import Sen2Policy, check_return, sen2_return, spec_for, to_xml, xsd
from application.sen2.spec import Module
from tests.conftest import settings_for
from tests.integration.sen2_codes_cohort import build_codes
from tests.integration.sen2_cohort import (
    AUTHORITY,
    LA_NUMBERS,
    YEAR,
    build,
    store_env,
    synthetic_upn,
    tracking,
)
from web.personal_data import vault_for

# Codes no journey can produce, and why (docs/decisions/0008).
NOT_PRODUCED = {
    # a plan after another LA's assessment: a plan transferred in is H (the guide)
    "AssessmentOutcome": {"S"},
    # reasons casetrack does not record: the LA gives UPNs, or UN1/UN10 apply
    "UPNunknown": {"UN2", "UN3", "UN5", "UN9"},
}
NO_UPN = {"assessing", "assessment_withdrawn", "transferred_in"}


@pytest.fixture
def returned(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest
             ) -> Any:
    if store_url is not None:
        store_url = request.getfixturevalue("postgres_schema_url")
    app = tracking(store_env(tmp_path, store_url))
    children = build(app).children | build_codes(app)
    vault = vault_for(settings_for(tmp_path, store_url))
    for number, (label, child) in enumerate(sorted(children.items()), start=1):
        ids = {"family_name": f"Surname{number}", "given_name": "Sam"}
        vault.create(child.child_id, ids if label in NO_UPN else ids | {
            "upn": synthetic_upn(number)})
    app.vault = vault
    try:
        result = sen2_return(app, year=YEAR, authority=AUTHORITY,
                             policy=Sen2Policy(la_numbers=LA_NUMBERS))
    finally:
        vault.close()
        app.close()
    persons = {p["ref"]: p for p in result.persons}
    return result, {label: persons.get(str(child.child_id)) for label, child in
                    children.items()}


def codes_used(data: dict[str, Any], spec_module: Module) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}

    def walk(values: dict[str, Any], module: Module) -> None:
        for item in module.items:
            if item.codes and item.name in values:
                used.setdefault(item.codes, set()).add(values[item.name])
        for child in module.children:
            value = values.get(child.name)
            for row in value if isinstance(value, list) else [value] if value else []:
                walk(row, child)

    for person in data["persons"]:
        walk({**person["Person"], "Requests": person["Requests"]}, spec_module)
    return used


def test_every_code_of_every_list_is_used_but_those_no_journey_can_give(returned: Any
                                                                        ) -> None:
    result, _ = returned
    spec = spec_for(YEAR)
    used = codes_used(result.as_dict(), spec.person)
    missing = {name: set(codes) - used.get(name, set()) for name, codes in
               spec.code_lists.items()}
    assert {name: codes for name, codes in missing.items() if codes} == NOT_PRODUCED
    assert all(used[name] <= set(spec.code_lists[name]) for name in used)


def test_active_plans_carry_transfer_review_placements_and_ranked_needs(returned: Any
                                                                        ) -> None:
    _, persons = returned
    [request] = persons["transferred_in"]["Requests"]
    # Transferred in (H), no request date known; plan made 1 Jun 2021; section I names
    # URN 100020 as resourced provision (setting type MAINSTREAM_LA_RP), then the rank 2
    # placement (OLA); residential A and work-based from the rank 1 placement.
    assert {k: v for k, v in request.items() if k not in ("Assessment", "ActivePlans")} == {
        "RYA": "0", "RequestOutcome": "H"}
    plan = request["Assessment"]["NamedPlan"]
    assert plan == {
        "StartDate": "2021-06-01", "PlanRes": "A", "PlanWPB": "1", "PB": "0", "OA": "0",
        "DP": "0", "PlanDetail": [
            {"URN": "100020", "PlacementRank": "1", "SENunitIndicator": "0",
             "ResourcedProvisionIndicator": "1"},
            {"SENSetting": "OLA", "PlacementRank": "2", "SENunitIndicator": "0",
             "ResourcedProvisionIndicator": "0"}]}
    active = request["ActivePlans"]
    assert {k: v for k, v in active.items() if k not in ("PlacementDetail", "SENneed")} == {
        "TransferLA": "877", "ReviewMeeting": "2024-10-01", "ReviewOutcome": "M",
        "LastReview": "2024-10-15"}
    assert active["PlacementDetail"] == [
        {"URN": "100010", "PlacementRank": "1", "EntryDate": "2024-03-04",
         "SENunitIndicator": "0", "ResourcedProvisionIndicator": "0", "RES": "A",
         "WPB": "1"},
        {"SENSetting": "OLA", "PlacementRank": "2", "EntryDate": "2024-03-04",
         "SENunitIndicator": "0", "ResourcedProvisionIndicator": "0", "WPB": "0"}]
    assert [(n["SENtype"], n["SENtypeRank"]) for n in active["SENneed"]][:3] == [
        ("SPLD", "1"), ("MLD", "2"), ("SLD", "3")]
    # No UPN in the vault and new to the LA since March 2024 (12 years old): UN8.
    assert persons["transferred_in"]["Person"]["UPNunknown"] == "UN8"


def test_2025_review_draft_and_phase_transfer_items_come_from_the_reviews_and_k12(
        returned: Any) -> None:
    _, persons = returned
    [request] = persons["phase_and_draft"]["Requests"]
    active = request["ActivePlans"]
    # K12: transfer 2 Sep 2024 (primary to secondary) due before 15 Feb 2024, so 14 Feb
    # (reg 18(1)(b)), stopped 12 Feb.
    # Review 1 May 2024: decision to amend notified 22 May (the draft, Devon).
    assert {k: v for k, v in active.items() if k not in ("PlacementDetail", "SENneed")} == {
        "ReviewMeeting": "2024-05-01", "ReviewOutcome": "A", "ReviewDraft": "2024-05-22",
        "PhaseTransferDueDate": "2024-02-14", "PhaseTransferFinalDate": "2024-02-12",
        "LastReview": "2024-05-22"}
    assert active["SENneed"] == [{"SENtype": "DS", "SENtypeRank": "1"}]
    # The phase-transfer plan named URN 100012 (mainstream, LA maintained).
    assert request["Assessment"]["NamedPlan"]["PlanDetail"][0]["URN"] == "100012"


def test_ceased_and_transferred_out_plans_carry_date_and_reason_and_no_active_plan(
        returned: Any) -> None:
    _, persons = returned
    for reason in ("1", "2", "3", "4", "6", "7", "8", "9"):
        [request] = persons[f"ceased_{reason}"]["Requests"]
        plan = request["Assessment"]["NamedPlan"]
        assert (plan["CeaseDate"], plan["CeaseReason"]) == ("2024-06-03", reason)
        assert "ActivePlans" not in request
    historic, moved = persons["exported"]["Requests"]
    plan = historic["Assessment"]["NamedPlan"]
    assert (plan["CeaseDate"], plan["CeaseReason"]) == ("2024-07-01", "5")
    assert moved == {"ReceivedDate": "2024-04-08", "RequestSource": "3", "RYA": "0",
                     "RequestOutcome": "A", "Exported": "1"}


def test_assessment_outcomes_and_upn_unknown_reasons(returned: Any) -> None:
    _, persons = returned
    [not_issued] = persons["not_issued"]["Requests"]
    assert not_issued["RequestSource"] == "4"
    assert not_issued["Assessment"] == {
        "AssessmentOutcome": "N", "AssessmentOutcomeDate": "2024-06-03",
        "AssessmentMediation": "0", "AssessmentTribunal": "0", "OtherMediation": "0",
        "OtherTribunal": "0", "Week20": "0"}
    [issuing] = persons["issuing"]["Requests"]
    assert issuing["Assessment"]["AssessmentOutcome"] == "Y"
    assert "AssessmentOutcomeDate" not in issuing["Assessment"]  # decided, not yet issued
    [assessing] = persons["assessing"]["Requests"]
    assert (assessing["RequestSource"], assessing["RequestOutcome"],
            assessing["Assessment"]) == ("5", "Y", {"AssessmentOutcome": "A"})
    assert persons["assessing"]["Person"]["UPNunknown"] == "UN1"  # 4 on 16 Jan 2025
    [withdrawn] = persons["assessment_withdrawn"]["Requests"]
    assert withdrawn["Assessment"] == {"AssessmentOutcome": "W"}
    assert persons["assessment_withdrawn"]["Person"]["UPNunknown"] == "UN10"
    assert persons["elsewhere"] is None


def test_a_plan_issued_after_the_year_but_before_the_census_is_an_active_plan(
        returned: Any) -> None:
    _, persons = returned
    [request] = persons["issued_in_january"]["Requests"]
    assert (request["RequestOutcome"], request["RequestOutcomeDate"]) == ("Y", "2024-09-09")
    assessment = request["Assessment"]
    assert assessment["AssessmentOutcome"] == "Y" and "AssessmentOutcomeDate" not in assessment
    assert assessment["NamedPlan"]["StartDate"] == "2025-01-08"
    assert request["ActivePlans"]["PlacementDetail"][0]["EntryDate"] == "2025-01-15"
    assert [n["SENtype"] for n in request["ActivePlans"]["SENneed"]] == ["SLCN", "ASD"]


def test_the_file_meets_its_schema_but_for_request_items_casetrack_cannot_know(
        returned: Any) -> None:
    result, persons = returned
    schema = xmlschema.XMLSchema(xsd(spec_for(YEAR)).decode())
    errors = list(schema.iter_errors(to_xml(result).decode()))
    transferred = sum(1 for p in persons.values() if p for r in p["Requests"]
                      if "ReceivedDate" not in r)
    assert transferred == 18  # every plan here transferred in, one request each
    assert len(errors) == transferred
    assert all("Tag 'ReceivedDate' expected" in str(e.reason) for e in errors)
    # The checks say the same, child by child, with the rule.
    findings = check_return(result.as_dict())
    assert {f.rule for f in findings if f.severity == "error"} == {"required-item"}
    assert {f.item for f in findings if f.severity == "error"} == {
        "Requests[ReceivedDate=].ReceivedDate", "Requests[ReceivedDate=].RequestSource"}
