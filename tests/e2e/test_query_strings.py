"""Strict query strings (issue 11, defect 3): a misspelt parameter is refused with 422
naming it, never ignored; filter values are checked against the domain's lists; ranges
must be in order; a version past the head is 404."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def store_url() -> None:
    """The edge's mapping is the same on every store: SQLite only."""
    return None


def _path_with_values(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("question",):
            return "timeliness"
        if name.endswith("id") or name == "child_id":
            return str(uuid.uuid4())
        return "x"

    return re.sub(r"\{([^}]+)\}", value, path)


def _get_operations(client: FlaskClient) -> list[tuple[str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json
    return [(path, ops["get"]) for path, ops in spec["paths"].items() if "get" in ops]


def test_every_get_operation_in_the_spec_refuses_an_unknown_query_parameter(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    operations = _get_operations(client)
    assert len(operations) >= 15  # the walk covers the API, not a handful
    for role in ("manager", "auditor", "inspector"):
        for path, _ in operations:
            url = _path_with_values(path) + "?no_such_parameter=1"
            response = client.get(url, headers=auth(role=role))
            assert response.status_code == 422, (role, path, response.status_code)
            assert response.mimetype == "application/problem+json"
            assert {"pointer": "/query/no_such_parameter"}.items() <= \
                response.json["errors"][0].items(), path


def test_pages_outside_the_spec_refuse_unknown_parameters_too(client: FlaskClient) -> None:
    for path in ("/openapi.json", "/docs", "/livez"):
        response = client.get(path + "?x=1")
        assert response.status_code == 422, path


def test_a_misspelt_as_at_is_refused_not_answered_with_today(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    headers = auth()
    child = client.post("/children", json={"date_of_birth": "2015-03-02",
                                           "occurred_on": "2023-01-05"},
                        headers=headers).json["child_id"]
    response = client.get(f"/children/{child}/journey?asat=2023-06-01", headers=headers)
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["pointer"] == "/query/asat"
    assert "as_at" in error["detail"]  # names what the endpoint does take
    assert client.get(f"/children/{child}/journey?as_at=2023-06-01",
                      headers=headers).status_code == 200


def test_a_stated_purpose_is_still_taken_from_the_query_string(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    response = client.get("/audit/events?purpose=complaint%3A%20CMP-2025-0042",
                          headers=auth(role="auditor"))
    assert response.status_code == 200
    assert response.json["identifiers"] == "clear"


@pytest.mark.parametrize(("url", "pointer"), [
    ("/children?stag=plan_issued", "/query/stag"),
    ("/children?stage=bogus", "/query/stage"),
    ("/children?primary_need=XYZ", "/query/primary_need"),
    ("/children?overdue=K99", "/query/overdue"),
    ("/children?placement_type=castle", "/query/placement_type"),
    ("/audit/events?bogus=1", "/query/bogus"),
    ("/audit/events?type=NoSuchEvent", "/query/type"),
    ("/audit/events?role=wizard", "/query/role"),
    ("/audit/events?occurred_from=2024-05-01&occurred_to=2024-04-01", "/query/occurred_to"),
    ("/audit/events?recorded_from=2024-05-01T00:00:00Z&recorded_to=2024-04-01T00:00:00Z",
     "/query/recorded_to"),
    ("/audit/access?since=2024-05-01T00:00:00Z&until=2024-04-01T00:00:00Z", "/query/until"),
    ("/reports/timeliness?period_from=2024-05-01&period_to=2024-04-01", "/query/period_to"),
    ("/reports/timeliness?sex=Q", "/query/sex"),
    ("/reports/timeliness?setting_type=castle", "/query/setting_type"),
    ("/reports/timeliness?requester=Uncle", "/query/requester"),
    ("/reports/timeliness?primry_need=ASD", "/query/primry_need"),
])
def test_filters_the_domain_does_not_know_are_refused_naming_the_parameter(
        client: FlaskClient, auth: Callable[..., dict[str, str]], url: str,
        pointer: str) -> None:
    role = "auditor" if url.startswith("/audit") else "manager"
    response = client.get(url, headers=auth(role=role))
    assert response.status_code == 422, response.json
    assert pointer in [e["pointer"] for e in response.json["errors"]]


@pytest.mark.parametrize("url", [
    "/children?stage=plan_issued", "/children?primary_need=ASD", "/children?overdue=K3",
    "/children?overdue=any", "/children?placement_type=EHE",
    "/audit/events?type=DecisionToAssessMade&role=caseworker",
    "/audit/events?occurred_from=2024-04-01&occurred_to=2024-04-01",
    "/reports/timeliness?period_from=2024-04-01&period_to=2024-05-01&sex=F",
    "/reports/timeliness?setting_type=SPECIAL_LA&requester=Parent",
    "/reports/timeliness?setting_type=EYP",
])
def test_filters_the_domain_knows_are_answered(
        client: FlaskClient, auth: Callable[..., dict[str, str]], url: str) -> None:
    role = "auditor" if url.startswith("/audit") else "manager"
    response = client.get(url, headers=auth(role=role))
    assert response.status_code == 200, response.json


def test_a_version_past_the_head_is_not_found_rather_than_the_current_state(
        client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    headers = auth()
    child = client.post("/children", json={"date_of_birth": "2015-03-02"},
                        headers=headers).json["child_id"]
    assert client.get(f"/children/{child}/journey?version=1", headers=headers).status_code \
        == 200
    response = client.get(f"/children/{child}/journey?version=2", headers=headers)
    assert response.status_code == 404
    assert response.json["type"] == "/problems/version-not-found"
    assert response.json["current_version"] == 1
    # Another authority learns nothing about the journey's versions.
    assert client.get(f"/children/{child}/journey?version=2",
                      headers=auth(org="LA-902")).status_code == 403
