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

from eventsourcing.persistence import IntegrityError

from application import access
from application.errors import StaleVersionError
from application.personal_data import seal_payload
from domain.actors import Actor
from domain.catalogue.governance import CaseAssigned

if TYPE_CHECKING:
    from application.tracking import CaseTracking, WriteResult


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


def assign_cases(tracking: CaseTracking, items: Sequence[Reassignment], *, actor: Actor,
                 occurred_on: date | None = None, request_id: str | None = None
                 ) -> list[dict[str, Any]]:
    """Assign many cases at once, all or none: each a ``CaseAssigned`` of its own journey,
    checked against its own version, saved together in one transaction."""
    if len({item.child_id for item in items}) != len(items):
        raise ValueError("each child may appear once in a reassignment")
    on, today = occurred_on or tracking.today(), tracking.today()
    journeys = []
    for item in items:
        journey = tracking.journey_for_update(item.child_id)
        access.check_may_assign(actor, journey.authority)
        if journey.version != item.version:
            raise StaleVersionError(item.version, journey.version)
        payload = seal_payload(tracking.vault, journey, CaseAssigned.__name__, {
            "assigned_to": item.assigned_to,
            "assigned_organisation": item.assigned_organisation, "reason": item.reason})
        journey.record(CaseAssigned.__name__, payload, actor=actor, occurred_on=on,
                       today=today, request_id=request_id)
        journeys.append(journey)
    try:
        recordings = tracking.save(*journeys)
    except IntegrityError:  # another write reached one of them first: nothing was saved
        raise StaleVersionError(items[0].version, items[0].version + 1) from None
    positions = {r.domain_event.originator_id: r.notification.id for r in recordings}
    return [{"child_id": j.id, "version": j.version, "position": positions[j.id]}
            for j in journeys]
