"""``/subscriptions`` and ``/deliveries`` over HTTP: an admin's webhooks, the secret shown
once and never again (nor in any log line), strict input, and the problems for unknown
or live deliveries, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import structlog
from flask.testing import FlaskClient
from sqlalchemy import select

from application.webhooks import Answer, DeliveryPolicy, deliver_due
from infrastructure.outbox import add_messages
from infrastructure.webhooks import WebhookSubscription
from web.services import services_of

Auth = Callable[..., dict[str, str]]
# A loopback port nothing listens on: should a worker ever send to a subscription a test
# left in a shared database, it goes nowhere beyond this machine.
HOOK = "http://127.0.0.1:9/casetrack"


def admin(auth: Auth, org: str = "LA-901") -> dict[str, str]:
    return auth(role="admin", org=org, sub=f"admin-{org}")


def test_the_secret_is_shown_once_stored_sealed_and_never_logged(
        client: FlaskClient, auth: Auth) -> None:
    with structlog.testing.capture_logs() as logs:
        made = client.post("/subscriptions", json={"url": HOOK, "kinds": [
            "clock.started", "clock.stopped"]}, headers=admin(auth))
        listed = client.get("/subscriptions", headers=admin(auth))
    assert made.status_code == 201, made.json
    secret = made.json["secret"]
    assert len(secret) >= 40
    assert made.headers["Location"] == f"/subscriptions/{made.json['subscription_id']}"
    mine = [s for s in listed.json["items"]
            if s["subscription_id"] == made.json["subscription_id"]]
    assert mine == [{k: v for k, v in made.json.items() if k != "secret"}]
    assert mine[0]["kinds"] == ["clock.started", "clock.stopped"]
    assert secret not in listed.get_data(as_text=True)
    assert not any(secret in str(line) for line in logs)
    engine = services_of(client.application).read_models.engine
    with engine.connect() as conn:
        sealed = conn.scalar(select(WebhookSubscription.sealed_secret).where(
            WebhookSubscription.subscription_id == made.json["subscription_id"]))
    assert sealed is not None and secret.encode() not in sealed


def test_an_admin_sees_and_removes_only_their_own_authoritys_subscriptions(
        client: FlaskClient, auth: Auth) -> None:
    made = client.post("/subscriptions", json={"url": HOOK}, headers=admin(auth)).json
    other = client.get("/subscriptions", headers=admin(auth, "LA-902")).json["items"]
    assert made["subscription_id"] not in {s["subscription_id"] for s in other}
    path = f"/subscriptions/{made['subscription_id']}"
    assert client.delete(path, headers=admin(auth, "LA-902")).status_code == 403
    assert client.delete(path, headers=admin(auth)).status_code == 204
    gone = client.delete(path, headers=admin(auth))
    assert gone.status_code == 404
    assert gone.json["type"].endswith("/not-found")


@pytest.mark.parametrize(("body", "pointer"), [
    ({"url": "http://hooks.example.org/casetrack"}, "/url"),
    ({"url": "ftp://127.0.0.1/hook"}, "/url"),
    ({"url": "https://user:pass@hooks.example.org/"}, "/url"),
    ({"url": "https://hooks.example.org:99999/"}, "/url"),
    ({"url": HOOK, "kinds": ["clock.exploded"]}, "/kinds/0"),
    ({"url": HOOK, "secret": "mine"}, "/secret"),
    ({}, "/url"),
])
def test_a_bad_subscription_is_refused_naming_its_field_and_nothing_is_stored(
        client: FlaskClient, auth: Auth, body: dict[str, object], pointer: str) -> None:
    before = client.get("/subscriptions", headers=admin(auth)).json["items"]
    answer = client.post("/subscriptions", json=body, headers=admin(auth))
    assert answer.status_code == 422
    assert pointer in [e["pointer"] for e in answer.json["errors"]]
    assert client.get("/subscriptions", headers=admin(auth)).json["items"] == before


def test_a_subscription_for_another_authority_is_refused(client: FlaskClient,
                                                         auth: Auth) -> None:
    answer = client.post("/subscriptions", json={"url": HOOK, "authority": "LA-902"},
                         headers=admin(auth))
    assert answer.status_code == 403


def test_a_dead_delivery_is_listed_without_case_content_and_replayed_once(
        client: FlaskClient, auth: Auth) -> None:
    webhooks = services_of(client.application).extras["webhooks"]
    made = client.post("/subscriptions", json={"url": HOOK}, headers=admin(auth)).json
    message_id, child_id = str(uuid.uuid4()), str(uuid.uuid4())
    with webhooks.engine.begin() as conn:
        add_messages(conn, [{"message_id": message_id, "position": 7,
                             "authority": "LA-901", "kind": "clock.started",
                             "child_id": child_id, "produced_at": 0.0,
                             "body": {"id": message_id, "case_ref": "CR-SECRETIVE"}}])
    deliver_due(webhooks, lambda *_: Answer(None, "ConnectionRefusedError"),
                DeliveryPolicy(max_attempts=1))
    dead = client.get("/deliveries/dead", headers=admin(auth))
    assert dead.status_code == 200
    [item] = [d for d in dead.json["items"] if d["message_id"] == message_id
              and d["subscription_id"] == made["subscription_id"]]
    assert (item["status"], item["attempts"], item["child_id"], item["kind"]) == (
        "dead", 1, child_id, "clock.started")
    assert item["last_error"] == "ConnectionRefusedError"
    assert "CR-SECRETIVE" not in dead.get_data(as_text=True)
    path = f"/deliveries/{item['delivery_id']}/replay"
    assert client.post(path, headers=admin(auth, "LA-902")).status_code == 403
    replayed = client.post(path, headers=admin(auth))
    assert replayed.status_code == 200, replayed.json
    assert (replayed.json["status"], replayed.json["attempts"]) == ("pending", 0)
    again = client.post(path, headers=admin(auth))
    assert again.status_code == 409
    assert again.json["code"] == "delivery-not-dead"
    unknown = client.post(f"/deliveries/{uuid.uuid4()}/replay", headers=admin(auth))
    assert unknown.status_code == 404


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?status=dead"])
def test_bad_dead_letter_queries_are_refused(client: FlaskClient, auth: Auth,
                                             query: str) -> None:
    assert client.get(f"/deliveries/dead{query}", headers=admin(auth)).status_code == 422
