"""The index of an authority's case references: one small aggregate per reference.

Its id is a uuid5 of (authority, reference), so two journeys claiming the same
reference collide in the event store, saved in the same call as the registration.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CaseReference(Aggregate):
    """Points an authority's case reference at the child's journey."""

    @event("Assigned")
    def __init__(self, authority: str, case_ref: str, child_id: UUID) -> None:
        self.authority = authority
        self.case_ref = case_ref
        self.child_id = child_id

    @staticmethod
    def create_id(authority: str, case_ref: str) -> UUID:
        return reference_id(authority, case_ref)


def reference_id(authority: str, case_ref: str) -> UUID:
    """Return the index id for ``case_ref`` in ``authority`` (case-insensitive)."""
    return uuid5(NAMESPACE_URL, f"casetrack:case-ref:{authority}:{case_ref.strip().upper()}")
