"""Every look at a child's record, recorded: who, role, organisation, purpose and when.

The access log is its own event-sourced application (``AccessLog``), with its own
store beside the journeys' (a second SQLite file; a second table in PostgreSQL), so
reads never move the journeys' log and the journeys' projections never see them. Each
look is one ``AccessRecord`` aggregate of one event: appends never contend. Looks recorded
at once by concurrent readers commit together, in one transaction
(``application.commit_groups``), and each reader goes on only once its own look is
committed. See docs/decisions/0005-access-audit.md and docs/security.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application, Recording
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic

from application import access
from application.commit_groups import CommitGroup
from application.pseudonyms import Naming
from application.purposes import MAX_PURPOSE_LENGTH
from application.tracking import CaseTracking
from application.transcodings import register_domain_transcodings
from domain.actors import Actor

# What was looked at: the kinds of read that show a child's record.
# "contacts": a family's contact details exported for the inspectorate's survey
# (application.send_list.survey_contacts).
# "document" / "document-upload": a document attached to an event downloaded / uploaded.
READ_KINDS = ("state", "journey", "history", "export", "integrity", "bundle", "contacts",
              "report", "document", "document-upload")
# A query of the access log itself, recorded with its purpose (it may unlock identifiers).
ACCESS_LOG_QUERY = "access-log"
SCAN_BATCH = 500
MAX_LIMIT = 500


class AccessRecord(Aggregate):
    """One look at one child's record."""

    class Recorded(Aggregate.Created):
        """A look: version 2 adds the inspection an inspector read under (issue 12)."""

        child_id: UUID | None
        kind: str
        actor: Actor
        purpose: str | None
        request_id: str | None
        route: str | None
        inspection_id: UUID | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["inspection_id"] = None

    @event(Recorded)
    def __init__(self, child_id: UUID | None, kind: str, actor: Actor, purpose: str | None,
                 request_id: str | None, route: str | None,
                 inspection_id: UUID | None = None) -> None:
        self.child_id = child_id
        self.kind = kind
        self.actor = actor
        self.purpose = purpose
        self.request_id = request_id
        self.route = route
        self.inspection_id = inspection_id


RECORDED_TOPIC = get_topic(AccessRecord.Recorded)


@dataclass(frozen=True)
class AccessFilter:
    """Which looks to answer with: by child, by actor, by period (recorded time)."""

    child_id: UUID | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int = 100


class LookIndex(Protocol):
    """Looks projected into an indexed table (infrastructure.access_index.SQLAccessIndex)."""

    def high_water(self) -> int: ...

    def add(self, rows: Iterable[dict[str, Any]]) -> None: ...

    def looks(self, *, child_id: UUID | None, user_id: str | None, since: datetime | None,
              until: datetime | None, after: int) -> Iterator[dict[str, Any]]: ...

    def user_ids(self) -> list[str]: ...

    def close(self) -> None: ...


class AccessLog(Application):
    """The append-only log of looks at children's records."""

    name = "casetrack_access"

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 index: LookIndex | None = None) -> None:
        super().__init__(env)
        # Without an index, queries scan the log (docs/decisions/0005-access-audit.md).
        self.index = index
        # Through the attribute, so a ``save`` replaced later (a test's failing store) is
        # the one the groups use.
        self._group = CommitGroup(lambda *records: self.save(*records))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:
        """Save as ``CaseTracking.save`` does (one definition of it): each look's event
        collected without the library's ``typing.Protocol`` isinstance checks, the same
        events stored as ``Application.save`` stores (tests/application/test_typed_save.py)."""
        return CaseTracking.save(self, *objs, **kwargs)  # type: ignore[arg-type]

    def record(self, child_id: UUID | None, *, kind: str, actor: Actor, purpose: str | None = None,
               request_id: str | None = None, route: str | None = None,
               inspection_id: UUID | None = None) -> int:
        """Record one look durably; return its position in the access log once committed
        (with the looks other threads are recording at the same moment)."""
        if kind not in (*READ_KINDS, ACCESS_LOG_QUERY):
            raise ValueError(f"kind must be one of {', '.join(READ_KINDS)}")
        record = AccessRecord(child_id=child_id, kind=kind, actor=actor,
                              purpose=_clean_purpose(purpose), request_id=request_id,
                              route=route, inspection_id=inspection_id)
        return self._group.commit(record)

    def looks(self, where: AccessFilter) -> Iterator[dict[str, Any]]:
        """Yield the looks matching ``where`` in recorded order, after position ``after``.

        With an index, a query by child, actor or period reads the index (caught up from
        the log first); otherwise, or when nothing narrows it, the log is scanned.
        """
        if self.index is not None and (where.child_id is not None or where.actor is not None
                                       or where.since is not None or where.until is not None):
            self.catch_up()
            yield from self.index.looks(child_id=where.child_id, user_id=where.actor,
                                        since=where.since, until=where.until,
                                        after=where.after)
            return
        yield from self.scan(where)

    def scan(self, where: AccessFilter) -> Iterator[dict[str, Any]]:
        """Yield the looks matching ``where`` by reading the whole log after ``after``."""
        start = where.after
        while True:
            batch = self.recorder.select_notifications(
                start, SCAN_BATCH, topics=[RECORDED_TOPIC], inclusive_of_start=False)
            for notification in batch:
                look = self.mapper.to_domain_event(notification)
                row = _row(notification.id, look)
                if _matches(row, where):
                    yield row
            if len(batch) < SCAN_BATCH:
                return
            start = batch[-1].id

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def catch_up(self) -> int:
        """Project the looks not yet in the index into it; return how many were added."""
        if self.index is None:
            return 0
        added = 0
        start = self.index.high_water()
        while True:
            batch = self.recorder.select_notifications(
                start, SCAN_BATCH, topics=[RECORDED_TOPIC], inclusive_of_start=False)
            self.index.add(_row(n.id, self.mapper.to_domain_event(n)) for n in batch)
            added += len(batch)
            if len(batch) < SCAN_BATCH:
                return added
            start = batch[-1].id

    def user_ids(self) -> list[str] | None:
        """Return every user id that looked, when the index can tell (else None)."""
        if self.index is None:
            return None
        self.catch_up()
        return self.index.user_ids()

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
        super().close()


def who_looked(log: AccessLog, *, actor: Actor, where: AccessFilter, purpose: str | None,
               pseudonym_key: bytes) -> dict[str, Any]:
    """Answer "who looked at this child's record?": a page of looks, oldest first.

    An auditor sees staff identifiers as stable pseudonyms unless a purpose is stated;
    filtering by actor accepts either the identifier or its pseudonym.
    """
    access.check_may_read_access_log(actor)
    naming = Naming.for_reader(actor, purpose, pseudonym_key)
    limit = max(1, min(where.limit, MAX_LIMIT))
    items: list[dict[str, Any]] = []
    more = False
    wanted = where.actor
    known = log.user_ids() if wanted is not None else None
    if known is not None:
        # The index knows every user: filter by the user id the pseudonym stands for.
        wanted = next((u for u in known if wanted in (u, naming.pseudonym(u))), None)
        if wanted is None:
            return {"items": [], "next_after": None, "identifiers": naming.label}
    scan = AccessFilter(where.child_id, wanted if known is not None else None, where.since,
                        where.until, where.after, limit)
    for row in log.looks(scan):
        user = row["actor"]["user_id"]
        if wanted is not None and wanted not in (user, naming.pseudonym(user)):
            continue
        if len(items) == limit:
            more = True
            break
        items.append({**row, "actor": naming.actor(row["actor"])})
    return {"items": items, "next_after": items[-1]["position"] if more else None,
            "identifiers": naming.label}


def _row(position: int, look: Any) -> dict[str, Any]:
    return {"position": position, "child_id": look.child_id, "kind": look.kind,
            "actor": look.actor.as_dict(), "purpose": look.purpose,
            "request_id": look.request_id, "route": look.route,
            "inspection_id": look.inspection_id, "at": look.timestamp}


def _matches(row: dict[str, Any], where: AccessFilter) -> bool:
    if where.child_id is not None and row["child_id"] != where.child_id:
        return False
    if where.actor is not None and row["actor"]["user_id"] != where.actor:
        return False
    if where.since is not None and row["at"] < where.since:
        return False
    return where.until is None or row["at"] < where.until


def _clean_purpose(purpose: str | None) -> str | None:
    if purpose is None or not purpose.strip():
        return None
    if len(purpose) > MAX_PURPOSE_LENGTH:  # the edge refuses these; never cut one here
        raise ValueError(f"a purpose is at most {MAX_PURPOSE_LENGTH} characters")
    return purpose.strip()
