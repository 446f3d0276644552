"""Inspection use cases: open an inspection, select the children it tracks, read it.

Inspections live in the journeys' event store (like the case-reference index), so an
inspector's access is as durable and as auditable as the journeys themselves. Each use
case is load → one aggregate call → save.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application import access
from application.errors import ApplicationError, ChildNotFoundError, ConcurrentWriteError
from domain.actors import Actor
from domain.catalogue.registration import ChildRegistered
from domain.inspection import AuthorityInspections, Inspection, InspectionError

if TYPE_CHECKING:
    from application.tracking import CaseTracking


class InspectionNotFoundError(ApplicationError):
    """Raised when no inspection has the given id."""

    def __init__(self, inspection_id: object) -> None:
        super().__init__(f"no inspection with id {inspection_id}")
        self.inspection_id = inspection_id


def open_inspection(app: CaseTracking, *, actor: Actor, authority: str, starts_on: date,
                    ends_on: date, inspectorate: str | None = None,
                    theme: str | None = None) -> dict[str, Any]:
    """Open an inspection of ``authority``; an inspector's own organisation inspects, and
    only an inspectorate the deployment recognises (``app.inspectorates``) may."""
    access.check_may_open_inspection(actor, authority, inspectorate, app.inspectorates)
    if actor.role == "inspector":
        inspectorate = actor.organisation
    if not inspectorate:
        raise InspectionError("inspectorate-required",
                              "name the inspectorate whose inspectors will read the sample")
    if inspectorate not in app.inspectorates:
        raise InspectionError("inspectorate-not-recognised",
                              f"{inspectorate!r} is not an inspectorate this deployment "
                              "recognises (CASETRACK_INSPECTORATES)")
    inspection = Inspection.open(authority=authority, inspectorate=inspectorate,
                                 starts_on=starts_on, ends_on=ends_on, theme=theme,
                                 actor=actor, today=app.today())
    index = _index(app, authority)
    index.add(inspection.id)
    try:
        app.save(inspection, index)
    except IntegrityError:
        raise ConcurrentWriteError("another inspection of the authority was opened at the "
                                   "same moment; try again") from None
    return inspection_view(inspection, app.today())


def list_inspections(app: CaseTracking, authority: str, *, actor: Actor) -> dict[str, Any]:
    """Return the inspections of ``authority``, newest first (an inspector's own only)."""
    access.check_may_list_inspections(actor, authority)
    today = app.today()
    found = [_inspection(app, i) for i in reversed(_index(app, authority).inspection_ids)]
    return {"authority": authority, "items": [
        inspection_view(i, today) for i in found
        if actor.role != "inspector" or i.inspectorate == actor.organisation]}


def select_children(app: CaseTracking, inspection_id: UUID, child_ids: Sequence[UUID], *,
                    actor: Actor, theme: str | None = None) -> dict[str, Any]:
    """Add children of the inspected authority to the inspection's sample."""
    inspection = _inspection(app, inspection_id)
    access.check_may_select(actor, inspection.authority, inspection.inspectorate)
    for child_id in child_ids:
        if _authority_of(app, child_id) != inspection.authority:
            raise InspectionError("sample-child-elsewhere",
                                  f"child {child_id} is not a child of {inspection.authority}")
    inspection.select(child_ids, theme=theme, actor=actor, today=app.today())
    try:
        app.save(inspection)
    except IntegrityError:
        raise ConcurrentWriteError("the inspection changed while selecting") from None
    return inspection_view(inspection, app.today())


def get_inspection(app: CaseTracking, inspection_id: UUID, *, actor: Actor) -> dict[str, Any]:
    inspection = _inspection(app, inspection_id)
    access.check_may_view_inspection(actor, inspection.authority, inspection.inspectorate)
    return inspection_view(inspection, app.today())


class InspectionSamples:
    """The ``SampleLookup`` over the event store: active inspections of an authority."""

    def __init__(self, app: CaseTracking) -> None:
        self._app = app

    def tracks(self, inspectorate: str, authority: str, child_id: UUID) -> bool:
        return active_inspection(self._app, inspectorate, authority, child_id) is not None


def active_inspection(app: CaseTracking, inspectorate: str, authority: str,
                      child_id: UUID | None = None) -> UUID | None:
    """Return the id of a recognised ``inspectorate``'s inspection of ``authority`` active
    today (sampling ``child_id`` when given), or None: what an inspector reads under."""
    if inspectorate not in app.inspectorates:
        return None
    today = app.today()
    try:
        index: AuthorityInspections = app.repository.get(
            AuthorityInspections.create_id(authority))
    except AggregateNotFoundError:
        return None
    for inspection_id in reversed(index.inspection_ids):
        inspection: Inspection = app.repository.get(inspection_id)
        if (inspection.inspectorate == inspectorate and inspection.is_active(today)
                and (child_id is None or inspection.tracks(child_id))):
            return inspection.id
    return None


def inspection_of_read(app: CaseTracking, actor: Actor, child_id: UUID) -> UUID | None:
    """Return the inspection an inspector reads a child's record under (for the access
    log), or None for other readers."""
    if actor.role != "inspector":
        return None
    try:
        authority = _authority_of(app, child_id)
    except ChildNotFoundError:
        return None
    return active_inspection(app, actor.organisation, authority, child_id)


def inspection_view(inspection: Inspection, today: date) -> dict[str, Any]:
    return {
        "inspection_id": inspection.id, "authority": inspection.authority,
        "inspectorate": inspection.inspectorate, "starts_on": inspection.starts_on,
        "ends_on": inspection.ends_on, "theme": inspection.theme,
        "active": inspection.is_active(today), "version": inspection.version,
        "opened_by": inspection.opened_by.as_dict(),
        "sample": [str(c) for c in inspection.sampled],
        "selections": [{"child_ids": [str(c) for c in s["child_ids"]], "theme": s["theme"],
                        "method": s["method"], "parameters": s["parameters"],
                        "selected_by": s["selected_by"].as_dict()}
                       for s in inspection.selections],
    }


def _index(app: CaseTracking, authority: str) -> AuthorityInspections:
    try:
        index: AuthorityInspections = app.repository.get(
            AuthorityInspections.create_id(authority))
    except AggregateNotFoundError:
        return AuthorityInspections(authority=authority)
    return index


def _inspection(app: CaseTracking, inspection_id: UUID) -> Inspection:
    try:
        inspection: Inspection = app.repository.get(inspection_id)
    except AggregateNotFoundError:
        raise InspectionNotFoundError(inspection_id) from None
    if not isinstance(inspection, Inspection):
        raise InspectionNotFoundError(inspection_id)
    return inspection


def _authority_of(app: CaseTracking, child_id: UUID) -> str:
    first = app.recorder.select_events(child_id, lte=1)
    if not first:
        raise ChildNotFoundError(child_id)
    registered = app.mapper.to_domain_event(first[0])
    if not isinstance(registered, ChildRegistered):
        raise ChildNotFoundError(child_id)
    return registered.authority
