"""The code lists at run time (issue 15): GET /reference names the lists domain/reference.py
holds; GET /reference/{list}?on=DATE answers the version in force that day, code by label."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from domain.reference import REFERENCE_VERSIONS
from tests.conftest import AUTHORITY, TEST_SECRET
from web.auth import mint_token


@pytest.fixture
def store_url() -> None:
    """The lists come from the domain, not from a store: SQLite only."""
    return None


def test_the_index_names_every_list_with_its_versions_and_path(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    answer = client.get("/reference", headers=auth())
    assert answer.status_code == 200, answer.json
    lists = {entry["name"]: entry for entry in answer.json["lists"]}
    assert set(lists) == {"needs", "request_sources", "requester_roles", "setting_types",
                          "cease_reasons"}
    assert lists["needs"]["path"] == "/reference/needs"
    assert lists["needs"]["versions"] == [
        {"version": "2015.1", "in_force_from": "2015-01-01", "in_force_until": "2024-12-31"},
        {"version": "2025.1", "in_force_from": "2025-01-01", "in_force_until": None}]


def test_the_needs_list_gains_down_syndrome_from_2025(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    before = client.get("/reference/needs?on=2024-12-31", headers=auth())
    after = client.get("/reference/needs?on=2025-01-01", headers=auth())
    assert before.status_code == after.status_code == 200, (before.json, after.json)
    assert (before.json["version"], before.json["in_force_until"]) == ("2015.1", "2024-12-31")
    assert (after.json["version"], after.json["in_force_from"]) == ("2025.1", "2025-01-01")
    assert after.json["on"] == "2025-01-01" and after.json["name"] == "needs"
    old = {c["code"]: c["label"] for c in before.json["codes"]}
    new = {c["code"]: c["label"] for c in after.json["codes"]}
    assert old["SEMH"] == new["SEMH"] == "Social, emotional and mental health"
    assert "DS" not in old and new["DS"] == "Down syndrome"
    assert set(new) - set(old) == {"DS"}


def test_a_list_answers_each_code_with_its_label_as_the_domain_holds_it(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    answer = client.get("/reference/request_sources?on=2024-06-01", headers=auth())
    assert answer.status_code == 200, answer.json
    assert answer.json["codes"][:2] == [
        {"code": "1", "label": "Young person or parent"},
        {"code": "2", "label": "School or other education setting"}]
    assert len(answer.json["codes"]) == len(REFERENCE_VERSIONS[0].codes("request_sources"))


def test_without_a_day_the_list_in_force_today_answers(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    answer = client.get("/reference/needs", headers=auth())
    assert answer.status_code == 200, answer.json
    assert answer.json["version"] == REFERENCE_VERSIONS[-1].version


def test_an_unknown_list_is_a_404_problem_naming_the_lists(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    answer = client.get("/reference/needz", headers=auth())
    assert answer.status_code == 404
    assert answer.content_type == "application/problem+json"
    assert "needs" in answer.json["detail"] and "cease_reasons" in answer.json["detail"]
    assert "needs" in answer.json["lists"]


def test_an_unknown_parameter_or_a_bad_day_is_refused_with_422(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    misspelt = client.get("/reference/needs?onn=2024-01-01", headers=auth())
    assert misspelt.status_code == 422
    assert "/query/onn" in str(misspelt.json)
    assert client.get("/reference?on=2024-01-01", headers=auth()).status_code == 422
    assert client.get("/reference/needs?on=yesterday", headers=auth()).status_code == 422


@pytest.mark.parametrize("role", ["caseworker", "manager", "inspector", "auditor", "admin",
                                  "family", "partner"])
def test_every_signed_in_role_may_read_the_lists_and_no_one_else(
        client: FlaskClient, role: str) -> None:
    token = mint_token(TEST_SECRET, subject=f"{role}-1", role=role, organisation=AUTHORITY,
                       child="00000000-0000-4000-8000-000000000001" if role == "family"
                       else None)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/reference", headers=headers).status_code == 200
    assert client.get("/reference/needs", headers=headers).status_code == 200
    assert client.get("/reference").status_code == 401
    assert client.get("/reference/needs").status_code == 401


def test_a_code_outside_its_list_is_refused_naming_where_the_list_is(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    registered = client.post("/children", json={"date_of_birth": "2015-03-02"},
                             headers=auth())
    assert registered.status_code == 201, registered.json
    answer = client.post(f"/children/{registered.json['child_id']}/events", headers=auth(),
                         json={"type": "EHCNeedsAssessmentRequested",
                               "occurred_on": "2024-01-08", "requester_role": "Parent",
                               "request_source": "7"})
    assert answer.status_code in (409, 422), answer.json
    assert "/reference/request_sources" in str(answer.json)
    listed = client.get("/reference/request_sources?on=2024-01-08", headers=auth()).json
    assert "7" not in {c["code"] for c in listed["codes"]}
