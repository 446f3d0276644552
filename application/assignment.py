"""Assignment: a manager of the authority hands a child's case to a caseworker.

Recorded as a ``CaseAssigned`` journey event (domain/catalogue/governance.py) through
``CaseTracking.record_event`` (only managers of the authority may: its access check),
against the journey version the manager saw (If-Match), so two managers cannot silently
overwrite each other's assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application import access
from application.errors import StaleVersionError
from application.idempotency import (
    IdempotencyKeyReusedError,
    IdempotencyRecord,
    record_id,
    scope_of,
)
from application.personal_data import (
    is_same_request_of_many,
    keyed_fingerprint_of_many,
    seal_payload,
)
from domain.actors import Actor
from domain.catalogue.governance import CaseAssigned
from domain.errors import DomainError

if TYPE_CHECKING:
    from application.tracking import CaseTracking, Idempotency, WriteResult
    from domain.journey import ChildJourney


def assign_case(tracking: CaseTracking, child_id: UUID, *, actor: Actor, assigned_to: str,
                assigned_organisation: str, expected_version: int | None,
                occurred_on: date | None = None, reason: str | None = None,
                request_id: str | None = None) -> WriteResult:
    """Assign the case to ``assigned_to`` of ``assigned_organisation``; return the write."""
    return tracking.record_event(
        child_id, CaseAssigned.__name__, {
            "assigned_to": assigned_to, "assigned_organisation": assigned_organisation,
            "reason": reason},
        actor=actor, occurred_on=occurred_on or tracking.today(),
        expected_version=expected_version, request_id=request_id, own_endpoint=True)


@dataclass(frozen=True)
class Reassignment:
    """One child of a bulk reassignment, against the journey version the manager saw."""

    child_id: UUID
    version: int
    assigned_to: str
    assigned_organisation: str
    reason: str | None = None


@dataclass(frozen=True)
class Reassigned:
    """What a bulk reassignment answers: each child's new version and log position;
    ``replayed`` when it is the first answer to a repeated Idempotency-Key."""

    assigned: list[dict[str, Any]]
    replayed: bool = False


def assign_cases(tracking: CaseTracking, items: Sequence[Reassignment], *, actor: Actor,
                 occurred_on: date | None = None, request_id: str | None = None,
                 idempotency: Idempotency | None = None) -> Reassigned:
    """Assign many cases at once, all or none: each a ``CaseAssigned`` of its own journey,
    checked against its own version, saved together in one transaction with the
    idempotency record of its key. A repeated key answers as it first did and records
    nothing (its versions are stale by then, so the key is looked up only on refusal)."""
    if len({item.child_id for item in items}) != len(items):
        raise ValueError("each child may appear once in a reassignment")
    try:
        journeys = [_reassigned(tracking, item, actor, occurred_on, request_id, idempotency)
                    for item in items]
    except (DomainError, StaleVersionError):
        replayed = _replayed(tracking, actor, idempotency, items)
        if replayed is not None:
            return replayed
        raise
    assigned = [{"child_id": j.id, "version": j.version, "position": 0} for j in journeys]
    try:
        recordings = tracking.save(*journeys, *_keep(tracking, actor, idempotency, items,
                                                    assigned))
    except IntegrityError:  # another write reached one of them first: nothing was saved
        replayed = _replayed(tracking, actor, idempotency, items)
        if replayed is not None:
            return replayed
        raise StaleVersionError(items[0].version, items[0].version + 1) from None
    positions = {r.domain_event.originator_id: r.notification.id for r in recordings}
    return Reassigned([item | {"position": positions[item["child_id"]]} for item in assigned])


def _reassigned(tracking: CaseTracking, item: Reassignment, actor: Actor,
                occurred_on: date | None, request_id: str | None,
                idempotency: Idempotency | None) -> ChildJourney:
    """Return the child's journey with its ``CaseAssigned`` recorded (not yet saved)."""
    journey = tracking.journey_for_update(item.child_id)
    access.check_may_assign(actor, journey.authority)
    if journey.version != item.version:
        raise StaleVersionError(item.version, journey.version)
    payload = seal_payload(tracking.vault, journey, CaseAssigned.__name__, {
        "assigned_to": item.assigned_to,
        "assigned_organisation": item.assigned_organisation, "reason": item.reason})
    today = tracking.today()
    journey.record(CaseAssigned.__name__, payload, actor=actor, occurred_on=occurred_on or today,
                   today=today, request_id=request_id,
                   idempotency_key_hash=idempotency.key_hash if idempotency else None)
    return journey


def _keep(tracking: CaseTracking, actor: Actor, idempotency: Idempotency | None,
          items: Sequence[Reassignment], assigned: list[dict[str, Any]]
          ) -> list[IdempotencyRecord]:
    if idempotency is None:
        return []
    # The positions are known only once saved; a replay answers the log's position then.
    fingerprint = keyed_fingerprint_of_many(
        tracking.vault, [item.child_id for item in items], idempotency.fingerprint)
    return [IdempotencyRecord(scope_of(actor), idempotency.key_hash, fingerprint,
                              {"assigned": assigned})]


def _replayed(tracking: CaseTracking, actor: Actor, idempotency: Idempotency | None,
              items: Sequence[Reassignment]) -> Reassigned | None:
    """Return the first answer to this key, or None if the key is new."""
    if idempotency is None:
        return None
    try:
        kept: IdempotencyRecord = tracking.repository.get(
            record_id(actor, idempotency.key_hash))
    except AggregateNotFoundError:
        return None
    if "assigned" not in kept.answer or not is_same_request_of_many(
            tracking.vault, [item.child_id for item in items], kept.fingerprint,
            idempotency.fingerprint):
        raise IdempotencyKeyReusedError("this Idempotency-Key was used for a different request")
    position = tracking.max_position()
    return Reassigned([item | {"position": position} for item in kept.answer["assigned"]],
                      replayed=True)
