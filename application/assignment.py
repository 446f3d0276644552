"""Assignment: a manager of the authority hands a child's case to a caseworker.

Recorded as a ``CaseAssigned`` journey event (domain/catalogue/governance.py) through
``CaseTracking.record_event`` (only managers of the authority may: its access check),
against the journey version the manager saw (If-Match), so two managers cannot silently
overwrite each other's assignment.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

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
