"""The 2023 area SEND framework's lists over HTTP, on SQLite and PostgreSQL: the list of
all children and young people with SEND (JSON and CSV, pseudonymised for inspectors),
draws from it that include SEN Support, sampled bundles on demand, and the survey
contacts that only the authority's managers export, with a purpose, logged."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AUTHORITY, settings_for
from web import create_app
from web.services import services_of

Auth = Callable[..., dict[str, str]]
DAY = date(2025, 3, 3)  # the inspection's first day, and "today" for the app
INSPECTORATE = "OFSTED-CQC"
PURPOSE = {"X-Access-Purpose": "inspection-survey: INSP-2025-LA"}


@pytest.fixture
def app(tmp_path: Path, store_url: str | None) -> Iterator[Flask]:
    app = create_app(settings_for(tmp_path, store_url), today=lambda: DAY)
    yield app
    services_of(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(auth: Auth) -> Auth:
    """Staff of an authority of this test's own (a PostgreSQL store is shared by tests)."""
    authority = f"LA-{uuid.uuid4().hex[:8]}"

    def headers(role: str = "caseworker", org: str | None = None, **extra: Any
                ) -> dict[str, str]:
        return auth(role=role, org=org or authority, **extra)

    headers.authority = authority  # type: ignore[attr-defined]
    return headers


def child(client: FlaskClient, auth: Auth, case_ref: str, steps: list[dict[str, Any]],
          **identifiers: str) -> str:
    registered = client.post("/children", json={"date_of_birth": "2014-05-02",
                                                "occurred_on": "2023-09-01",
                                                "case_ref": case_ref, **identifiers},
                             headers=auth())
    assert registered.status_code == 201, registered.json
    child_id = str(registered.json["child_id"])  # type: ignore[index]
    for step in steps:
        answer = client.post(f"/children/{child_id}/events", json=step, headers=auth())
        assert answer.status_code == 201, answer.json
    return child_id


@pytest.fixture
def area(client: FlaskClient, auth: Auth) -> dict[str, str]:
    """Five children of the test's authority: SEN Support, a plan out of area, a plan in alternative
    provision, an assessment in progress, and one with no SEND recorded."""
    support = child(client, auth, "CR-SUP", [
        {"type": "SENSupportRecorded", "occurred_on": "2024-09-10", "setting_urn": "urn-100001",
         "start_on": "2024-09-09", "needs": [{"code": "SLCN", "rank": 1}],
         "plan_review_on": "2024-12-13"}], given_name="Ada", family_name="Synthetic",
        address="1 Test Street, Testtown", postcode="TE1 1ST")
    out_of_area = child(client, auth, "CR-OOA", [
        {"type": "PlanTransferredIn", "occurred_on": "2024-01-08", "old_la": "LA-877",
         "original_made_on": "2022-06-01", "named_setting": "urn-200002",
         "setting_type": "SPECIAL_INDEPENDENT"},
        {"type": "PlacementStarted", "occurred_on": "2024-01-08", "urn": "200002",
         "setting_la": "LA-877"}])
    ap = child(client, auth, "CR-AP", [
        {"type": "PlanTransferredIn", "occurred_on": "2024-02-05", "old_la": "LA-878",
         "original_made_on": "2023-03-01", "named_setting": "urn-300003",
         "setting_type": "AP_LA"}])
    assessing = child(client, auth, "CR-ASM", [
        {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2025-02-03",
         "requester_role": "Parent", "request_source": "1"}])
    none = child(client, auth, "CR-NONE", [])
    return {"support": support, "out_of_area": out_of_area, "ap": ap,
            "assessing": assessing, "none": none}


def test_the_list_holds_every_child_with_send_and_no_one_else(
        client: FlaskClient, auth: Auth, area: dict[str, str]) -> None:
    answer = client.get("/reports/send-list", query_string={"as_at": "2025-03-03"},
                        headers=auth(role="manager")).json
    assert isinstance(answer, dict)
    rows = {r["child"]: r for r in answer["items"]}
    assert set(rows) == {area["support"], area["out_of_area"], area["ap"], area["assessing"]}
    assert rows[area["support"]]["send_status"] == "sen_support"
    assert rows[area["support"]]["primary_need"] == "SLCN"
    assert rows[area["assessing"]]["send_status"] == "assessment_in_progress"
    assert rows[area["out_of_area"]]["out_of_area"] is True
    assert rows[area["ap"]]["alternative_provision"] is True
    assert rows[area["ap"]]["out_of_area"] is False
    assert rows[area["support"]]["case_ref"] == "CR-SUP"
    assert answer["counts"] == {"ehc_plan": 2, "assessment_in_progress": 1, "sen_support": 1,
                                "out_of_area": 1, "alternative_provision": 1, "eotas": 0,
                                "not_in_school": 0, "looked_after": 0}
    # As at a day before the request and the support period: only the two plans.
    earlier = client.get("/reports/send-list", query_string={"as_at": "2024-03-01"},
                         headers=auth(role="manager")).json
    assert {r["child"] for r in earlier["items"]} == {area["out_of_area"], area["ap"]}
    themed = client.get("/reports/send-list", query_string={"theme": "sen_support"},
                        headers=auth(role="manager")).json
    assert [r["child"] for r in themed["items"]] == [area["support"]]


def test_the_list_as_csv_has_one_row_per_child(client: FlaskClient, auth: Auth,
                                               area: dict[str, str]) -> None:
    answer = client.get("/reports/send-list.csv", headers=auth(role="manager"))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 4
    by_child = {r["child"]: r for r in rows}
    assert by_child[area["out_of_area"]]["out_of_area"] == "Y"
    assert by_child[area["support"]]["send_status"] == "sen_support"


def open_inspection(client: FlaskClient, auth: Auth) -> tuple[str, dict[str, str]]:
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-1")
    opened = client.post("/inspections", json={"authority": auth.authority,  # type: ignore
                                               "starts_on": "2025-03-03",
                                               "ends_on": "2025-03-21"}, headers=inspector)
    assert opened.status_code == 201, opened.json
    return str(opened.json["inspection_id"]), inspector  # type: ignore[index]


def test_inspectors_get_the_list_pseudonymised_only_under_an_active_inspection(
        client: FlaskClient, auth: Auth, area: dict[str, str]) -> None:
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-1")
    assert client.get("/reports/send-list", query_string={"authority": auth.authority},  # type: ignore
                      headers=inspector).status_code == 403
    open_inspection(client, auth)
    answer = client.get("/reports/send-list", query_string={"authority": auth.authority},  # type: ignore
                        headers=inspector).json
    assert answer["pseudonymous"] is True and answer["total"] == 4
    children = {r["child"] for r in answer["items"]}
    assert not children & set(area.values())
    assert all(c.startswith("pseudo-") for c in children)
    assert {r["case_ref"] for r in answer["items"]} == {None}
    assert all("date_of_birth" not in r for r in answer["items"])


def test_a_draw_from_the_list_includes_sen_support_and_its_bundles_are_ready(
        client: FlaskClient, auth: Auth, area: dict[str, str]) -> None:
    inspection, inspector = open_inspection(client, auth)
    # Themed first: out of area only.
    themed = client.post(f"/inspections/{inspection}/sample", headers=inspector, json={
        "draw": {"seed": "theme-1", "size": 1, "from_list": "out_of_area"}}).json
    assert themed["selections"][-1]["parameters"]["drawn"] == [area["out_of_area"]]
    drawn = client.post(f"/inspections/{inspection}/sample", headers=inspector, json={
        "draw": {"seed": "tracking-1", "size": 3, "from_list": "all",
                 "strata": ["send_status"], "allocation": "equal"}}).json
    assert isinstance(drawn, dict), drawn
    parameters = drawn["selections"][-1]["parameters"]
    # One from each status: the SEN Support child is the only one of its stratum.
    assert area["support"] in parameters["drawn"] and area["assessing"] in parameters["drawn"]
    assert area["none"] not in drawn["sample"]
    assert parameters["from_list"] == "all"
    assert set(parameters["per_stratum"]) == {"send_status=ehc_plan",
                                              "send_status=assessment_in_progress",
                                              "send_status=sen_support"}
    bundles = client.get(f"/inspections/{inspection}/bundles", headers=inspector).json
    assert sorted(b["child_id"] for b in bundles["bundles"]) == sorted(drawn["sample"])
    assert all(b["bundle"]["child"] for b in bundles["bundles"])


def test_survey_contacts_are_for_managers_with_a_purpose_and_every_child_is_logged(
        app: Flask, client: FlaskClient, auth: Auth, area: dict[str, str]) -> None:
    open_inspection(client, auth)
    query = {"theme": "sen_support"}
    inspector = auth(role="inspector", org=INSPECTORATE, sub="hmi-1")
    # Even naming the authority under inspection: the contacts are the authority's own.
    assert client.get("/reports/send-list/contacts",
                      query_string={**query, "authority": AUTHORITY},
                      headers=inspector | PURPOSE).status_code == 403
    assert client.get("/reports/send-list/contacts", query_string=query,
                      headers=auth(role="caseworker") | PURPOSE).status_code == 403
    assert client.get("/reports/send-list/contacts", query_string=query,
                      headers=auth(role="manager")).status_code == 403
    answer = client.get("/reports/send-list/contacts", query_string=query,
                        headers=auth(role="manager", sub="manager-7") | PURPOSE)
    assert answer.status_code == 200, answer.json
    [contact] = answer.json["items"]  # type: ignore[index]
    assert (contact["child_id"], contact["postcode"], contact["given_name"]) == (
        area["support"], "TE1 1ST", "Ada")
    from application.access_log import AccessFilter

    looks = list(services_of(app).access_log.looks(
        AccessFilter(child_id=uuid.UUID(area["support"]))))
    contacts = [look for look in looks if look["kind"] == "contacts"]
    assert len(contacts) == 1
    assert contacts[0]["purpose"] == PURPOSE["X-Access-Purpose"]
