"""Assignment: a manager of the authority hands a child's case to a caseworker.

Recorded as a ``CaseAssigned`` journey event (domain/catalogue/governance.py), against
the journey version the manager saw (If-Match), so two managers cannot silently
overwrite each other's assignment.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application import access
from application.errors import ConcurrentWriteError, StaleVersionError
from application.personal_data import reveal, seal_payload
from application.views import event_view
from domain.actors import Actor
from domain.catalogue.governance import CaseAssigned

if TYPE_CHECKING:
    from application.tracking import CaseTracking


def assign_case(tracking: CaseTracking, child_id: UUID, *, actor: Actor, assigned_to: str,
                assigned_organisation: str, expected_version: int | None,
                occurred_on: date | None = None, reason: str | None = None,
                request_id: str | None = None) -> dict[str, Any]:
    """Assign the case to ``assigned_to`` of ``assigned_organisation``; return the event."""
    journey = tracking.journey_for_update(child_id)
    access.check_may_assign(actor, journey.authority)
    if expected_version is not None and journey.version != expected_version:
        raise StaleVersionError(expected_version, journey.version)
    payload = seal_payload(tracking.vault, journey, CaseAssigned.__name__, {
        "assigned_to": assigned_to, "assigned_organisation": assigned_organisation,
        "reason": reason})
    event = journey.record(CaseAssigned.__name__, payload, actor=actor,
                           occurred_on=occurred_on or tracking.today(),
                           today=tracking.today(), request_id=request_id)
    try:
        recordings = tracking.save(journey)
    except IntegrityError:
        if expected_version is None:
            raise ConcurrentWriteError("the journey changed while assigning") from None
        raise StaleVersionError(expected_version, journey.version) from None
    return {"child_id": child_id, "version": journey.version,
            "position": recordings[-1].notification.id,
            "event": reveal(tracking.vault, child_id, event_view(event), actor)}
