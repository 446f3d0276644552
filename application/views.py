"""Plain-data views of a journey for callers outside the domain (no aggregates leak)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from domain.clocks import DEFAULT_POLICY, ClockReading, ClockStatus, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import JourneyState

# Values that are plain already: most of a payload, so tried first (a timeline makes
# thousands of these calls per read).
_SCALARS = frozenset({str, int, float, bool, type(None), date, datetime})


# The field names of each dataclass met (None: a type whose values are no dataclass
# instances): ``dataclasses.fields`` would build them again for every value.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def plain(value: Any) -> Any:
    """Return ``value`` as JSON-friendly data (dates stay dates for the schemas)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    try:
        names = _FIELD_NAMES[kind]
    except KeyError:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value)) \
            if dataclasses.is_dataclass(value) and not isinstance(value, type) else None
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def event_view(event: JourneyEvent) -> dict[str, Any]:
    """Return an event as recorded: type, dates, actor and its own fields."""
    return {
        "version": event.originator_version,
        "type": event.type_name,
        "occurred_on": event.occurred_on,
        "recorded_at": event.timestamp,
        "actor": event.actor.as_dict(),
        "reference_version": event.reference_version,
        "evidence": plain(event.evidence),
        "data": plain(event.payload()),
    }


def clock_view(reading: ClockReading) -> dict[str, Any]:
    """Return ``plain(reading.as_dict())``: ``as_dict`` is plain already (strings, dates,
    numbers, None under string keys), so it is given as it is, and walked by ``plain``
    only where a value is not (every write answers its journey's clocks; issue 17).
    tests/e2e/test_clock_views.py holds the two equal on both stores."""
    view = reading.as_dict()
    for value in view.values():
        if type(value) not in _SCALARS:
            return plain(view)
    return view


def next_due(clocks: list[ClockReading]) -> dict[str, Any] | None:
    """Return the open clock due soonest: what is due next."""
    open_clocks = [c for c in clocks if c.stopped_on is None and c.due_on is not None
                   and c.status in (ClockStatus.RUNNING, ClockStatus.LATE,
                                    ClockStatus.LATE_EXCEPTION_APPLIES)]
    if not open_clocks:
        return None
    return clock_view(min(open_clocks, key=lambda c: c.due_on or date.max))


# The state's parts a view answers under "episodes", in the state's field order.
EPISODE_PARTS = tuple(f.name for f in dataclasses.fields(JourneyState) if f.name not in (
    "child", "status", "stage", "last_event_on", "anomalies"))


def journey_view(
    child_id: object, version: int, state: JourneyState, clocks: list[ClockReading],
    *, as_at: date | None = None, known_at: datetime | None = None,
    part_view: Callable[[Any], Any] = plain,
) -> dict[str, Any]:
    """Return the journey's current (or replayed) state with its clocks.

    ``part_view`` gives ``plain`` of one part of the state (a caller may give what it
    kept for that very part: ``application.kept_views.PartViews``)."""
    assert state.child is not None
    parts = {name: part_view(getattr(state, name)) for name in EPISODE_PARTS}
    return {
        "child_id": str(child_id),
        "version": version,
        "authority": state.child.authority,
        "case_ref": state.child.case_ref,
        "date_of_birth": state.child.date_of_birth,
        "status": state.status,
        "stage": state.stage,
        "as_at": as_at,
        "known_at": known_at,
        "clocks": [clock_view(c) for c in clocks],
        "next_due": next_due(clocks),
        "anomalies": plain(state.anomalies),
        "episodes": parts,
    }


def journey_view_at(
    journey: ChildJourney, today: date, *, as_at: date | None = None,
    known_at: datetime | None = None, policy: LocalPolicy = DEFAULT_POLICY,
    part_view: Callable[[Any], Any] = plain,
) -> tuple[dict[str, Any], date]:
    """Return the journey's view at a point, with its clocks as they stood then, and the
    day those clocks were read on (``part_view``: as ``journey_view``'s)."""
    state = journey.state_at(as_at=as_at, known_at=known_at)
    on = as_at or (known_at.date() if known_at else today)
    readings = compute_clocks(state, on, policy=policy)
    return journey_view(journey.id, journey.version, state, readings,
                        as_at=as_at, known_at=known_at, part_view=part_view), on
