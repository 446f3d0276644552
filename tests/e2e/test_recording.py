"""Recording over HTTP: idempotency, preconditions, corrections and every class of bad input.

Each refusal answers problem+json naming the field or the rule, and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.test_slice import DECISION, REQUEST, history_length, register
from web.services import services_of

Auth = Callable[..., dict[str, str]]


def post_event(client: FlaskClient, child_id: str, body: Any, headers: dict[str, str],
               **kwargs: Any) -> Any:
    return client.post(f"/children/{child_id}/events", json=body, headers=headers, **kwargs)


@pytest.fixture
def child(client: FlaskClient, auth: Auth) -> str:
    child_id: str = register(client, auth())["child_id"]
    return child_id


class TestIdempotency:
    def test_the_same_key_and_body_returns_the_first_answer_and_records_once(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        headers = auth(**{"Idempotency-Key": f"key-{uuid.uuid4()}"})
        first = post_event(client, child, REQUEST, headers)
        again = post_event(client, child, REQUEST, headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotency-Replayed"] == "true"
        assert {k: again.json[k] for k in ("child_id", "version", "event")} == \
            {k: first.json[k] for k in ("child_id", "version", "event")}
        assert again.json["position"] >= first.json["position"]
        assert history_length(client, child, auth()) == 2

    def test_the_same_key_with_another_body_is_422_and_records_nothing(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        headers = auth(**{"Idempotency-Key": f"key-{uuid.uuid4()}"})
        post_event(client, child, REQUEST, headers)
        changed = post_event(client, child, dict(REQUEST, request_source="2"), headers)
        assert changed.status_code == 422
        assert changed.json["errors"][0]["pointer"] == "/headers/Idempotency-Key"
        assert history_length(client, child, auth()) == 2

    def test_a_replayed_step_that_the_rules_would_now_refuse_gets_its_first_answer(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        post_event(client, child, REQUEST, auth())
        headers = auth(**{"Idempotency-Key": f"key-{uuid.uuid4()}"})
        first = post_event(client, child, DECISION, headers)
        again = post_event(client, child, DECISION, headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json["version"] == first.json["version"] == 3
        without_key = post_event(client, child, DECISION, auth())
        assert without_key.status_code == 409
        assert history_length(client, child, auth()) == 3

    def test_registration_is_idempotent_too(self, client: FlaskClient, auth: Auth) -> None:
        headers = auth(**{"Idempotency-Key": f"reg-{uuid.uuid4()}"})
        body = {"date_of_birth": "2016-01-01", "case_ref": f"CR-{uuid.uuid4().hex[:8]}"}
        first = client.post("/children", json=body, headers=headers)
        again = client.post("/children", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json["child_id"] == first.json["child_id"]

    def test_keys_belong_to_their_user(self, client: FlaskClient, auth: Auth,
                                       child: str) -> None:
        key = f"key-{uuid.uuid4()}"
        post_event(client, child, REQUEST, auth(**{"Idempotency-Key": key}))
        ack = {"type": "RequestAcknowledged", "occurred_on": "2024-01-09"}
        second_user = post_event(client, child, ack, auth(sub="user-2",
                                                          **{"Idempotency-Key": key}))
        assert second_user.status_code == 201
        assert "Idempotency-Replayed" not in second_user.headers

    def test_a_malformed_key_is_400(self, client: FlaskClient, auth: Auth, child: str) -> None:
        response = post_event(client, child, REQUEST, auth(**{"Idempotency-Key": "x" * 300}))
        assert response.status_code == 400
        assert history_length(client, child, auth()) == 1


class TestCorrections:
    def test_a_correction_needs_if_match_then_recomputes_the_clock(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        post_event(client, child, REQUEST, auth())
        post_event(client, child, dict(DECISION, occurred_on="2024-02-23"), auth())
        correction = {"type": "EntryCorrected", "occurred_on": "2024-03-01",
                      "target_version": 2, "changes": {"occurred_on": "2024-01-15"},
                      "reason": "date stamp misread"}
        missing = post_event(client, child, correction, auth(role="manager"))
        assert missing.status_code == 428
        assert history_length(client, child, auth()) == 3
        done = post_event(client, child, correction, auth(role="manager", **{"If-Match": '"3"'}))
        assert done.status_code == 201, done.json
        k1 = next(c for c in done.json["clocks"] if c["clock"] == "K1")
        assert (k1["due_on"], k1["status"]) == ("2024-02-26", "met")

    def test_corrected_values_are_validated_with_the_corrected_events_schema(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        post_event(client, child, REQUEST, auth())
        response = post_event(client, child, {
            "type": "EntryCorrected", "occurred_on": "2024-03-01", "target_version": 2,
            "changes": {"rya": "perhaps"}, "reason": "x"}, auth(**{"If-Match": '"2"'}))
        assert response.status_code == 422
        assert response.json["errors"][0]["pointer"] == "/changes/rya"

    def test_the_original_organisation_may_retract_and_another_authority_may_not(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        post_event(client, child, REQUEST, auth())
        retraction = {"type": "EntryRetracted", "occurred_on": "2024-03-01",
                      "target_version": 2, "reason": "wrong child"}
        refused = post_event(client, child, retraction,
                             auth(role="manager", org="LA-902", **{"If-Match": '"2"'}))
        assert refused.status_code == 403
        assert history_length(client, child, auth()) == 2
        done = post_event(client, child, retraction, auth(sub="user-9", **{"If-Match": '"2"'}))
        assert done.status_code == 201
        assert done.json["event"]["actor"]["user_id"] == "user-9"


class TestBadInput:
    @pytest.mark.parametrize("body, pointer", [
        ([REQUEST], "/"),
        ("a string", "/"),
        ({"occurred_on": "2024-01-08"}, "/type"),
        ({"type": "NotAnEvent", "occurred_on": "2024-01-08"}, "/type"),
        ({"type": "ChildRegistered", "occurred_on": "2024-01-08"}, "/type"),
        (dict(REQUEST, colour="blue"), "/colour"),
        (dict(REQUEST, rya="yes"), "/rya"),
        (dict(REQUEST, occurred_on="2024-02-30"), "/occurred_on"),
        (dict(REQUEST, occurred_on="08/01/2024"), "/occurred_on"),
        (dict(REQUEST, requester_role="Neighbour"), "/requester_role"),
        (dict(REQUEST, channel="letter\x07"), "/channel"),
        (dict(REQUEST, channel="x" * 5000), "/channel"),
        ({k: v for k, v in REQUEST.items() if k != "request_source"}, "/request_source"),
    ])
    def test_is_422_naming_the_field_and_stores_nothing(
            self, client: FlaskClient, auth: Auth, child: str, body: Any, pointer: str) -> None:
        response = post_event(client, child, body, auth())
        assert response.status_code == 422, response.json
        assert response.content_type == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json["errors"]]
        assert history_length(client, child, auth()) == 1

    @pytest.mark.parametrize("occurred_on, code", [
        ("2099-01-01", "occurred-on-in-future"), ("2010-01-01", "occurred-before-birth")])
    def test_impossible_dates_are_refused_by_rule(
            self, client: FlaskClient, auth: Auth, child: str, occurred_on: str,
            code: str) -> None:
        response = post_event(client, child, dict(REQUEST, occurred_on=occurred_on), auth())
        assert response.status_code == 409
        assert response.json["code"] == code
        assert history_length(client, child, auth()) == 1

    def test_wrong_content_type_is_415(self, client: FlaskClient, auth: Auth,
                                       child: str) -> None:
        response = client.post(f"/children/{child}/events", data="type=x",
                               content_type="application/x-www-form-urlencoded",
                               headers=auth())
        assert response.status_code == 415
        assert response.content_type == "application/problem+json"

    def test_an_oversized_body_is_413(self, client: FlaskClient, auth: Auth,
                                      child: str) -> None:
        response = client.post(f"/children/{child}/events", data=b"{" + b" " * 2_000_000 + b"}",
                               content_type="application/json", headers=auth())
        assert response.status_code == 413
        assert response.content_type == "application/problem+json"
        assert history_length(client, child, auth()) == 1

    def test_a_wrong_method_is_405_with_allow(self, client: FlaskClient, auth: Auth,
                                              child: str) -> None:
        response = client.delete(f"/children/{child}", headers=auth())
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"]
        assert response.content_type == "application/problem+json"

    def test_a_non_uuid_child_id_is_404_problem(self, client: FlaskClient,
                                                auth: Auth) -> None:
        response = client.post("/children/not-a-uuid/events", json=REQUEST, headers=auth())
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"

    def test_events_after_the_plan_transferred_out_are_refused(
            self, client: FlaskClient, auth: Auth, child: str) -> None:
        steps = [
            {"type": "PlanTransferredIn", "occurred_on": "2024-01-08", "old_la": "LA-800",
             "original_made_on": "2023-05-02"},
            {"type": "MoveNotified", "occurred_on": "2024-03-01", "move_on": "2024-04-02",
             "new_la": "LA-902"},
            {"type": "PlanTransferredOut", "occurred_on": "2024-04-02", "new_la": "LA-902"},
        ]
        for step in steps:
            assert post_event(client, child, step, auth()).status_code == 201
        response = post_event(client, child, REQUEST | {"occurred_on": "2024-05-01"}, auth())
        assert response.status_code == 409
        assert response.json["code"] == "journey-closed"
        assert history_length(client, child, auth()) == 4

    def test_a_server_error_is_500_with_a_request_id_and_no_internals(
            self, app: Flask, client: FlaskClient, auth: Auth, child: str,
            monkeypatch: pytest.MonkeyPatch) -> None:
        tracking = services_of(app).tracking

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr(tracking, "record_event", broken)
        response = post_event(client, child, REQUEST, auth(**{"X-Request-ID": "req-12345678"}))
        assert response.status_code == 500
        assert response.json["request_id"] == "req-12345678"
        assert "secret internal detail" not in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
