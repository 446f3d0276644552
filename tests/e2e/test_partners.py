"""A partner (school, EP service, health provider) records the advice asked of it against
the request's id, so "received" is the adviser's own record (issue 16; SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.e2e.journeys import PRIMARY_PLAN, Journey
from tests.e2e.test_bundles import post_journey

Auth = Callable[..., dict[str, str]]
# The primary journey up to its advice requests (EP service: la-901-ep-service; health:
# icb-901), before any advice is received.
ASKED = Journey(PRIMARY_PLAN.registration, PRIMARY_PLAN.steps[:next(
    i for i, s in enumerate(PRIMARY_PLAN.steps) if s.type == "ExistingAdviceAdopted")])


def requests_of(client: FlaskClient, auth: Auth, child_id: str) -> dict[str, str]:
    bundle = client.get(f"/children/{child_id}/bundle", headers=auth()).json
    return {a["recipient_org"]: a["id"] for a in bundle["advice"]}


def received_on(client: FlaskClient, auth: Auth, child_id: str) -> dict[str, str | None]:
    bundle = client.get(f"/children/{child_id}/bundle", headers=auth()).json
    return {a["id"]: a["received_on"] for a in bundle["advice"]}


def advice(request_id: str) -> dict[str, str]:
    return {"type": "AdviceReceived", "occurred_on": "2024-03-20",
            "advice_request_id": request_id, "author": "Educational psychologist",
            "document_ref": "doc-ep-1"}


def test_the_ep_service_records_the_advice_asked_of_it_and_no_other(
        client: FlaskClient, auth: Auth) -> None:
    child_id = post_journey(client, auth, ASKED)
    asked = requests_of(client, auth, child_id)
    ep = auth(role="partner", org="la-901-ep-service", sub="ep-1")
    answer = client.post(f"/children/{child_id}/events", json=advice(
        asked["la-901-ep-service"]), headers=ep)
    assert answer.status_code == 201, answer.json
    assert answer.json["event"]["actor"] == {"user_id": "ep-1", "role": "partner",
                                             "organisation": "la-901-ep-service"}
    assert received_on(client, auth, child_id)[asked["la-901-ep-service"]] == "2024-03-20"
    # Another body's request, another event type, and the journey itself are refused.
    refused = client.post(f"/children/{child_id}/events", json=advice(asked["icb-901"]),
                          headers=ep)
    assert refused.status_code == 403 and "not addressed" in refused.json["detail"]
    feedback = {"type": "FamilyFeedbackRecorded", "occurred_on": "2024-03-20",
                "given_by": "parent", "about": "assessment", "rating": 3}
    assert client.post(f"/children/{child_id}/events", json=feedback,
                       headers=ep).status_code == 403
    assert client.get(f"/children/{child_id}", headers=ep).status_code == 403
    assert received_on(client, auth, child_id)[asked["icb-901"]] is None
