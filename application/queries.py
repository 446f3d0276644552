"""Read-side use cases across children: list and filter journeys, query the audit trail.

They answer from read models (``ReadModels``, implemented in infrastructure), take and
return plain data, and say which log position their answer reflects. A caller that has
just written passes ``consistent_after`` and gets an answer that includes its write,
or ``ReadModelsBehindError`` after a bounded wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from application.errors import ApplicationError, ForbiddenError
from domain.actors import Actor

CASE_SUMMARIES = "case_summaries"
EVENT_INDEX = "event_index"
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
CONSISTENCY_TIMEOUT = 5.0

# SEN2 age groups, in whole years on the day asked about.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "under-5": (0, 4), "5-10": (5, 10), "11-15": (11, 15), "16-19": (16, 19),
    "20-25": (20, 25),
}

LIST_ROLES = frozenset({"caseworker", "manager"})
AUDIT_ROLES = frozenset({"auditor", "manager"})


class ReadModelsBehindError(ApplicationError):
    """Raised when the read models did not reach a position within the bounded wait."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(f"the read models are at position {reached}, not yet {wanted}")
        self.wanted = wanted
        self.reached = reached


class PositionNotWrittenError(ApplicationError):
    """Raised when a caller waits for a log position the log has not reached."""

    def __init__(self, wanted: int, head: int) -> None:
        super().__init__(f"position {wanted} is past the end of the log ({head})")
        self.wanted = wanted
        self.head = head


@dataclass(frozen=True)
class ChildFilter:
    """What a list of children is narrowed to; every field optional but ``authority``."""

    authority: str
    stage: str | None = None
    primary_need: str | None = None
    age_band: str | None = None
    overdue_clock: str | None = None  # a clock id, or "any"
    placement_type: str | None = None
    plan_names_type_only: bool | None = None
    case_ref: str | None = None
    assigned_to: str | None = None  # the staff user id the case is assigned to
    after: str | None = None  # keyset: the last child id of the previous page
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class EventFilter:
    """What an audit query is narrowed to; ``authority`` None means every authority."""

    authority: str | None = None
    actor: str | None = None
    role: str | None = None
    organisation: str | None = None
    type: str | None = None
    child_id: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    corrections_only: bool = False
    after: int | None = None  # keyset: the last position of the previous page
    limit: int | None = DEFAULT_LIMIT


class ReadModels(Protocol):
    """What the read side needs from the read-model store."""

    def position(self, projection: str) -> int: ...

    def wait(self, position: int, projections: tuple[str, ...], timeout: float) -> bool: ...

    def children(self, where: ChildFilter, today: date) -> list[dict[str, Any]]: ...

    def events(self, where: EventFilter) -> Iterator[dict[str, Any]]: ...


# Access: who may ask questions across children (to join application/access.py).


def check_may_list(actor: Actor, authority: str) -> None:
    """Allow local-authority staff to list their own authority's children."""
    if actor.role not in LIST_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not list journeys")
    if actor.organisation != authority:
        raise ForbiddenError("staff list their own authority's journeys only")


def audit_scope(actor: Actor) -> str | None:
    """Return the authority an actor's audit queries are limited to (None: every one).

    Auditors see every authority; managers see their own authority's events.
    """
    if actor.role not in AUDIT_ROLES:
        raise ForbiddenError(f"role {actor.role!r} may not query the audit trail")
    return None if actor.role == "auditor" else actor.organisation


# Use cases.


def ensure_reached(store: ReadModels, position: int | None, projections: tuple[str, ...],
                   head: Callable[[], int] | None = None,
                   timeout: float = CONSISTENCY_TIMEOUT) -> int:
    """Wait (bounded) until ``projections`` reach ``position``; return where they stand.

    A position past the log's ``head`` was never written: refused without waiting.
    """
    if position is not None and head is not None:
        written = head()
        if position > written:
            raise PositionNotWrittenError(position, written)
    if position is not None and not store.wait(position, projections, timeout):
        raise ReadModelsBehindError(position, min(store.position(p) for p in projections))
    return min(store.position(p) for p in projections)


def list_children(store: ReadModels, *, actor: Actor, where: ChildFilter, today: date,
                  consistent_after: int | None = None,
                  head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return a page of an authority's children, the next cursor and the position."""
    check_may_list(actor, where.authority)
    if where.age_band is not None and where.age_band not in AGE_BANDS:
        raise ValueError(f"age_band must be one of {', '.join(AGE_BANDS)}")
    position = ensure_reached(store, consistent_after, (CASE_SUMMARIES,), head)
    limit = max(1, min(where.limit, MAX_LIMIT))
    rows = store.children(replace(where, limit=limit + 1), today)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_after": rows[-1]["child_id"] if more else None,
            "position": position}


def audit_events(store: ReadModels, *, actor: Actor, where: EventFilter,
                 consistent_after: int | None = None,
                 head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return a page of events across children, the next cursor and the position."""
    where = replace(where, authority=audit_scope(actor))
    position = ensure_reached(store, consistent_after, (EVENT_INDEX,), head)
    limit = max(1, min(where.limit or DEFAULT_LIMIT, MAX_LIMIT))
    rows = list(store.events(replace(where, limit=limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_after": rows[-1]["position"] if more else None,
            "position": position}


def stream_audit_events(store: ReadModels, *, actor: Actor, where: EventFilter,
                        consistent_after: int | None = None,
                        head: Callable[[], int] | None = None
                        ) -> tuple[int, Iterator[dict[str, Any]]]:
    """Return the position and every matching event (up to ``where.limit``), streamed."""
    where = replace(where, authority=audit_scope(actor))
    position = ensure_reached(store, consistent_after, (EVENT_INDEX,), head)
    return position, store.events(where)
