"""A write answers the ids of the records its event opened (issue 15): a client names an
advice request, a decision or an assessment request in its next event from the answer,
never by rebuilding a convention like ``advice-<version>``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

import web.children
from domain.record_ids import RECORD_KINDS, answer_key
from tests.e2e.journeys import NOTICE
from tests.e2e.test_slice import DECISION, REQUEST, register
from web.schemas import WriteResultSchema, write_answer

Auth = Callable[..., dict[str, str]]


@pytest.fixture(autouse=True)
def answers_as_the_schema_dumps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every write answered in a module using this fixture is checked: write_answer (built
    directly, for speed) equals WriteResultSchema's dump of the same result, key order
    and types included (other modules import it: every event type, documents, orders)."""
    schema, checked = WriteResultSchema(), []

    def checking(result: Any) -> dict[str, Any]:
        answer = write_answer(result)
        dumped = schema.dump(result)
        assert answer == dumped
        assert json.dumps(answer, default=str) == json.dumps(dumped, default=str)
        checked.append(result)
        return answer

    monkeypatch.setattr(web.children, "write_answer", checking)
    yield checked


def post(client: FlaskClient, child_id: str, body: dict[str, Any], headers: dict[str, str]
         ) -> dict[str, Any]:
    answer = client.post(f"/children/{child_id}/events", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_an_advice_request_s_id_comes_back_and_names_it_in_the_next_step(
        client: FlaskClient, auth: Auth) -> None:
    headers = auth()
    child_id = register(client, headers)["child_id"]
    requested = post(client, child_id, REQUEST, headers)
    episode = requested["created"]["assessment_request_id"]
    assert {c["episode"] for c in requested["clocks"] if c["clock"] == "K1"} == {episode}
    assert post(client, child_id, DECISION, headers)["created"] == {}

    asked = post(client, child_id, {
        "type": "AdviceRequested", "occurred_on": "2024-02-19", "advice_type": "Educational",
        "recipient_org": "EP-SERVICE-901", "received_by_adviser_on": "2024-02-19"}, headers)
    assert set(asked["created"]) == {"advice_request_id"}
    advice_request_id = asked["created"]["advice_request_id"]
    assert advice_request_id in {c["episode"] for c in asked["clocks"] if c["clock"] == "K2"}

    received = post(client, child_id, {
        "type": "AdviceReceived", "occurred_on": "2024-03-11",
        "advice_request_id": advice_request_id, "author": "EP-1",
        "document_ref": "DOC-EP-1"}, headers)
    k2 = next(c for c in received["clocks"]
              if c["clock"] == "K2" and c["episode"] == advice_request_id)
    assert k2["stopped_on"] == "2024-03-11"


def test_a_decision_s_id_comes_back_and_mediation_names_it(
        client: FlaskClient, auth: Auth) -> None:
    headers = auth()
    child_id = register(client, headers)["child_id"]
    post(client, child_id, REQUEST, headers)
    refused = post(client, child_id, {
        "type": "DecisionNotToAssessMade", "occurred_on": "2024-02-16",
        "reasons": "Needs met at SEN support", "notice_includes": NOTICE}, headers)
    decision_id = refused["created"]["decision_id"]
    contacted = post(client, child_id, {
        "type": "MediationAdviserContacted", "occurred_on": "2024-03-01",
        "decision_id": decision_id}, headers)
    assert set(contacted["created"]) == {"mediation_id"}
    assert {c["episode"] for c in contacted["clocks"] if c["clock"] == "K19"} == {decision_id}


def test_a_replayed_write_answers_the_same_ids(client: FlaskClient, auth: Auth) -> None:
    headers = auth()
    child_id = register(client, headers)["child_id"]
    keyed = headers | {"Idempotency-Key": "request-once"}
    first = post(client, child_id, REQUEST, keyed)
    again = client.post(f"/children/{child_id}/events", json=REQUEST, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json["created"] == first["created"] != {}


def test_every_write_answer_here_was_checked_against_the_schema(
        client: FlaskClient, auth: Auth, answers_as_the_schema_dumps: list[Any]) -> None:
    headers = auth()
    child_id = register(client, headers)["child_id"]
    keyed = headers | {"Idempotency-Key": "checked-once"}
    for _ in range(2):
        post(client, child_id, REQUEST, keyed)
    checked = answers_as_the_schema_dumps
    assert len(checked) == 3 and [r.replayed for r in checked] == [False, False, True]
    assert any(r.created for r in checked)


def test_the_spec_names_every_kind_of_id_a_write_can_answer(
        client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    created = spec["components"]["schemas"]["Created"]["properties"]
    assert set(created) == {answer_key(kind) for kind in RECORD_KINDS.values()}
    assert created["advice_request_id"] == {
        "type": "string", "description": "the id of " + RECORD_KINDS[
            "advice_request_id"].description}
    assert created["obligation_ids"]["type"] == "array"
    assert "created" in spec["components"]["schemas"]["WriteResult"]["required"]
