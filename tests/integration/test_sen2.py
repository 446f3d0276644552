"""SEN2 from a hand-built cohort, module by module, in DfE's codes; per-year structure and
schemas; pre-submission checks on broken data; the diff. Both stores.

Collection 2025: activity 1 January - 31 December 2024; reference date Thursday 16
January 2025. Cohort: tests/integration/sen2_cohort.py (every child's expected items
are worked out beside it). Identifiers are made up and kept in the real vault.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from application.errors import ForbiddenError
from application.sen2 import (
    MissingLANumberError,
    Sen2Policy,
    census_day,
    check_return,
    diff_returns,
    load_return,
    sen2_return,
    spec_for,
    to_xml,
    xsd,
)
from domain.actors import Actor
from tests.conftest import settings_for
from tests.integration import sen2_cohort as cohort_module
from tests.integration.sen2_cohort import (
    AUTHORITY,
    LA_NUMBERS,
    MANAGER,
    YEAR,
    build,
    give_identifiers,
    store_env,
    tracking,
)
from web.personal_data import vault_for

POLICY = Sen2Policy(la_numbers=LA_NUMBERS)


@pytest.fixture
def built(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest) -> Any:
    if store_url is not None:  # a schema of this test's own: empty tables
        store_url = request.getfixturevalue("postgres_schema_url")
    app = tracking(store_env(tmp_path, store_url))
    cohort = build(app)
    app.vault = vault_for(settings_for(tmp_path, store_url))
    give_identifiers(app.vault, cohort)
    yield app, cohort
    app.vault.close()
    app.close()


def by_ref(result: Any) -> dict[str, dict[str, Any]]:
    return {p["ref"]: p for p in result.persons}


def person_xml(xml: bytes, surname: str) -> str:
    """The <Person> element of the child with ``surname``, as written."""
    text = xml.decode()
    at = text.index(f"<Surname>{surname}</Surname>")
    start = text.rindex("    <Person>", 0, at)
    return text[start:text.index("</Person>", at) + len("</Person>")]


def validate(xml: bytes, year: int) -> None:
    xmlschema.XMLSchema(xsd(spec_for(year)).decode()).validate(xml.decode())


def test_reference_date_is_the_third_thursday_of_january() -> None:
    assert census_day(2024) == date(2024, 1, 18)
    assert census_day(2025) == date(2025, 1, 16)
    assert census_day(2026) == date(2026, 1, 15)


def test_a_plan_issued_in_the_year_is_written_module_by_module(built: Any) -> None:
    app, _ = built
    xml = to_xml(sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY))
    # ON_TIME, worked by hand: request 8 Jan 2024 from a parent (source 1), decided to
    # assess, notified 12 Feb 2024 (Y); plan issued 20 May 2024 (Y, no exception: Week20
    # 0), section I names URN 100001 (rank 1, mainstream: no unit, no resourced
    # provision); active on 16 Jan 2025 with its placement from 27 May 2024 and needs
    # SLCN (1), ASD (2). Nothing empty is written; PlanRes is absent (not residential).
    assert person_xml(xml, "Ashdown") == """    <Person>
      <Surname>Ashdown</Surname>
      <Forename>Sam</Forename>
      <PersonBirthDate>2016-03-03</PersonBirthDate>
      <Sex>F</Sex>
      <Ethnicity>WBRI</Ethnicity>
      <PostCode>ZZ9 9ZZ</PostCode>
      <UPN>W901000020040</UPN>
      <Requests>
        <ReceivedDate>2024-01-08</ReceivedDate>
        <RequestSource>1</RequestSource>
        <RYA>0</RYA>
        <RequestOutcomeDate>2024-02-12</RequestOutcomeDate>
        <RequestOutcome>Y</RequestOutcome>
        <RequestMediation>0</RequestMediation>
        <RequestTribunal>0</RequestTribunal>
        <Assessment>
          <AssessmentOutcome>Y</AssessmentOutcome>
          <AssessmentOutcomeDate>2024-05-20</AssessmentOutcomeDate>
          <AssessmentMediation>0</AssessmentMediation>
          <AssessmentTribunal>0</AssessmentTribunal>
          <OtherMediation>0</OtherMediation>
          <OtherTribunal>0</OtherTribunal>
          <Week20>0</Week20>
          <NamedPlan>
            <StartDate>2024-05-20</StartDate>
            <PlanWPB>0</PlanWPB>
            <PB>0</PB>
            <OA>0</OA>
            <DP>0</DP>
            <PlanDetail>
              <URN>100001</URN>
              <PlacementRank>1</PlacementRank>
              <SENunitIndicator>0</SENunitIndicator>
              <ResourcedProvisionIndicator>0</ResourcedProvisionIndicator>
            </PlanDetail>
          </NamedPlan>
        </Assessment>
        <ActivePlans>
          <PlacementDetail>
            <URN>100001</URN>
            <PlacementRank>1</PlacementRank>
            <EntryDate>2024-05-27</EntryDate>
            <SENunitIndicator>0</SENunitIndicator>
            <ResourcedProvisionIndicator>0</ResourcedProvisionIndicator>
            <WPB>0</WPB>
          </PlacementDetail>
          <SENneed>
            <SENtype>SLCN</SENtype>
            <SENtypeRank>1</SENtypeRank>
          </SENneed>
          <SENneed>
            <SENtype>ASD</SENtype>
            <SENtypeRank>2</SENtypeRank>
          </SENneed>
        </ActivePlans>
      </Requests>
    </Person>"""


def test_refusals_withdrawals_and_undecided_requests_carry_their_outcome_only(
        built: Any) -> None:
    app, _ = built
    xml = to_xml(sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY))
    # REFUSED: notified 15 Apr 2024 (N, with its date); mediation on the refusal (1).
    assert """        <RequestOutcomeDate>2024-04-15</RequestOutcomeDate>
        <RequestOutcome>N</RequestOutcome>
        <RequestMediation>1</RequestMediation>
        <RequestTribunal>0</RequestTribunal>
      </Requests>""" in person_xml(xml, "Copse")
    # WITHDRAWN (W) and UNDECIDED at the year's end (A: "decision yet to be made"): "no
    # further information is required in this module" (the guide), so no date.
    assert """        <RYA>0</RYA>
        <RequestOutcome>W</RequestOutcome>
      </Requests>""" in person_xml(xml, "Dunmore")
    assert """        <RYA>0</RYA>
        <RequestOutcome>A</RequestOutcome>
      </Requests>""" in person_xml(xml, "Elmstead")


def test_a_plan_active_on_the_census_day_keeps_its_historic_request_and_plan(
        built: Any) -> None:
    app, _ = built
    xml = to_xml(sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY))
    # OLD_PLAN: request 3 Jan 2023, plan 22 May 2023: both decisions before 2024, so H;
    # the plan and its placement (URN 100003) and need SEMH are still reported.
    old = person_xml(xml, "Fallow")
    assert """      <Requests>
        <ReceivedDate>2023-01-03</ReceivedDate>
        <RequestSource>1</RequestSource>
        <RYA>0</RYA>
        <RequestOutcome>H</RequestOutcome>
        <Assessment>
          <AssessmentOutcome>H</AssessmentOutcome>
          <NamedPlan>
            <StartDate>2023-05-22</StartDate>""" in old
    assert "<URN>100003</URN>" in old and "<SENtype>SEMH</SENtype>" in old


def test_the_measures_count_dfes_codes(built: Any) -> None:
    app, _ = built
    result = sen2_return(app, year=YEAR, authority=AUTHORITY, actor=MANAGER, policy=POLICY)
    assert result.header["Source"]["LEA"] == "901"
    # 6 requests: on_time Y, late_exception Y, refused N, withdrawn W, undecided A,
    # old_plan H. 2 new plans: 133 days (within 20 weeks) and 182 days (not, exception
    # applies); excluding exceptions 1 plan, within. Mean (19 + 26) / 2 = 22.5 weeks.
    assert result.summary | {"seconds": 0} == {
        "persons": 6, "requests": 6,
        "requests_by_outcome": {"A": 1, "H": 1, "N": 1, "W": 1, "Y": 2}, "new_plans": 2,
        "within_20_weeks_including_exceptions": 1, "new_plans_excluding_exceptions": 1,
        "within_20_weeks_excluding_exceptions": 1, "percent_within_20_weeks": 50.0,
        "mean_weeks_to_issue": 22.5, "active_plans": 3, "ceased_plans": 0,
        "within_20_weeks_policy_days": 140, "seconds": 0, "identifiers_unavailable": []}


def test_each_collection_year_has_its_own_structure_and_validates_against_its_schema(
        built: Any) -> None:
    app, _ = built
    for year in (2024, 2025, 2026):
        xml = to_xml(sen2_return(app, year=year, authority=AUTHORITY, policy=POLICY))
        validate(xml, year)
        assert (b"<RequestSource>" in xml) == (year >= 2025)  # added in v1.3
    # 2025's file is not a 2024 file: RequestSource is not a 2024 item.
    xml_2025 = to_xml(sen2_return(app, year=2025, authority=AUTHORITY, policy=POLICY))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(xml_2025, 2024)
    # 2024 (activity 2023): only OLD_PLAN, its request decided in 2023 (Y).
    [person] = sen2_return(app, year=2024, authority=AUTHORITY, policy=POLICY).persons
    assert [(r["ReceivedDate"], r["RequestOutcome"]) for r in person["Requests"]] == [
        ("2023-01-03", "Y")]


def test_the_2025_items_and_codes_are_declared_as_changes_of_the_2024_spec() -> None:
    spec_2024, spec_2025 = spec_for(2024), spec_for(2025)
    added = {(c.module, c.item) for c in spec_2025.changes if c.kind == "added"}
    assert added == {("Person/Requests", "RequestSource"),
                     ("Person/Requests/ActivePlans", "ReviewDraft"),
                     ("Person/Requests/ActivePlans", "PhaseTransferDueDate"),
                     ("Person/Requests/ActivePlans", "PhaseTransferFinalDate")}
    for module, item in added:
        assert spec_2025.module(module).item(item) is not None
        assert spec_2024.module(module).item(item) is None
    assert set(spec_2025.codes("SENSetting")) - set(spec_2024.codes("SENSetting")) == {
        "NEET", "NIEC", "NIEO"}
    assert set(spec_2025.codes("SENtype")) - set(spec_2024.codes("SENtype")) == {"DS"}
    assert spec_2025.module("Person/Requests/Assessment").child("NamedPlan") is not None
    assert spec_2025.module("Person/Requests").child("ActivePlans") is not None
    assert spec_2025.module("Person/Requests/ActivePlans").item("AttendancePattern") is None


def test_the_return_is_refused_without_the_authoritys_dfe_number(built: Any) -> None:
    app, _ = built
    with pytest.raises(MissingLANumberError, match="LA-901"):
        sen2_return(app, year=YEAR, authority=AUTHORITY)
    with pytest.raises(MissingLANumberError):
        sen2_return(app, year=YEAR, authority=AUTHORITY,
                    policy=Sen2Policy(la_numbers={AUTHORITY: "LA9"}))


def test_the_checks_find_nothing_wrong_in_the_cohort_but_its_late_plan(built: Any) -> None:
    app, cohort = built
    findings = check_return(sen2_return(app, year=YEAR, authority=AUTHORITY,
                                        policy=POLICY).as_dict())
    # LATE_EXCEPTION's plan took 182 days and Week20 is 1: no query. Every active plan
    # has a placement and a rank 1 need. Nothing to find.
    assert [(f.child, f.rule) for f in findings] == []


def _broken(result: dict[str, Any], surname: str) -> dict[str, Any]:
    return next(p for p in result["persons"] if p["Person"]["Surname"] == surname)


def test_the_checks_name_child_item_and_rule_on_broken_data(built: Any) -> None:
    app, cohort = built
    data = copy.deepcopy(sen2_return(app, year=YEAR, authority=AUTHORITY,
                                     policy=POLICY).as_dict())
    on_time = _broken(data, "Ashdown")
    request = on_time["Requests"][0]
    plan = request["Assessment"]["NamedPlan"]
    plan["CeaseDate"] = "2024-11-01"  # ... without a reason
    request["ActivePlans"]["LastReview"] = "2024-05-01"  # before the plan started
    request["ActivePlans"]["TransferLA"] = "LA-877"  # not a DfE number
    on_time["Person"]["UPN"] = "A901000020040"  # wrong check letter
    refused = _broken(data, "Copse")
    refused["Requests"][0]["RequestOutcome"] = "I"  # not a code
    refused["Requests"][0]["Assessment"] = {"AssessmentOutcome": "Y", "NamedPlan": {
        "StartDate": "2025-02-01", "PB": "0",
        "PlanDetail": [{"URN": "100009", "PlacementRank": "1", "SENunitIndicator": "0",
                        "ResourcedProvisionIndicator": "0"}]}}
    undecided = _broken(data, "Elmstead")
    undecided["Requests"][0]["ReceivedDate"] = "2025-01-05"  # after the period
    undecided["Person"]["UPNunknown"] = "UN1"  # with a UPN
    undecided["Person"]["UniqueLearnerNumber"] = "1234567890"  # wrong check digit
    data["persons"].append(copy.deepcopy(_broken(data, "Dunmore")))  # twice
    child = {label: str(cohort[label].child_id) for label in cohort.children}
    request_on_time = "Requests[ReceivedDate=2024-01-08]."
    request_refused = "Requests[ReceivedDate=2024-03-04]."
    assert {(f.child, f.item, f.rule, f.severity) for f in check_return(data)} == {
        (child["on_time"], f"{request_on_time}Assessment.NamedPlan.CeaseDate",
         "cease-date-without-reason", "error"),
        (child["on_time"], f"{request_on_time}ActivePlans", "active-plan-ceased", "error"),
        (child["on_time"], f"{request_on_time}ActivePlans.LastReview",
         "review-before-plan-start", "error"),
        (child["on_time"], "UPN", "upn-check-letter", "error"),
        (child["on_time"], f"{request_on_time}ActivePlans.TransferLA", "la-number", "error"),
        (child["refused"], f"{request_refused}RequestOutcome", "code-not-in-list", "error"),
        (child["refused"], f"{request_refused}Assessment.NamedPlan",
         "plan-without-request", "error"),
        (child["refused"], f"{request_refused}Assessment.NamedPlan.StartDate",
         "date-after-census", "error"),
        (child["undecided"], "Requests[ReceivedDate=2025-01-05].ReceivedDate",
         "date-after-collection", "error"),
        (child["undecided"], "UPNunknown", "upn-unknown-with-upn", "error"),
        (child["undecided"], "UniqueLearnerNumber", "uln-check-digit", "error"),
        (child["withdrawn"], "Person", "duplicate-person", "error"),
    }


def test_only_the_authoritys_managers_export(built: Any) -> None:
    app, _ = built
    for actor in (Actor("u", "caseworker", AUTHORITY), Actor("u", "inspector", "OFSTED"),
                  Actor("u", "manager", "LA-877")):
        with pytest.raises(ForbiddenError):
            sen2_return(app, year=YEAR, authority=AUTHORITY, actor=actor, policy=POLICY)


def test_a_vault_record_that_cannot_be_opened_is_reported_not_fatal(built: Any) -> None:
    app, cohort = built
    real = app.vault

    class Failing:
        def identifiers(self, child_id: Any) -> dict[str, str] | None:
            if child_id == cohort["refused"].child_id:
                raise ValueError("wrong master key")
            return real.identifiers(child_id)  # type: ignore[no-any-return]

    app.vault = Failing()
    try:
        result = sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY)
    finally:
        app.vault = real
    assert result.summary["identifiers_unavailable"] == [str(cohort["refused"].child_id)]
    assert "UPN" not in by_ref(result)[str(cohort["refused"].child_id)]["Person"]


def test_the_diff_reads_a_submitted_xml_file_item_by_item(built: Any) -> None:
    app, cohort = built
    submitted_xml = to_xml(sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY))
    submitted = load_return(submitted_xml)
    now = sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY)
    assert diff_returns(submitted, now.as_dict()) == []

    # After submission the undecided request is decided (to assess) on 20 Dec 2024: its
    # outcome goes from A to Y with its date, and an Assessment (A) appears.
    undecided = cohort["undecided"]
    cohort_module.record(app, undecided, "DecisionToAssessMade", date(2024, 12, 20),
                         assessment_test_met=True, reasons="May need a plan")
    after = sen2_return(app, year=YEAR, authority=AUTHORITY, policy=POLICY).as_dict()
    child = str(undecided.child_id)
    request = "Requests[ReceivedDate=2024-12-02]."
    assert [(d["child"], d["item"], d["submitted"], d["now"])
            for d in diff_returns(submitted, after)] == [
        (child, f"{request}Assessment.AssessmentOutcome", "(absent)", "A"),
        (child, f"{request}RequestMediation", "(absent)", "0"),
        (child, f"{request}RequestOutcome", "A", "Y"),
        (child, f"{request}RequestOutcomeDate", "(absent)", "2024-12-20"),
        (child, f"{request}RequestTribunal", "(absent)", "0"),
    ]

    # A hand-edited submitted file: a need changed and a person missing.
    edited = load_return(submitted_xml.replace(b"<SENtype>ASD</SENtype>",
                                               b"<SENtype>HI</SENtype>"))
    edited["persons"] = [p for p in edited["persons"]
                         if p["Person"]["Surname"] != "Dunmore"]
    differences = diff_returns(edited, load_return(submitted_xml))
    assert sorted((d["item"], d["submitted"], d["now"]) for d in differences) == [
        ("(person)", "absent", "present"),
        ("Requests[ReceivedDate=2024-01-08].ActivePlans.SENneed[rank=2].SENtype", "HI",
         "ASD")]


def test_the_diff_compares_returns_of_the_same_year_only(built: Any) -> None:
    from application.sen2.diff import YearMismatchError

    app, _ = built
    submitted = load_return(to_xml(sen2_return(app, year=2024, authority=AUTHORITY,
                                               policy=POLICY)))
    with pytest.raises(YearMismatchError, match="2024, not 2025"):
        diff_returns(submitted, sen2_return(app, year=YEAR, authority=AUTHORITY,
                                            policy=POLICY).as_dict())


def test_a_submitted_file_is_read_without_entities() -> None:
    from application.sen2 import Sen2FileError

    bomb = (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]>'
            b"<Message><Header><CollectionDetails><Year>&a;</Year></CollectionDetails>"
            b"</Header></Message>")
    with pytest.raises(Sen2FileError):
        load_return(bomb)


def test_a_new_year_is_data_and_its_schema_follows_from_it() -> None:
    from application.sen2.build import shape
    from application.sen2.spec import Change, Item, derive

    base = spec_for(2026)
    later = derive(base, year=2027, version="test", changes=(
        Change("added", "Person/Requests/ActivePlans", "TestItem", after="LastReview"),
        Change("removed", "Person/Requests", "Exported")),
        items={"TestItem": Item("TestItem", "date")})
    schema = xsd(later).decode()
    assert '<xs:element name="TestItem" type="xs:date" minOccurs="0" />' in schema
    assert 'name="Exported"' not in schema and 'name="Exported"' in xsd(base).decode()
    values = {"LastReview": "2026-10-01", "TestItem": "2026-11-01", "Unknown": "x"}
    assert shape(values, later.module("Person/Requests/ActivePlans")) == {
        "LastReview": "2026-10-01", "TestItem": "2026-11-01"}
    for code in spec_for(2025).codes("SENSetting"):
        assert f'<xs:enumeration value="{code}" />' in xsd(spec_for(2025)).decode()
