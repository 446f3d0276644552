"""Webhook subscriptions and deliveries (issue 16), beside the outbox in the read-model
database; the HTTP sender.

- A subscription's secret is kept sealed: AES-GCM under a key derived (HKDF-SHA256) from
  the vault's master key, the subscription's id as associated data, so it can sign and
  is never stored or logged in clear.
- Each subscription has a cursor into the outbox (``after_seq``, the newest message at
  its creation): ``fan_out`` queues a delivery for each newer message of its authority
  and kinds and moves the cursor, in one transaction; a delivery is unique per message
  and subscription, so two workers never queue one twice.
- A worker claims a due delivery by bumping its ``claim`` counter (compare and set), and
  pushes its next attempt past the claim, so two workers never send it at once and a
  worker that dies mid-send leaves it to be sent again.

These tables are not derived from the log: a rebuild never touches them.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from application.webhooks import Answer
from infrastructure.ciphers import derive_key, master_key_id
from infrastructure.outbox import OutboxMessage
from infrastructure.readmodels import Base

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


class WebhookSubscription(Base):
    """One URL subscribed to an authority's messages of some kinds."""

    __tablename__ = "rm_webhook_subscription"

    subscription_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    after_seq: Mapped[int] = mapped_column(Integer)


class WebhookDelivery(Base):
    """One message to send to one subscription, and how its attempts went."""

    __tablename__ = "rm_webhook_delivery"

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(36))
    message_seq: Mapped[int] = mapped_column(Integer)
    authority: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    claim: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    last_attempt_at: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    delivered_at: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("subscription_id", "message_seq"),
        Index("ix_rm_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_rm_webhook_delivery_authority_status", "authority", "status"),
    )


class SecretBox:
    """Seal and open subscription secrets under a key derived from the master key."""

    def __init__(self, master_key: bytes) -> None:
        self.key_id = master_key_id(master_key)
        self._gcm = AESGCM(derive_key(master_key, b"casetrack webhook secrets", 32))

    def seal(self, subscription_id: str, secret: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._gcm.encrypt(nonce, secret.encode(), subscription_id.encode())

    def open(self, subscription_id: str, sealed: bytes) -> str | None:
        """Return the secret, or None when it was sealed under another master key."""
        try:
            return self._gcm.decrypt(sealed[:12], sealed[12:],
                                     subscription_id.encode()).decode()
        except InvalidTag:
            return None


S = WebhookSubscription.__table__.c
D = WebhookDelivery.__table__.c
M = OutboxMessage.__table__.c


def _public(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {"subscription_id": row["subscription_id"], "authority": row["authority"],
            "url": row["url"], "kinds": list(row["kinds"]), "created_by": row["created_by"],
            "created_at": row["created_at"]}


class SQLWebhooks:
    """The webhook store (``application.webhooks.WebhookStore``) over SQLAlchemy."""

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        self.engine = engine
        self.box = SecretBox(master_key)

    def _write(self) -> Any:
        return self.engine.connect().execution_options(casetrack_write=True)

    # Subscriptions.

    def add_subscription(self, *, authority: str, url: str, kinds: Sequence[str],
                         secret: str, created_by: str, now: float) -> dict[str, Any]:
        subscription_id = str(uuid.uuid4())
        with self._write() as conn, conn.begin():
            newest = conn.scalar(select(func.max(OutboxMessage.seq))) or 0
            row = {"subscription_id": subscription_id, "authority": authority, "url": url,
                   "kinds": list(kinds), "sealed_secret": self.box.seal(subscription_id,
                                                                         secret),
                   "master_key_id": self.box.key_id, "created_by": created_by,
                   "created_at": now, "after_seq": newest}
            conn.execute(insert(WebhookSubscription), row)
        return _public(row)

    def subscriptions(self, authority: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_public(r) for r in conn.execute(select(
                WebhookSubscription.__table__).where(S.authority == authority).order_by(
                S.created_at, S.subscription_id)).mappings()]

    def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(WebhookSubscription.__table__).where(
                S.subscription_id == subscription_id)).mappings().first()
        return None if row is None else _public(row)

    def remove_subscription(self, subscription_id: str) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(delete(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status != DELIVERED))
            conn.execute(delete(WebhookSubscription).where(
                WebhookSubscription.subscription_id == subscription_id))

    # The worker.

    def fan_out(self, now: float, limit: int) -> int:
        """Queue a delivery of each message newer than each subscription's cursor."""
        queued = 0
        with self.engine.connect() as conn:
            cursors = conn.execute(select(
                WebhookSubscription.subscription_id, WebhookSubscription.authority,
                WebhookSubscription.kinds, WebhookSubscription.after_seq)).all()
        for subscription_id, authority, kinds, after in cursors:
            queued += self._fan_out_one(subscription_id, authority, set(kinds), after, now,
                                        limit)
        return queued

    def _fan_out_one(self, subscription_id: str, authority: str, kinds: set[str],
                     after: int, now: float, limit: int) -> int:
        with self._write() as conn, conn.begin():
            messages = conn.execute(select(OutboxMessage.seq, OutboxMessage.kind).where(
                OutboxMessage.authority == authority, OutboxMessage.seq > after).order_by(
                OutboxMessage.seq).limit(limit)).all()
            if not messages:
                return 0
            moved = conn.execute(update(WebhookSubscription).where(
                WebhookSubscription.subscription_id == subscription_id,
                WebhookSubscription.after_seq == after).values(after_seq=messages[-1].seq))
            if moved.rowcount != 1:  # another worker moved it first (or it was removed)
                conn.rollback()
                return 0
            rows = [{"delivery_id": str(uuid.uuid4()), "subscription_id": subscription_id,
                     "message_seq": m.seq, "authority": authority, "status": PENDING,
                     "attempts": 0, "claim": 0, "next_attempt_at": now,
                     "last_attempt_at": None, "last_error": None, "created_at": now,
                     "delivered_at": None} for m in messages if m.kind in kinds]
            if rows:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                conn.execute(dialect.insert(WebhookDelivery).on_conflict_do_nothing(
                    index_elements=["subscription_id", "message_seq"]), rows)
            return len(rows)

    def claim_due(self, now: float, until: float, limit: int) -> list[dict[str, Any]]:
        """Claim up to ``limit`` due deliveries (oldest first) until ``until``; return
        each with its message body, the subscription's URL and secret."""
        stmt = select(D.delivery_id, D.subscription_id, D.attempts, D.claim, M.body,
                      M.message_id, S.url, S.sealed_secret).join(
            OutboxMessage.__table__, M.seq == D.message_seq).join(
            WebhookSubscription.__table__, S.subscription_id == D.subscription_id).where(
            D.status == PENDING, D.next_attempt_at <= now).order_by(
            D.next_attempt_at, D.message_seq).limit(limit)
        with self.engine.connect() as conn:
            due = conn.execute(stmt).all()
        claimed = []
        for row in due:
            with self._write() as conn, conn.begin():
                won = conn.execute(update(WebhookDelivery).where(
                    D.delivery_id == row.delivery_id, D.claim == row.claim).values(
                    claim=row.claim + 1, next_attempt_at=until)).rowcount == 1
            if won:
                claimed.append({
                    "delivery_id": row.delivery_id, "attempts": row.attempts,
                    "message_id": row.message_id, "body": row.body, "url": row.url,
                    "secret": self.box.open(row.subscription_id, row.sealed_secret)})
        return claimed

    def delivered(self, delivery_id: str, now: float) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(update(WebhookDelivery).where(
                WebhookDelivery.delivery_id == delivery_id).values(
                status=DELIVERED, attempts=WebhookDelivery.attempts + 1, delivered_at=now,
                last_attempt_at=now, last_error=None))

    def failed(self, delivery_id: str, *, error: str, now: float,
               next_attempt_at: float | None) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(update(WebhookDelivery).where(
                WebhookDelivery.delivery_id == delivery_id).values(
                status=DEAD if next_attempt_at is None else PENDING,
                attempts=WebhookDelivery.attempts + 1, last_attempt_at=now,
                last_error=error[:200],
                next_attempt_at=now if next_attempt_at is None else next_attempt_at))

    # Dead letters.

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        found = self._deliveries(WebhookDelivery.delivery_id == delivery_id, limit=1)
        return found[0] if found else None

    def dead(self, authority: str, limit: int) -> list[dict[str, Any]]:
        return self._deliveries(WebhookDelivery.authority == authority,
                                WebhookDelivery.status == DEAD, limit=limit)

    def replay(self, delivery_id: str, now: float) -> dict[str, Any]:
        with self._write() as conn, conn.begin():
            conn.execute(update(WebhookDelivery).where(
                WebhookDelivery.delivery_id == delivery_id,
                WebhookDelivery.status == DEAD).values(
                status=PENDING, attempts=0, next_attempt_at=now))
        found = self.delivery(delivery_id)
        assert found is not None
        return found

    def _deliveries(self, *where: Any, limit: int) -> list[dict[str, Any]]:
        stmt = select(D.delivery_id, D.subscription_id, D.authority, D.status, D.attempts,
                      D.last_error, D.last_attempt_at, D.created_at, M.message_id, M.kind,
                      M.child_id, M.position).join(
            OutboxMessage.__table__, M.seq == D.message_seq).where(*where).order_by(
            D.last_attempt_at.desc(), D.delivery_id).limit(limit)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(stmt).mappings()]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (a failed delivery), never followed: the body and its
    signature go to the URL the admin subscribed, nowhere else."""

    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def http_send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; return the status, or why there was none (never the
    receiver's answer body: it is not ours to keep)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Answer(response.status)
    except urllib.error.HTTPError as error:
        return Answer(error.code)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(error).__name__}: {reason}"[:200])
