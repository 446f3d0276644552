"""Webhooks deliver the outbox to a real local HTTP receiver that checks each signature,
on SQLite and PostgreSQL: each message once, retried with doubling waits when the
receiver fails, dead after the last attempt, delivered when an admin replays it; a worker
that dies mid-delivery loses nothing (at least once, one message id for every attempt)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from application.errors import ForbiddenError
from application.webhooks import (
    CLAIM_SECONDS,
    DeliveryNotDeadError,
    DeliveryPolicy,
    dead_letters,
    deliver_due,
    replay,
    subscribe,
)
from domain.actors import Actor
from infrastructure.webhooks import SQLWebhooks, http_send
from tests.conftest import TEST_SECRET, settings_for
from tests.integration.test_outbox import ROOT, messages, project, store  # noqa: F401
from web.config import master_key

MASTER_KEY = bytes(range(32))
ADMIN = Actor("admin-1", "admin", "LA-901")
T0 = 1_800_000_000.0
POLICY = DeliveryPolicy(max_attempts=3, backoff_seconds=60, timeout_seconds=5)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on a loopback port: checks each request's signature with the
    secret it is given, answers ``status``, and keeps what it was sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = ""
        self.status = 204
        self.received: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/casetrack"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(part.split("=", 1) for part in
                      self.headers["X-Casetrack-Signature"].split(","))
        expected = hmac.new(self.server.secret.encode(), fields["t"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        self.server.received.append({
            "valid": hmac.compare_digest(expected, fields["v1"]),
            "id": self.headers["X-Casetrack-Message-Id"],
            "attempt": int(self.headers["X-Casetrack-Delivery-Attempt"]),
            "type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def subscribed(engine: Engine, receiver: Receiver, kinds: list[str] | None = None
               ) -> SQLWebhooks:
    webhooks = SQLWebhooks(engine, MASTER_KEY)
    made = subscribe(webhooks, actor=ADMIN, url=receiver.url, kinds=kinds or [], now=T0)
    receiver.secret = made["secret"]
    return webhooks


def test_each_message_reaches_the_receiver_once_signed_with_its_id(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    webhooks = subscribed(store["engine"], receiver)
    project(store["engine"], store["env"])  # after the subscription: all of them are new
    produced = messages(store["engine"])
    clock = Clock()
    report = deliver_due(webhooks, http_send, POLICY, now=clock)
    assert (report.queued, report.delivered, report.failed) == (len(produced),) * 2 + (0,)
    assert [r["id"] for r in receiver.received] == [m["message_id"] for m in produced]
    assert all(r["valid"] and r["attempt"] == 1 and r["type"] == "application/json"
               for r in receiver.received)
    assert [r["body"] for r in receiver.received] == [m["body"] for m in produced]
    assert deliver_due(webhooks, http_send, POLICY, now=clock).delivered == 0


def test_a_subscription_gets_only_its_kinds_and_nothing_older_than_itself(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    project(store["engine"], store["env"])
    webhooks = subscribed(store["engine"], receiver, ["clock.started"])
    assert deliver_due(webhooks, http_send, POLICY, now=Clock()).queued == 0
    assert receiver.received == []


def test_a_failing_receiver_is_retried_with_doubling_waits_then_dead_then_replayed(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    webhooks = subscribed(store["engine"], receiver, ["clock.stopped"])
    project(store["engine"], store["env"])
    stopped = [m for m in messages(store["engine"]) if m["kind"] == "clock.stopped"]
    receiver.status = 503
    clock = Clock()
    deliver_due(webhooks, http_send, POLICY, now=clock)  # attempt 1 at T0
    clock.now = T0 + 59  # the first wait is 60 s: nothing is due yet
    assert deliver_due(webhooks, http_send, POLICY, now=clock).failed == 0
    clock.now = T0 + 60
    assert deliver_due(webhooks, http_send, POLICY, now=clock).failed == len(stopped)
    clock.now = T0 + 60 + 119  # the second wait is 120 s
    assert deliver_due(webhooks, http_send, POLICY, now=clock).failed == 0
    clock.now = T0 + 180
    assert deliver_due(webhooks, http_send, POLICY, now=clock).dead == len(stopped)
    assert [r["attempt"] for r in receiver.received] == \
        [1] * len(stopped) + [2] * len(stopped) + [3] * len(stopped)
    clock.now = T0 + 10_000
    assert deliver_due(webhooks, http_send, POLICY, now=clock).failed == 0  # dead stay
    dead = dead_letters(webhooks, actor=ADMIN)["items"]
    assert sorted(d["message_id"] for d in dead) == sorted(m["message_id"] for m in stopped)
    assert {(d["status"], d["attempts"], d["last_error"]) for d in dead} == {
        ("dead", 3, "HTTP 503")}
    with pytest.raises(ForbiddenError):
        replay(webhooks, actor=Actor("admin-2", "admin", "LA-902"),
               delivery_id=dead[0]["delivery_id"])
    receiver.status = 200
    receiver.received.clear()
    for delivery in dead:
        assert replay(webhooks, actor=ADMIN, delivery_id=delivery["delivery_id"],
                      now=clock.now)["status"] == "pending"
    assert deliver_due(webhooks, http_send, POLICY, now=clock).delivered == len(stopped)
    assert sorted(r["id"] for r in receiver.received) == sorted(d["message_id"] for d in dead)
    assert all(r["valid"] and r["attempt"] == 1 for r in receiver.received)
    assert dead_letters(webhooks, actor=ADMIN)["items"] == []
    with pytest.raises(DeliveryNotDeadError):
        replay(webhooks, actor=ADMIN, delivery_id=dead[0]["delivery_id"])


def test_a_worker_that_dies_after_claiming_loses_nothing(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    """Messages written, then a worker claims every delivery and dies before sending:
    another worker sends nothing until the claim runs out, then each message once."""
    webhooks = subscribed(store["engine"], receiver)
    project(store["engine"], store["env"])
    produced = messages(store["engine"])
    assert webhooks.fan_out(T0, 1000) == len(produced)
    assert len(webhooks.claim_due(T0, T0 + CLAIM_SECONDS, 1000)) == len(produced)
    clock = Clock()
    clock.now = T0 + CLAIM_SECONDS - 1
    assert deliver_due(webhooks, http_send, POLICY, now=clock).delivered == 0
    clock.now = T0 + CLAIM_SECONDS
    assert deliver_due(webhooks, http_send, POLICY, now=clock).delivered == len(produced)
    assert sorted(r["id"] for r in receiver.received) == sorted(
        m["message_id"] for m in produced)


def test_a_worker_that_dies_after_sending_sends_again_under_the_same_id(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    """The receiver answered but the worker died before recording it: the message goes
    again with the same X-Casetrack-Message-Id, which the receiver deduplicates on."""
    webhooks = subscribed(store["engine"], receiver, ["clock.started"])
    project(store["engine"], store["env"])
    started = [m for m in messages(store["engine"]) if m["kind"] == "clock.started"]

    class DiesAfterSending(SQLWebhooks):
        def delivered(self, delivery_id: str, now: float) -> None:
            raise SystemExit("the worker stopped")

    dying = DiesAfterSending(store["engine"], MASTER_KEY)
    with pytest.raises(SystemExit):
        deliver_due(dying, http_send, POLICY, now=Clock(), limit=1)
    clock = Clock()
    clock.now = T0 + CLAIM_SECONDS
    deliver_due(webhooks, http_send, POLICY, now=clock)
    ids = [r["id"] for r in receiver.received]
    assert len(ids) == len(started) + 1
    assert ids[0] == ids[1] or ids.count(ids[0]) == 2
    assert set(ids) == {m["message_id"] for m in started}


def test_a_secret_sealed_under_another_master_key_fails_its_deliveries_not_the_pass(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    subscribed(store["engine"], receiver, ["clock.stopped"])
    project(store["engine"], store["env"])
    rotated = SQLWebhooks(store["engine"], bytes(32))
    report = deliver_due(rotated, http_send, DeliveryPolicy(max_attempts=1), now=Clock())
    assert report.dead == report.failed > 0
    assert receiver.received == []
    assert {d["last_error"] for d in rotated.dead("LA-901", 100)} == {
        "the secret does not open with the master key: make the subscription again"}


def test_the_wait_doubles_up_to_its_cap() -> None:
    policy = DeliveryPolicy(backoff_seconds=30, max_backoff_seconds=3600)
    assert [policy.delay(n) for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_casetrack_deliver_once_sends_what_is_due_and_exits(
        store: dict[str, Any], receiver: Receiver) -> None:  # noqa: F811
    settings = settings_for(store["dir"], store["url"])
    webhooks = SQLWebhooks(store["engine"], master_key(settings))
    receiver.secret = subscribe(webhooks, actor=ADMIN, url=receiver.url, kinds=[])["secret"]
    project(store["engine"], store["env"])
    produced = messages(store["engine"])
    env = {**os.environ, "CASETRACK_DATA_DIR": str(store["dir"]), "PYTHONPATH": str(ROOT),
           "CASETRACK_SECRET_KEY": TEST_SECRET, "CASETRACK_LOG_FORMAT": "json"}
    env.pop("CASETRACK_DATABASE_URL", None)
    if store["url"]:
        env["CASETRACK_DATABASE_URL"] = store["url"]
    done = subprocess.run([sys.executable, "-m", "web.cli", "deliver", "--once"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"queued {len(produced)}, delivered {len(produced)}, failed 0" in done.stdout
    assert [r["id"] for r in receiver.received] == [m["message_id"] for m in produced]
    assert all(r["valid"] for r in receiver.received)
