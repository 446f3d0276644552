"""Reading one child's journey from the event store: replay with a timeline, and the raw log.

Functions over the ``CaseTracking`` application (its commands stay in ``tracking``).
Everything returned is plain data; nothing here reads a read model, so the answers are
always consistent with the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Notification

from application import access
from application.errors import ChildNotFoundError, VersionNotFoundError
from application.inspections import InspectionSamples
from application.kept_views import (
    BuiltTimeline,
    KeptAnswer,
    current_view,
    kept_views,
    reveal_way,
)
from application.personal_data import revealer
from application.views import journey_view_at, plain
from domain.catalogue.documents import DocumentAttached
from domain.catalogue.registration import ChildRegistered, EntryCorrected, EntryRetracted
from domain.clock_trail import ClockChange, clock_changes, readings_by_key
from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy
from domain.errors import InvalidFieldError, RuleViolationError
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import JourneyState, effective_events

if TYPE_CHECKING:
    from application.tracking import CaseTracking

MAX_HISTORY_PAGE = 500


def load_journey(app: CaseTracking, child_id: UUID, version: int | None = None
                 ) -> ChildJourney:
    """Return the journey (at ``version``), or raise ``ChildNotFoundError``."""
    return app.journey_for_update(child_id, version)


def journey_at(
    app: CaseTracking, child_id: UUID, *, actor: Any, today: date,
    as_at: date | None = None, known_at: datetime | None = None, version: int | None = None,
    admitted: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Return the journey's state at a point (world date, system time or version) and
    its timeline: every event known then, in order of occurrence, with its clock effects.
    ``admitted`` is called once the read's checks passed, before the answer is built."""
    journey = load_journey(app, child_id, version)
    access.check_may_read(actor, journey.authority, child_id=child_id,
                          samples=InspectionSamples(app))
    if version is not None and journey.version != version:
        # The store answers the head for a version past it; that is not what was asked.
        raise VersionNotFoundError(version, journey.version)
    if known_at is not None and known_at < journey.log[0].timestamp:
        raise InvalidFieldError("query.known_at", "is before the journey was registered "
                                f"({journey.log[0].timestamp.isoformat()}): nothing was known "
                                "of it then")
    if admitted is not None:
        admitted()
    log = [e for e in journey.log if known_at is None or e.timestamp <= known_at]
    if as_at is None and known_at is None and version is None:
        # The current answer: its state view and its timeline's entries as built for this
        # log, day and policy (application.kept_views), the entries' clock effects from
        # the trail kept with the journey (read once per day, then only for events
        # recorded since); the same for every reader who reveals it the same way.
        state = current_view(app, journey, today)
        built: BuiltTimeline = kept_views(app).built(
            "timeline", journey.id, (len(log), today, app.policy), lambda: BuiltTimeline(
                timeline(log, as_at=None, on=today, policy=app.policy,
                         effects=journey.clock_trail(today, app.policy).effects), kept=True))
        way, opened = reveal_way(app, journey.id, actor, state, built)
        answer = state.revealed(opened)
        answer["timeline"] = built.revealed(opened)
        answer["events_known"] = len(log)
        return KeptAnswer(answer, built, (way, state))
    # A page at a point: never kept, built afresh.
    opened = revealer(app.vault, journey.id, actor)
    view, on = journey_view_at(journey, today, as_at=as_at, known_at=known_at,
                               policy=app.policy)
    answer = opened(view)
    built = BuiltTimeline(timeline(
        log, as_at=as_at, on=on, policy=app.policy,
        effects=journey.clock_trail(on, app.policy).effects
        if as_at is None and known_at is None else None))
    answer["timeline"] = built.revealed(opened)
    answer["events_known"] = len(log)
    return answer


def timeline(log: list[JourneyEvent], *, as_at: date | None, on: date,
             policy: LocalPolicy = DEFAULT_POLICY,
             effects: Mapping[int, Sequence[ClockChange]] | None = None
             ) -> list[dict[str, Any]]:
    """Return the log's entries by occurrence, each with what it did to each clock
    (``effects`` when given: the clock effects of the whole ``log`` read on ``on``).

    Corrections and retractions sit beside the entry they amend (``amended_by``) and
    appear in their own place too; ``recorded_days_after`` shows late recording.
    """
    amendments: dict[int, list[dict[str, Any]]] = {}
    for event in log:
        if isinstance(event, EntryCorrected | EntryRetracted):
            amendments.setdefault(event.target_version, []).append({
                "version": event.originator_version, "type": event.type_name,
                "recorded_at": event.timestamp, "actor": event.actor.as_dict(),
                "reason": event.reason,
                "changes": plain(event.changes) if isinstance(event, EntryCorrected) else None,
            })
    effective = effective_events(log)
    dates = {e.originator_version: e.occurred_on for e in effective}  # as corrected
    if as_at is not None:
        effective = effective[:1] + [e for e in effective[1:] if e.occurred_on <= as_at]
    if effects is None:
        effects = clock_effects(effective, on, policy)
    in_force = {e.originator_version: e for e in effective}

    def occurred(event: JourneyEvent) -> date:
        return dates.get(event.originator_version, event.occurred_on)

    # Every entry sits at its date as now corrected, registration included: a journey
    # recorded after the fact starts in the timeline from its first fact, and a page as
    # at a day shows nothing that happened after it (docs/domain-guide.md).
    ordered = sorted(log, key=lambda e: (occurred(e), not isinstance(e, ChildRegistered),
                                         e.originator_version))
    documents = attached_documents(log, in_force, as_at, occurred)
    entries = []
    for event in ordered:
        if as_at is not None and occurred(event) > as_at:
            continue
        current = in_force.get(event.originator_version)
        as_corrected = plain(current.payload()) | {"occurred_on": current.occurred_on} \
            if current is not None and current is not event else None
        entries.append({
            "version": event.originator_version, "type": event.type_name,
            "occurred_on": occurred(event), "recorded_at": event.timestamp,
            "recorded_days_after": (event.timestamp.date() - occurred(event)).days,
            "actor": event.actor.as_dict(), "responsible": type(event).recorded_by.value,
            "data": plain(event.payload()),
            "in_force": current is not None or isinstance(event, EntryCorrected |
                                                          EntryRetracted),
            "as_corrected": as_corrected,
            "corrects_version": event.target_version if isinstance(
                event, EntryCorrected | EntryRetracted) else None,
            "amended_by": amendments.get(event.originator_version, []),
            "clock_effects": [c.as_dict() for c in effects.get(event.originator_version, ())],
            "documents": documents.get(event.originator_version, []),
        })
    return entries


def attached_documents(log: list[JourneyEvent], in_force: dict[int, JourneyEvent],
                       as_at: date | None, occurred: Callable[[JourneyEvent], date]
                       ) -> dict[int, list[dict[str, Any]]]:
    """Return the documents attached to each event version by ``as_at``, in the order
    attached (a retracted attachment stays, marked not in force)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for e in log:
        if isinstance(e, DocumentAttached) and (as_at is None or occurred(e) <= as_at):
            found.setdefault(e.event_version, []).append({
                "document_id": e.document_id, "title": e.title, "media_type": e.media_type,
                "sha256": e.sha256, "size": e.size, "attached_version": e.originator_version,
                "attached_on": occurred(e),
                "in_force": e.originator_version in in_force})
    return found


def clock_effects(events: list[JourneyEvent], on: date, policy: LocalPolicy = DEFAULT_POLICY
                  ) -> dict[int, tuple[ClockChange, ...]]:
    """Fold the effective events one by one and say which clocks each started or stopped.

    The reference: the current timeline reads the same from the journey's kept clock
    trail (``domain.clock_trail``; tests/integration/test_clock_trail.py holds them equal).
    """
    state = JourneyState()
    before: dict[tuple[str, str], ClockReading] = {}
    effects: dict[int, tuple[ClockChange, ...]] = {}
    for event in events:
        try:
            event.evolve(state)
        except RuleViolationError:
            continue  # kept as an anomaly by the fold; it changed nothing
        after = readings_by_key(state, on, policy)
        changes = clock_changes(before, after)
        if changes:
            effects[event.originator_version] = changes
        before = after
    return effects


class LogReader(Protocol):
    """Read a journey's stored events after a version, with their log positions."""

    def __call__(self, recorder: Any, child_id: UUID, *, after_version: int,
                 limit: int) -> Sequence[Notification]: ...


def journey_history(app: CaseTracking, child_id: UUID, *, actor: Any,
                    journey_notifications: LogReader, after: int = 0,
                    limit: int = 100, admitted: Callable[[], object] | None = None
                    ) -> dict[str, Any]:
    """Return the raw log in recorded order after version ``after``, with positions.
    ``admitted`` is called once the read's checks passed, before the page is read."""
    first = app.recorder.select_events(child_id, lte=1)
    if not first:
        raise ChildNotFoundError(child_id)
    registered = app.mapper.to_domain_event(first[0])
    if not isinstance(registered, ChildRegistered):
        raise ChildNotFoundError(child_id)
    access.check_may_read_history(actor, registered.authority, child_id=child_id,
                                  samples=InspectionSamples(app))
    if admitted is not None:
        admitted()
    limit = max(1, min(limit, MAX_HISTORY_PAGE))
    notifications = journey_notifications(app.recorder, child_id, after_version=max(after, 0),
                                          limit=limit + 1)
    more = len(notifications) > limit
    items = []
    for notification in notifications[:limit]:
        event = app.mapper.to_domain_event(notification)
        # The mapper is typed for any event protocol; this store's events are all
        # eventsourcing's DomainEvent, which carries the timestamp.
        assert isinstance(event, DomainEvent)
        items.append({
            "version": notification.originator_version, "position": notification.id,
            "topic": notification.topic, "type": type(event).__name__,
            "occurred_on": getattr(event, "occurred_on", None), "recorded_at": event.timestamp,
            "actor": event.actor.as_dict() if hasattr(event, "actor") else None,
            "request_id": getattr(event, "request_id", None),
            "hash": getattr(event, "hash", None), "prev_hash": getattr(event, "prev_hash", None),
            "stored_sha256": hashlib.sha256(notification.state).hexdigest(),
        })
    return {"child_id": str(child_id), "case_ref": registered.case_ref,
            "authority": registered.authority, "items": items,
            "next_after": items[-1]["version"] if more else None}
