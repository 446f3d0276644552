"""Personal identifiers in what auditors read: stable pseudonyms unless a purpose unlocks them.

An auditor who states no lawful purpose (``application.purposes``) sees every personal
identifier in the audit trail, the access log and a journey's
history as a pseudonym: staff user ids and the child's case reference, each replaced by
an HMAC under one key, so the same person is always the same pseudonym and filtering by
it works. With a purpose, staff are named and the child's identifiers from the vault are
shown with the history; the look is recorded with that purpose (web/security.py).

The pseudonyms are put on the rows *after* the queries (application.queries and
application.history stay as they are): an answer is named, never re-queried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from application import access
from application.queries import MAX_LIMIT, EventFilter, audit_events, stream_audit_events
from domain.actors import Actor

PSEUDONYM_PREFIX = "pseudo-"
# Roles shown a child's vault identifiers with its history once the reader is entitled to
# names: an auditor with a stated purpose, and a manager (who can export them anyway).
HISTORY_IDENTIFIER_ROLES = frozenset({"auditor", "manager"})


@dataclass(frozen=True)
class Naming:
    """How one answer names people: in clear, or by stable pseudonyms under ``key``."""

    in_clear: bool
    key: bytes

    @classmethod
    def for_reader(cls, actor: Actor, purpose: str | None, key: bytes) -> Naming:
        return cls(access.unlocks_identifiers(actor, purpose), key)

    @property
    def label(self) -> str:
        """Return what the answer says of itself: ``clear`` or ``pseudonymised``."""
        return "clear" if self.in_clear else "pseudonymised"

    def pseudonym(self, value: str) -> str:
        return access.pseudonym(value, self.key)

    def name(self, value: str | None) -> str | None:
        """Return ``value`` as this answer shows it."""
        if value is None or self.in_clear:
            return value
        return self.pseudonym(value)

    def actor(self, actor: dict[str, Any] | None) -> dict[str, Any] | None:
        """Return a recorded actor with its user id as this answer shows it."""
        if actor is None:
            return None
        return {**actor, "user_id": self.name(actor.get("user_id"))}


def is_pseudonym(value: str | None) -> bool:
    return value is not None and value.startswith(PSEUDONYM_PREFIX)


def named_rows(rows: Iterator[dict[str, Any]], naming: Naming) -> Iterator[dict[str, Any]]:
    """Yield audit rows with their actors named as ``naming`` says."""
    for row in rows:
        yield {**row, "actor": naming.actor(row["actor"])}


# The audit trail (GET /audit/events).

def audit_page(store: Any, *, actor: Actor, where: EventFilter, naming: Naming,
               consistent_after: int | None = None,
               head: Callable[[], int] | None = None) -> dict[str, Any]:
    """Return a page of the audit trail named as ``naming`` says.

    ``where.actor`` may be a user id or its pseudonym. A pseudonym cannot be asked of the
    query, so the pages are read without it and filtered here: slower on a large trail
    (a linear scan of the caller's scope), but nothing is reversed.
    """
    if not is_pseudonym(where.actor):
        page = audit_events(store, actor=actor, where=where,
                            consistent_after=consistent_after, head=head)
        return {**page, "items": list(named_rows(iter(page["items"]), naming)),
                "identifiers": naming.label}
    wanted, limit = where.actor, max(1, min(where.limit or 50, MAX_LIMIT))
    scan = replace(where, actor=None, limit=MAX_LIMIT)
    items: list[dict[str, Any]] = []
    position: int | None = None
    while True:
        page = audit_events(store, actor=actor, where=scan, head=head,
                            consistent_after=consistent_after if position is None else None)
        position = page["position"] if position is None else position
        for row in page["items"]:
            if naming.pseudonym(row["actor"]["user_id"]) != wanted:
                continue
            if len(items) == limit:
                return {"items": list(named_rows(iter(items), naming)),
                        "next_after": items[-1]["position"], "position": position,
                        "identifiers": naming.label}
            items.append(row)
        if page["next_after"] is None:
            return {"items": list(named_rows(iter(items), naming)), "next_after": None,
                    "position": position, "identifiers": naming.label}
        scan = replace(scan, after=page["next_after"])


def audit_stream(store: Any, *, actor: Actor, where: EventFilter, naming: Naming,
                 consistent_after: int | None = None,
                 head: Callable[[], int] | None = None
                 ) -> tuple[int, Iterator[dict[str, Any]]]:
    """Return the position and every matching row (up to ``where.limit``), named."""
    if not is_pseudonym(where.actor):
        position, rows = stream_audit_events(store, actor=actor, where=where,
                                             consistent_after=consistent_after, head=head)
        return position, named_rows(rows, naming)
    position, rows = stream_audit_events(store, actor=actor,
                                         where=replace(where, actor=None, limit=None),
                                         consistent_after=consistent_after, head=head)
    wanted, limit = where.actor, where.limit

    def matching() -> Iterator[dict[str, Any]]:
        count = 0
        for row in rows:
            if limit is not None and count >= limit:
                return
            if naming.pseudonym(row["actor"]["user_id"]) == wanted:
                count += 1
                yield row

    return position, named_rows(matching(), naming)


# A journey's history (GET /children/{id}/history).

def named_history(history: dict[str, Any], *, reader: Actor, naming: Naming,
                  identifiers: Callable[[UUID], dict[str, str] | None]) -> dict[str, Any]:
    """Return a journey's history (``application.history.journey_history``) with its staff
    and child named as ``naming`` says.

    ``identifiers`` reads the child's identifiers from the vault (None once erased); it
    is asked only when the reader is entitled to names.
    """
    named = {k: v for k, v in history.items() if k not in ("case_ref", "authority")}
    if naming.in_clear and reader.role == "auditor":
        access.check_may_see_child_identifiers(reader, history["authority"])
    child: dict[str, Any] = {"case_ref": naming.name(history.get("case_ref")),
                             "identifiers": None}
    if naming.in_clear and reader.role in HISTORY_IDENTIFIER_ROLES:
        child["identifiers"] = identifiers(UUID(history["child_id"]))
    items = [{**item, "actor": naming.actor(item.get("actor"))} for item in history["items"]]
    return {**named, "items": items, "child": child, "identifiers": naming.label}
