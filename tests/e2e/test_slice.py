"""The foundation slice over HTTP (Flask test client), on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

REQUEST = {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
           "requester_role": "Parent", "request_source": "1"}
DECISION = {"type": "DecisionToAssessMade", "assessment_test_met": True,
            "occurred_on": "2024-02-16",
            "reasons": "The child may have SEN and may need a plan"}


def register(client: FlaskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("date_of_birth", "2015-03-02")
    response = client.post("/children", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def history_length(client: FlaskClient, child_id: str, headers: dict[str, str]) -> int:
    return client.get(f"/children/{child_id}", headers=headers).json["version"]


class TestSlice:
    def test_register_request_and_decide_answers_with_versions_positions_and_k1(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        registered = register(client, headers, case_ref=f"CR-{uuid.uuid4().hex[:8]}")
        child_id = registered["child_id"]
        assert registered["version"] == 1 and registered["position"] >= 1

        requested = client.post(f"/children/{child_id}/events", json=REQUEST, headers=headers)
        assert requested.status_code == 201
        assert requested.json["version"] == 2
        assert requested.headers["ETag"] == '"2"'
        decided = client.post(f"/children/{child_id}/events", json=DECISION, headers=headers)
        assert decided.status_code == 201
        assert decided.json["version"] == 3
        assert decided.json["position"] > requested.json["position"]
        assert decided.json["event"]["actor"] == {
            "user_id": "user-1", "role": "caseworker", "organisation": "LA-901"}

        journey = client.get(f"/children/{child_id}", headers=headers)
        assert journey.status_code == 200
        k1 = next(c for c in journey.json["clocks"] if c["clock"] == "K1")
        assert k1["due_on"] == "2024-02-19"
        assert k1["stopped_on"] == "2024-02-16"
        assert k1["status"] == "met"
        assert k1["citation"].startswith("SEND Regulations 2014")
        assert journey.json["stage"] == "assessment"

    def test_decision_after_six_weeks_is_late(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        client.post(f"/children/{child_id}/events", json=REQUEST, headers=headers)
        client.post(f"/children/{child_id}/events",
                    json=dict(DECISION, occurred_on="2024-02-20"), headers=headers)
        clocks = client.get(f"/children/{child_id}", headers=headers).json["clocks"]
        assert next(c for c in clocks if c["clock"] == "K1")["status"] == "late"


class TestRefusalsStoreNothing:
    def test_no_token_is_401_problem(self, client: FlaskClient) -> None:
        response = client.post("/children", json={"date_of_birth": "2015-03-02"})
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.json["type"] == "/problems/unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_wrong_token_is_401_and_records_nothing(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        forged = {"Authorization": "Bearer " + headers["Authorization"][7:-4] + "abcd"}
        response = client.post(f"/children/{child_id}/events", json=REQUEST, headers=forged)
        assert response.status_code == 401
        assert history_length(client, child_id, headers) == 1

    def test_bad_body_is_422_naming_the_field_and_records_nothing(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        response = client.post(f"/children/{child_id}/events",
                               json=dict(REQUEST, occurred_on="2024-02-30"), headers=headers)
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert {"pointer": "/occurred_on", "detail": "Not a valid date."} in \
            response.json["errors"]
        unknown = client.post(f"/children/{child_id}/events",
                              json=dict(REQUEST, colour="blue"), headers=headers)
        assert unknown.status_code == 422
        assert unknown.json["errors"][0]["pointer"] == "/colour"
        assert history_length(client, child_id, headers) == 1

    def test_malformed_json_is_400(self, client: FlaskClient,
                                   auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        response = client.post(f"/children/{child_id}/events", data="{not json",
                               content_type="application/json", headers=headers)
        assert response.status_code == 400
        assert response.content_type == "application/problem+json"
        assert history_length(client, child_id, headers) == 1

    def test_out_of_order_step_is_409_with_rule_code_and_records_nothing(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        response = client.post(f"/children/{child_id}/events", json=DECISION, headers=headers)
        assert response.status_code == 409
        assert response.json["code"] == "decision-needs-request"
        assert "SEND Regulations 2014" in response.json["citation"]
        assert history_length(client, child_id, headers) == 1

    def test_unknown_child_is_404(self, client: FlaskClient,
                                  auth: Callable[..., dict[str, str]]) -> None:
        response = client.get(f"/children/{uuid.uuid4()}", headers=auth())
        assert response.status_code == 404
        assert response.json["type"] == "/problems/child-not-found"

    def test_another_authoritys_token_is_403_and_records_nothing(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        response = client.post(f"/children/{child_id}/events", json=REQUEST,
                               headers=auth(org="LA-902"))
        assert response.status_code == 403
        assert history_length(client, child_id, headers) == 1

    def test_stale_if_match_is_412_and_records_nothing(
            self, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        child_id = register(client, headers)["child_id"]
        client.post(f"/children/{child_id}/events", json=REQUEST, headers=headers)
        response = client.post(f"/children/{child_id}/events", json=DECISION,
                               headers={**headers, "If-Match": '"1"'})
        assert response.status_code == 412
        assert history_length(client, child_id, headers) == 2

    def test_duplicate_case_reference_is_409(self, client: FlaskClient,
                                             auth: Callable[..., dict[str, str]]) -> None:
        headers = auth()
        ref = f"CR-{uuid.uuid4().hex[:8]}"
        register(client, headers, case_ref=ref)
        response = client.post("/children", json={"date_of_birth": "2015-03-02",
                                                  "case_ref": ref}, headers=headers)
        assert response.status_code == 409
        assert response.json["code"] == "case-ref-unique"


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/openapi.json"])
def test_public_endpoints_need_no_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_readyz_names_the_store(client: FlaskClient, store_url: str | None) -> None:
    assert client.get("/readyz").json["store"] == ("postgresql" if store_url else "sqlite")
