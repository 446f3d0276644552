"""The journey's hash chain: each event's hash covers its content and the previous hash.

An event's canonical content is a JSON document (keys sorted, no spaces, UTF-8) of:

- ``type``: the event type's name (``ChildRegistered``, ``FinalPlanIssued``, ...);
- every dataclass field of the event except ``hash`` and ``originator_topic``, and
  except a field whose value is its declared default (so a field added later with a
  default leaves old hashes valid) — in practice ``originator_id``,
  ``originator_version``, ``timestamp``, ``occurred_on``, ``actor``, the payload,
  ``evidence``, ``reference_version``, ``request_id``, ``idempotency_key_hash`` and
  ``prev_hash``.

Dates and times are ISO 8601, ids strings, actors their three fields. The hash is the
SHA-256 (hex) of those bytes. Version 1 chains from ``genesis_hash(journey id)``.
``docs/decisions/0004-integrity.md`` tells the whole story.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any
from uuid import UUID

from domain.calendar import iso_text
from domain.events import JourneyEvent

GENESIS_PREFIX = "casetrack:journey-genesis:"
UNHASHED_FIELDS = frozenset({"hash", "originator_topic", "_"})


def genesis_hash(journey_id: UUID | str) -> str:
    """Return the ``prev_hash`` of a journey's first event."""
    return hashlib.sha256(f"{GENESIS_PREFIX}{journey_id}".encode()).hexdigest()


def canonical_content(event: JourneyEvent) -> bytes:
    """Return the bytes an event's hash covers (its ``prev_hash`` included)."""
    content: dict[str, Any] = {"type": type(event).__name__}
    for name, default in _hashed_fields(type(event)):
        value = getattr(event, name)
        # A field is left out when it holds its default: the one it had when events were
        # first hashed where it has changed since (``hashed_defaults``: the new default,
        # absent, is hashed, so the two never collide), else its declared one.
        if default is not _NO_DEFAULT and type(value) is type(default) and value == default:
            continue
        content[name] = _canonical(value)
    return _CANONICAL_JSON.encode(content).encode("utf-8")


# ``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
# allow_nan=False)``, the encoder built once rather than for every hash.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                   allow_nan=False)
_NO_DEFAULT = object()


@cache
def _hashed_fields(cls: type[JourneyEvent]) -> tuple[tuple[str, Any], ...]:
    """Return each hashed field of an event type with the default that leaves it out of
    the content (``_NO_DEFAULT`` for none); worked out once per type, as each write and
    each check of the chain hashes an event. A default factory's value is made once
    and only compared with, never handed out."""
    hashed: list[tuple[str, Any]] = []
    for spec in fields(cls):  # type: ignore[arg-type]
        if spec.name in UNHASHED_FIELDS:
            continue
        if spec.name in cls.hashed_defaults:
            default = cls.hashed_defaults[spec.name]
        elif spec.default is not dataclasses.MISSING:
            default = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            default = spec.default_factory()
        else:
            default = _NO_DEFAULT
        hashed.append((spec.name, default))
    return tuple(hashed)


def event_hash(event: JourneyEvent) -> str:
    """Return the SHA-256 (hex) of an event's canonical content."""
    return hashlib.sha256(canonical_content(event)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where a journey's chain first fails, and why."""

    version: int
    reason: str


class ChainVerifier:
    """Check one journey's events in order, one at a time."""

    def __init__(self, journey_id: UUID | str) -> None:
        self.journey_id = journey_id
        self.version = 0
        self.head_hash = genesis_hash(journey_id)
        self.broken: ChainBreak | None = None

    def add(self, event: JourneyEvent) -> ChainBreak | None:
        """Check ``event`` follows the events added so far; return the first break."""
        if self.broken is not None:
            return self.broken
        expected = self.version + 1
        if event.originator_version != expected:
            reason = (f"version {expected} is missing; found {event.originator_version}"
                      if event.originator_version > expected else
                      f"version {event.originator_version} appears again or out of order")
            self.broken = ChainBreak(expected, reason)
        elif event.prev_hash != self.head_hash:
            before = f"the hash of version {expected - 1}" if expected > 1 else "the genesis hash"
            self.broken = ChainBreak(expected, f"prev_hash does not match {before}")
        elif event.hash != event_hash(event):
            self.broken = ChainBreak(expected, "hash does not match the event's content")
        else:
            self.version = expected
            self.head_hash = event.hash
        return self.broken


def first_break(journey_id: UUID | str, events: Iterable[JourneyEvent]) -> ChainBreak | None:
    """Return where the journey's chain of ``events`` first fails, or None if it holds."""
    verifier = ChainVerifier(journey_id)
    for event in events:
        if verifier.add(event) is not None:
            break
    return verifier.broken


def verify_chain(events: Iterable[JourneyEvent]) -> int | None:
    """Return the first bad version of a journey's events (in order), or None if none."""
    ordered = list(events)
    if not ordered:
        return None
    broken = first_break(ordered[0].originator_id, ordered)
    return broken.version if broken is not None else None


# Exact types taken as they are, or as ISO 8601: most of an event (tried first).
_AS_IS = frozenset({str, int, float, bool, type(None)})
_ISO = frozenset({date, datetime})


# The field names of each dataclass met (an actor on every event), as ``fields`` gives them.
_DATACLASS_FIELDS: dict[type, tuple[str, ...]] = {}


def _canonical(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind in _ISO:
        return iso_text(value)
    if kind is UUID:  # every event's originator_id
        return str(value)
    names = _DATACLASS_FIELDS.get(kind)
    if names is not None:
        return {name: _canonical(getattr(value, name)) for name in names}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return _canonical(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _DATACLASS_FIELDS[kind] = tuple(f.name for f in fields(value))
        return {name: _canonical(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")
