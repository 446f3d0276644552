"""A manager assigns a child's case to a caseworker (PUT /children/{id}/assignment), on
SQLite and on PostgreSQL: recorded as an event, shown in the state, refused to others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Auth = Callable[..., dict[str, str]]
ASSIGN = {"assigned_to": "cw-assigned-3", "assigned_organisation": "LA-901"}


def register(client: FlaskClient, auth: Auth) -> str:
    answer = client.post("/children", json={"date_of_birth": "2015-03-02"}, headers=auth())
    assert answer.status_code == 201, answer.json
    return str(answer.json["child_id"])


def assign(client: FlaskClient, auth: Auth, child_id: str, body: dict[str, Any],
           version: int | None = 1, role: str = "manager", **headers: str) -> Any:
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return client.put(f"/children/{child_id}/assignment", json=body,
                      headers=auth(role=role, sub="mgr-1", **headers))


def test_a_manager_assigns_a_case_and_the_state_shows_who_holds_it(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    answer = assign(client, auth, child_id, {**ASSIGN, "occurred_on": "2024-05-01",
                                             "reason": "caseload balancing"})
    assert answer.status_code == 200, answer.json
    assert answer.headers["ETag"] == '"2"'
    assert answer.json["event"]["type"] == "CaseAssigned"
    assert answer.json["event"]["actor"]["user_id"] == "mgr-1"
    assert answer.json["event"]["data"]["reason"] == "caseload balancing"
    state = client.get(f"/children/{child_id}", headers=auth())
    assert state.json["episodes"]["governance"]["assignment"] == {
        **ASSIGN, "assigned_on": "2024-05-01"}

    again = assign(client, auth, child_id, {**ASSIGN, "assigned_to": "cw-other"}, version=2)
    assert again.status_code == 200, again.json
    state = client.get(f"/children/{child_id}", headers=auth())
    assert state.json["episodes"]["governance"]["assignment"]["assigned_to"] == "cw-other"


def test_the_same_assignment_again_is_refused_by_its_rule(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    assert assign(client, auth, child_id, ASSIGN).status_code == 200
    same = assign(client, auth, child_id, ASSIGN, version=2)
    assert same.status_code == 409
    assert same.json["code"] == "case-assignment-changes"
    assert same.json["citation"].startswith("casetrack access matrix")
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 2


def test_an_assignment_needs_if_match_and_the_current_version(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    assert assign(client, auth, child_id, ASSIGN, version=None).status_code == 428
    assert assign(client, auth, child_id, ASSIGN, version=7).status_code == 412
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 1


@pytest.mark.parametrize("body, field", [
    ({"assigned_organisation": "LA-901"}, "assigned_to"),
    ({**ASSIGN, "assigned_to": "two words"}, "assigned_to"),
    ({**ASSIGN, "assigned_organisation": ""}, "assigned_organisation"),
    ({**ASSIGN, "team": "east"}, "team"),
    ({**ASSIGN, "occurred_on": "2024-02-30"}, "occurred_on"),
])
def test_bad_assignments_name_the_field_and_store_nothing(
        client: FlaskClient, auth: Auth, body: dict[str, Any], field: str) -> None:
    child_id = register(client, auth)
    answer = assign(client, auth, child_id, body)
    assert answer.status_code == 422
    assert field in str(answer.json)
    assert client.get(f"/children/{child_id}", headers=auth()).json["version"] == 1


@pytest.mark.parametrize("role", ["caseworker", "inspector", "auditor", "admin"])
def test_only_managers_assign(client: FlaskClient, auth: Auth, role: str) -> None:
    child_id = register(client, auth)
    assert assign(client, auth, child_id, ASSIGN, role=role).status_code == 403


def test_a_manager_of_another_authority_may_not_assign(
        client: FlaskClient, auth: Auth) -> None:
    child_id = register(client, auth)
    answer = client.put(f"/children/{child_id}/assignment", json=ASSIGN, headers=auth(
        role="manager", org="LA-902", **{"If-Match": '"1"'}))
    assert answer.status_code == 403


@pytest.mark.usefixtures("read_side")
def test_the_list_finds_a_caseworkers_cases(client: FlaskClient, auth: Auth) -> None:
    mine, other = register(client, auth), register(client, auth)
    answer = assign(client, auth, mine, {**ASSIGN, "assigned_to": "cw-list-7"})
    assert answer.status_code == 200, answer.json
    position = answer.json["position"]
    listed = client.get(f"/children?assigned_to=cw-list-7&consistent_after={position}",
                        headers=auth())
    assert listed.status_code == 200, listed.json
    assert [c["child_id"] for c in listed.json["items"]] == [mine]
    assert listed.json["items"][0]["assigned_to"] == "cw-list-7"
    # Without the filter both are listed; the unassigned one is held by the authority.
    everyone = {c["child_id"]: c for c in client.get(
        f"/children?consistent_after={position}&limit=200", headers=auth()).json["items"]}
    assert everyone[other]["assigned_to"] is None
    assert everyone[other]["assigned_organisation"] == "LA-901"
