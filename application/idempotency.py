"""Idempotency keys: the first answer to a key is kept, atomically with its events.

A record's id is a uuid5 of (organisation, user, key), so it is saved in the same
``Application.save()`` call as the journey events it produced: either both are stored
or neither is, and two racing requests with one key cannot both record.

The record keeps a fingerprint of the request to tell a retry from a different request
under the same key. A request body holds personal data (identifiers, free text), so the
fingerprint is an HMAC under the *child's* key (``keyed_fingerprint``): once the child's
key is erased nobody can recompute it, or test guesses of the body against it. The clear
request (``RequestFingerprint``) lives only in memory and cannot be stored as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from application.errors import ApplicationError
from domain.actors import Actor

MAX_KEY_LENGTH = 200


class IdempotencyKeyReusedError(ApplicationError):
    """Raised when an idempotency key comes back with a different request."""


class InvalidIdempotencyKeyError(ApplicationError):
    """Raised when an idempotency key is empty, too long or not printable ASCII."""


class IdempotencyRecord(Aggregate):
    """The request fingerprint a key was first used for, and the answer given."""

    @event("Recorded")
    def __init__(self, scope: str, key_hash: str, fingerprint: str,
                 answer: dict[str, Any]) -> None:
        self.scope = scope
        self.key_hash = key_hash
        self.fingerprint = fingerprint
        self.answer = answer

    @staticmethod
    def create_id(scope: str, key_hash: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE_URL, f"casetrack:idempotency:{scope}:{key_hash}")

    @classmethod
    def recorded(cls, scope: str, key_hash: str, fingerprint: str, answer: dict[str, Any]
                 ) -> Aggregate.Created:
        """Return the event that ``cls(scope, key_hash, fingerprint, answer)`` would leave
        pending, built as the library's ``_create`` builds it but without the aggregate,
        which a write only saves (about half the cost; issue 17). Saved as an event, it is
        stored as that aggregate's would be (tests/application/test_idempotency_records.py
        holds the two equal)."""
        return cls.Recorded(  # type: ignore[attr-defined, no-any-return]
            scope=scope, key_hash=key_hash, fingerprint=fingerprint, answer=answer,
            originator_topic=_RECORD_TOPIC, originator_id=cls.create_id(scope, key_hash),
            originator_version=cls.INITIAL_VERSION,
            timestamp=cls.Recorded.create_timestamp())  # type: ignore[attr-defined]


_RECORD_TOPIC = get_topic(IdempotencyRecord)


def key_hash(key: str) -> str:
    """Return the sha256 of a key (only the hash is kept on events)."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidIdempotencyKeyError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return hashlib.sha256(key.encode()).hexdigest()


def scope_of(actor: Actor) -> str:
    return f"{actor.organisation}:{actor.user_id}"


def record_id(actor: Actor, hashed_key: str) -> UUID:
    return IdempotencyRecord.create_id(scope_of(actor), hashed_key)


KEYED_PREFIX = "hmac-sha256:"


@dataclass(frozen=True)
class RequestFingerprint:
    """What was asked (operation, target, canonical body), in memory only: kept on an
    idempotency record as ``keyed`` under the child's key, never as it is."""

    text: str = field(repr=False)

    def keyed(self, mac: Callable[[bytes], str]) -> str:
        """Return the fingerprint under a key (``mac``: the child's HMAC)."""
        return KEYED_PREFIX + mac(self.text.encode())

    def unkeyed(self) -> str:
        """Return a plain SHA-256, for an application without a personal-data vault (and
        records kept before fingerprints were keyed)."""
        return hashlib.sha256(self.text.encode()).hexdigest()


# ``json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)``, built once.
_CANONICAL_BODY = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(operation: str, target: str, body: Any) -> RequestFingerprint:
    """Return what was asked (operation, target and canonical body), to be keyed."""
    canonical = _CANONICAL_BODY.encode(body)
    return RequestFingerprint(f"{operation}\n{target}\n{canonical}")


def same_request(kept: str, asked: RequestFingerprint, mac: Callable[[bytes], str] | None
                 ) -> bool:
    """Tell whether a kept fingerprint is of the request ``asked``."""
    if kept.startswith(KEYED_PREFIX):
        return mac is not None and kept == asked.keyed(mac)
    return kept == asked.unkeyed()
