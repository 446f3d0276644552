"""SEN2 2025 from a hand-built cohort, item by item; XML round trip; the diff.

Collection 2025: activity 1 January - 31 December 2024; reference date Thursday 16
January 2025 (the third Thursday of January). Cohort: tests/integration/sen2_cohort.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from application.errors import ForbiddenError
from application.sen2 import (
    Sen2Policy,
    census_day,
    diff_returns,
    load_return,
    sen2_return,
    to_xml,
)
from domain.actors import Actor
from tests.integration import sen2_cohort as cohort_module
from tests.integration.sen2_cohort import AUTHORITY, MANAGER, YEAR, build, store_env, tracking


@pytest.fixture
def built(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest) -> Any:
    if store_url is not None:  # a schema of this test's own: empty tables
        store_url = request.getfixturevalue("postgres_schema_url")
    app = tracking(store_env(tmp_path, store_url))
    cohort = build(app)
    yield app, cohort
    app.close()


def by_ref(result: Any) -> dict[str, dict[str, Any]]:
    return {p["ref"]: p for p in result.persons}


def test_reference_date_is_the_third_thursday_of_january() -> None:
    assert census_day(2023) == date(2023, 1, 19)
    assert census_day(2024) == date(2024, 1, 18)
    assert census_day(2025) == date(2025, 1, 16)


def test_the_return_item_by_item(built: Any) -> None:
    app, cohort = built
    result = sen2_return(app, year=YEAR, authority=AUTHORITY, actor=MANAGER)
    assert result.header["ReferenceDate"] == "2025-01-16"
    assert result.header["Source"]["LEA"] == AUTHORITY
    persons = by_ref(result)
    # Everyone but the other authority's child is reported.
    assert set(persons) == {str(cohort[k].child_id) for k in (
        "on_time", "late_exception", "refused", "withdrawn", "undecided", "old_plan")}

    on_time = persons[str(cohort["on_time"].child_id)]
    assert on_time["Person"] | {} == {
        "Surname": "", "Forename": "", "PersonBirthDate": "2016-03-03", "Sex": "F",
        "Ethnicity": "WBRI", "PostCode": "", "UPN": "", "UniqueLearnerNumber": "",
        "UPNunknown": "UN1"}
    [req] = on_time["Requests"]
    assert {k: v for k, v in req.items() if not isinstance(v, dict)} == {
        "ReceivedDate": "2024-01-08", "RequestSource": "1", "RYA": "0",
        "RequestOutcomeDate": "2024-02-12", "RequestOutcome": "A",
        "RequestMediation": "0", "RequestTribunal": "0", "Exported": "0"}
    assert req["Assessment"] == {
        "AssessmentOutcome": "I", "AssessmentOutcomeDate": "2024-05-20",
        "AssessmentMediation": "0", "AssessmentTribunal": "0", "OtherMediation": "0",
        "OtherTribunal": "0", "Week20": "0"}
    assert req["NamedPlan"]["StartDate"] == "2024-05-20"
    assert req["NamedPlan"]["CeaseDate"] == "" and req["NamedPlan"]["PB"] == "0"
    assert req["NamedPlan"]["PlanDetail"]["URN"] == "100001"
    active = on_time["ActivePlans"]
    assert [(p["URN"], p["EntryDate"], p["AttendancePattern"], p["PlacementRank"])
            for p in active["PlacementDetail"]] == [("100001", "2024-05-27", "F", "1")]
    assert active["SENneed"] == [{"SENtype": "SLCN", "SENtypeRank": "1"},
                                 {"SENtype": "ASD", "SENtypeRank": "2"}]

    late = persons[str(cohort["late_exception"].child_id)]
    [req] = late["Requests"]
    assert req["RequestSource"] == "2" and req["Assessment"]["Week20"] == "1"
    assert req["NamedPlan"]["StartDate"] == "2024-08-01"
    assert late["ActivePlans"]["SENneed"] == [{"SENtype": "MLD", "SENtypeRank": "1"}]

    refused = persons[str(cohort["refused"].child_id)]
    [req] = refused["Requests"]
    assert (req["RequestOutcome"], req["RequestOutcomeDate"]) == ("N", "2024-04-15")
    assert req["RequestMediation"] == "1" and req["RequestTribunal"] == "0"
    assert "Assessment" not in req and "ActivePlans" not in refused

    [req] = persons[str(cohort["withdrawn"].child_id)]["Requests"]
    assert (req["RequestOutcome"], req["RequestOutcomeDate"]) == ("W", "2024-09-30")
    [req] = persons[str(cohort["undecided"].child_id)]["Requests"]
    assert (req["RequestOutcome"], req["RequestOutcomeDate"]) == ("", "")

    old = persons[str(cohort["old_plan"].child_id)]
    assert old["Requests"] == []  # the 2023 request is not 2024 activity
    assert old["ActivePlans"]["SENneed"] == [{"SENtype": "SEMH", "SENtypeRank": "1"}]

    # The published measures, worked out: 5 requests in 2024 (on_time, late_exception,
    # refused, withdrawn, undecided); 2 assessed, 1 refused, 1 withdrawn, 1 undecided;
    # 2 new plans: 133 days (within) and 182 days (not); excluding the one with an
    # exception, 1 plan, 1 within. Mean weeks (19 + 26) / 2 = 22.5. Active on 16 Jan
    # 2025: on_time, late_exception, old_plan.
    assert result.summary | {"seconds": 0} == {
        "persons": 6, "requests": 5, "requests_assessed": 2, "requests_refused": 1,
        "requests_withdrawn": 1, "requests_undecided": 1, "new_plans": 2,
        "within_20_weeks_including_exceptions": 1, "new_plans_excluding_exceptions": 1,
        "within_20_weeks_excluding_exceptions": 1, "percent_within_20_weeks": 50.0,
        "mean_weeks_to_issue": 22.5, "active_plans": 3, "ceased_plans": 0,
        "within_20_weeks_policy_days": 140, "seconds": 0, "identifiers_unavailable": []}


def test_the_20_week_convention_is_a_policy(built: Any) -> None:
    app, _ = built
    strict = sen2_return(app, year=YEAR, authority=AUTHORITY,
                         policy=Sen2Policy(within_20_weeks_days=130))
    assert strict.summary["within_20_weeks_including_exceptions"] == 0  # 133 > 130


def test_identifiers_come_from_the_vault_when_present(built: Any) -> None:
    app, cohort = built

    class Vault:
        def identifiers(self, child_id: Any) -> dict[str, str] | None:
            if child_id == cohort["on_time"].child_id:
                return {"given_name": "Ada", "family_name": "Example", "postcode": "AB1 2CD",
                        "upn": "A123456789012"}
            return {}

    app.vault = Vault()
    persons = by_ref(sen2_return(app, year=YEAR, authority=AUTHORITY))
    person = persons[str(cohort["on_time"].child_id)]["Person"]
    assert (person["Surname"], person["Forename"], person["PostCode"], person["UPN"],
            person["UPNunknown"]) == ("Example", "Ada", "AB1 2CD", "A123456789012", "")
    assert persons[str(cohort["withdrawn"].child_id)]["Person"]["UPNunknown"] == "UN2"


def test_a_vault_record_that_cannot_be_opened_is_reported_not_fatal(built: Any) -> None:
    app, cohort = built

    class Vault:
        def identifiers(self, child_id: Any) -> dict[str, str] | None:
            if child_id == cohort["refused"].child_id:
                raise ValueError("wrong master key")
            return None

    app.vault = Vault()
    result = sen2_return(app, year=YEAR, authority=AUTHORITY)
    assert result.summary["identifiers_unavailable"] == [str(cohort["refused"].child_id)]
    assert by_ref(result)[str(cohort["refused"].child_id)]["Person"]["UPN"] == ""


def test_only_the_authoritys_managers_export(built: Any) -> None:
    app, _ = built
    for actor in (Actor("u", "caseworker", AUTHORITY), Actor("u", "inspector", "OFSTED"),
                  Actor("u", "manager", "LA-877")):
        with pytest.raises(ForbiddenError):
            sen2_return(app, year=YEAR, authority=AUTHORITY, actor=actor)


def test_xml_round_trips_and_the_diff_finds_exactly_the_changes(built: Any) -> None:
    app, cohort = built
    submitted_xml = to_xml(sen2_return(app, year=YEAR, authority=AUTHORITY))
    submitted = load_return(submitted_xml)
    now = sen2_return(app, year=YEAR, authority=AUTHORITY)
    assert diff_returns(submitted, now.as_dict()) == []

    # After submission: the undecided request is decided (to assess) on 20 Dec 2024.
    undecided = cohort["undecided"]
    cohort_module.record(app, undecided, "DecisionToAssessMade", date(2024, 12, 20),
                         reasons="May need a plan")
    after = sen2_return(app, year=YEAR, authority=AUTHORITY).as_dict()
    child = str(undecided.child_id)
    request = "Requests[ReceivedDate=2024-12-02]."
    assessment = [f"{request}Assessment.{item}" for item in (
        "AssessmentMediation", "AssessmentOutcome", "AssessmentOutcomeDate",
        "AssessmentTribunal", "OtherMediation", "OtherTribunal", "Week20")]
    differences = diff_returns(submitted, after)
    assert [(d["child"], d["item"], d["submitted"], d["now"]) for d in differences] == sorted(
        [(child, f"{request}RequestOutcome", "", "A"),
         (child, f"{request}RequestOutcomeDate", "", "2024-12-20")]
        + [(child, item, "(absent)", "" if item.endswith("Date") or item.endswith(
            "Outcome") else "0") for item in assessment], key=lambda d: d[1])

    # A hand-edited submitted file: a need dropped and a person missing.
    edited = submitted_xml.replace(b"<SENtype>ASD</SENtype>", b"<SENtype>HI</SENtype>")
    edited_return = load_return(edited)
    gone = str(cohort["withdrawn"].child_id)
    edited_return["persons"] = [p for p in edited_return["persons"] if p["ref"] != gone]
    differences = diff_returns(edited_return, load_return(submitted_xml))
    assert [(d["child"], d["item"], d["submitted"], d["now"]) for d in differences] == sorted([
        (str(cohort["on_time"].child_id), "ActivePlans.SENneed[rank=2].SENtype", "HI", "ASD"),
        (gone, "(person)", "absent", "present")])
