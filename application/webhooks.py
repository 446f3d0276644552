"""Webhooks (issue 16): an authority's admins subscribe a URL to kinds of outbox message;
a delivery worker sends each message to each subscription, signed, retried with
exponential backoff, and set aside as dead after the last attempt for an admin to replay.

Delivery is at least once: a worker that stops after a receiver answered but before the
answer was recorded sends that message again. Every request carries the message's id
(``X-Casetrack-Message-Id``, the same on every attempt and every run) for receivers to
deduplicate on. The signature is HMAC-SHA256 under the subscription's secret over
``<timestamp>.<body>`` (``signature_header``; how to check it: docs/api.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog

from application.addresses import is_loopback
from application.errors import ApplicationError, ForbiddenError
from domain.actors import Actor

logger = structlog.get_logger()

ADMIN = "admin"
MESSAGE_KINDS = ("clock.started", "clock.stopped", "clock.due_changed", "clock.withdrawn")
SIGNATURE_HEADER = "X-Casetrack-Signature"
MESSAGE_ID_HEADER = "X-Casetrack-Message-Id"
ATTEMPT_HEADER = "X-Casetrack-Delivery-Attempt"
# A delivery being sent is claimed for this long; a worker that dies mid-send leaves it
# to be sent again after it.
CLAIM_SECONDS = 120.0
SECRET_BYTES = 32


class SubscriptionNotFoundError(ApplicationError):
    """Raised when no subscription has the given id."""


class DeliveryNotFoundError(ApplicationError):
    """Raised when no delivery has the given id."""


class DeliveryNotDeadError(ApplicationError):
    """Raised when a delivery asked to be replayed is not in the dead-letter list."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How often and how soon a failed delivery is tried again."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones: the backoff,
        doubled after each failure, at most ``max_backoff_seconds``."""
        return min(self.backoff_seconds * 2 ** (attempts - 1), self.max_backoff_seconds)


@dataclass(frozen=True)
class Answer:
    """What a receiver answered: its HTTP status, or why there was none."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookStore(Protocol):
    """What webhooks need from storage (``infrastructure.webhooks.SQLWebhooks``)."""

    def add_subscription(self, *, authority: str, url: str, kinds: Sequence[str],
                         secret: str, created_by: str, now: float) -> dict[str, Any]: ...

    def subscriptions(self, authority: str) -> list[dict[str, Any]]: ...

    def subscription(self, subscription_id: str) -> dict[str, Any] | None: ...

    def remove_subscription(self, subscription_id: str) -> None: ...

    def fan_out(self, now: float, limit: int) -> int: ...

    def claim_due(self, now: float, until: float, limit: int) -> list[dict[str, Any]]: ...

    def delivered(self, delivery_id: str, now: float) -> None: ...

    def failed(self, delivery_id: str, *, error: str, now: float,
               next_attempt_at: float | None) -> None: ...

    def delivery(self, delivery_id: str) -> dict[str, Any] | None: ...

    def dead(self, authority: str, limit: int) -> list[dict[str, Any]]: ...

    def replay(self, delivery_id: str, now: float) -> dict[str, Any]: ...


Send = Callable[[str, bytes, dict[str, str], float], Answer]


def check_url(url: str) -> str:
    """Return ``url`` if a webhook may be sent there: https, or http to this machine
    (a loopback address, for a receiver beside the service); ValueError saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username \
            or parts.password or parts.fragment:
        raise ValueError("must be an https:// URL without credentials or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("must be https:// (http:// only to a loopback address)")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    return url


# Signing.


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """Return ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def request_of(delivery: dict[str, Any], now: float) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers of one attempt at a delivery."""
    body = json.dumps(delivery["body"], sort_keys=True, separators=(",", ":")).encode()
    return body, {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(delivery["secret"], int(now), body),
        MESSAGE_ID_HEADER: delivery["message_id"],
        ATTEMPT_HEADER: str(delivery["attempts"] + 1),
    }


# The delivery worker's pass.


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass did."""

    queued: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def deliver_due(store: WebhookStore, send: Send, policy: DeliveryPolicy, *,
                now: Callable[[], float] = time.time, limit: int = 100) -> DeliveryReport:
    """Queue new messages for their subscriptions, then send each delivery that is due:
    delivered, or tried again after the backoff, or dead after the last attempt."""
    queued = store.fan_out(now(), limit * 10)
    delivered = failed = dead = 0
    started = now()
    for delivery in store.claim_due(started, started + CLAIM_SECONDS, limit):
        if delivery["secret"] is None:  # sealed under a master key since replaced
            answer = Answer(None, "the secret does not open with the master key: make "
                                  "the subscription again")
        else:
            body, headers = request_of(delivery, now())
            answer = send(delivery["url"], body, headers, policy.timeout_seconds)
        if answer.ok:
            store.delivered(delivery["delivery_id"], now())
            delivered += 1
            continue
        attempts = delivery["attempts"] + 1
        last = attempts >= policy.max_attempts
        error = answer.error or f"HTTP {answer.status}"
        store.failed(delivery["delivery_id"], error=error, now=now(),
                     next_attempt_at=None if last else now() + policy.delay(attempts))
        failed += 1
        dead += last
        logger.warning("webhook_delivery_failed", delivery_id=delivery["delivery_id"],
                       attempts=attempts, dead=last, error=error)
    return DeliveryReport(queued, delivered, failed, dead)


# What admins ask.


def _admin(actor: Actor, authority: str | None = None) -> str:
    if actor.role != ADMIN:
        raise ForbiddenError(f"role {actor.role!r} may not manage webhooks")
    if authority is not None and authority != actor.organisation:
        raise ForbiddenError("an admin manages their own authority's webhooks only")
    return actor.organisation


def subscribe(store: WebhookStore, *, actor: Actor, url: str, kinds: Sequence[str],
              authority: str | None = None, now: float | None = None) -> dict[str, Any]:
    """Subscribe ``url`` to the authority's messages of ``kinds`` (every kind when
    empty); return the subscription with its secret, shown this once."""
    own = _admin(actor, authority)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    made = store.add_subscription(authority=own, url=url, kinds=sorted(set(kinds)) or
                                  list(MESSAGE_KINDS), secret=secret,
                                  created_by=actor.user_id,
                                  now=time.time() if now is None else now)
    logger.info("webhook_subscribed", subscription_id=made["subscription_id"])
    return {**made, "secret": secret}


def subscriptions(store: WebhookStore, *, actor: Actor) -> dict[str, Any]:
    """List the admin's authority's subscriptions (never their secrets)."""
    return {"items": store.subscriptions(_admin(actor))}


def unsubscribe(store: WebhookStore, *, actor: Actor, subscription_id: str) -> None:
    """Remove a subscription of the admin's authority and its deliveries not yet sent."""
    found = store.subscription(subscription_id)
    if found is None:
        raise SubscriptionNotFoundError(f"no subscription with id {subscription_id}")
    _admin(actor, found["authority"])
    store.remove_subscription(subscription_id)
    logger.info("webhook_unsubscribed", subscription_id=subscription_id)


def dead_letters(store: WebhookStore, *, actor: Actor, limit: int = 100) -> dict[str, Any]:
    """List the admin's authority's deliveries that failed every attempt, newest first."""
    return {"items": store.dead(_admin(actor), limit)}


def replay(store: WebhookStore, *, actor: Actor, delivery_id: str,
           now: float | None = None) -> dict[str, Any]:
    """Queue a dead delivery again, with its attempts counted afresh."""
    found = store.delivery(delivery_id)
    if found is None:
        raise DeliveryNotFoundError(f"no delivery with id {delivery_id}")
    _admin(actor, found["authority"])
    if found["status"] != "dead":
        raise DeliveryNotDeadError(f"delivery {delivery_id} is {found['status']}, not dead: "
                                   "only a dead delivery is replayed")
    return store.replay(delivery_id, time.time() if now is None else now)
