"""Projections of the journey log into the read models, exactly once.

- ``PollingSubscription`` follows an application recorder by polling
  ``select_notifications``; the ``Polling*ApplicationRecorder`` classes return it from
  ``subscribe()``, so one runner serves SQLite (which has no subscribe) and PostgreSQL.
- ``ReadModelView`` is an ``eventsourcing`` tracking recorder backed by SQLAlchemy: a
  projection writes its rows and the tracking record in one transaction, and a batch
  already tracked is skipped, so every event counts exactly once.
- ``CaseSummaryProjection`` and ``EventIndexProjection`` are ``eventsourcing.projection``
  ``Projection``s, written over ``JourneyEvent`` and the journey's folded state, never
  per event type.
- ``ReadModelRunner`` is a ``BaseProjectionRunner`` that feeds a projection in batches
  (one transaction per batch, one fold per journey per batch); ``EmbeddedRunners`` keeps
  both runners inside the server process in the embedded mode.
- A batch's journeys are folded from the batch's own events where it holds them from
  version 1, else from a journey folded in a recent batch, else from the store's events
  of every such journey read in one query (``JourneyStore.events_before``); the
  repository's one-at-a-time load is the last resort. Rows are written in bulk.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from uuid import UUID

import structlog
from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.projection import BaseProjectionRunner, Projection
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import (
    JSON,
    Connection,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from domain.catalogue.registration import EntryCorrected, EntryRetracted
from domain.clocks import compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.personal_data import STRUCTURED_CODES
from domain.state import JourneyState
from infrastructure.readmodels import (
    READ_MODEL_FILE,
    Base,
    CaseClock,
    CaseSummary,
    HealthWait,
    ProjectionTracking,
    ServiceRecord,
    make_engine,
)
from infrastructure.readmodels import EventIndex as EventIndexRow

logger = structlog.get_logger()

BATCH_SIZE = 500
# Catch-up and rebuild read further ahead than the live runner: fewer, larger commits.
CATCH_UP_BATCH_SIZE = 2000
# Journeys folded in recent batches, kept to fold the next batch's events onto.
RECENT_JOURNEYS = 500
# Ids per IN (...) list.
IN_CHUNK = 500
POLL_INTERVAL = 0.05
MAX_POLL_INTERVAL = 0.5


# Following the log by polling.


class PollingSubscription(Subscription[ApplicationRecorder]):
    """Yield notifications after ``gt``, polling the recorder when it is at the head."""

    def __init__(self, recorder: ApplicationRecorder, gt: int | None = None,
                 topics: Sequence[str] = (), *, batch_size: int = BATCH_SIZE,
                 interval: float = POLL_INTERVAL) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._batch_size = batch_size
        self._interval = interval
        self._buffer: list[Notification] = []
        self._stopped = threading.Event()

    def stop(self) -> None:
        super().stop()
        self._stopped.set()

    def next_batch(self) -> list[Notification]:
        """Return the next notifications in order, waiting for some; [] once stopped."""
        if self._buffer:
            batch, self._buffer = self._buffer, []
            return batch
        interval = self._interval
        while not self._stopped.is_set():
            batch = list(self._recorder.select_notifications(
                start=self._last_notification_id, limit=self._batch_size,
                topics=self._topics, inclusive_of_start=False))
            if batch:
                self._last_notification_id = batch[-1].id
                return batch
            self._stopped.wait(interval)
            interval = min(interval * 2, MAX_POLL_INTERVAL)
        return []

    def __next__(self) -> Notification:
        if not self._buffer:
            self._buffer = self.next_batch()
            if not self._buffer:
                raise StopIteration
        return self._buffer.pop(0)


class PollingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The SQLite application recorder, with a polling ``subscribe()``."""

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()
                  ) -> PollingSubscription:
        return PollingSubscription(self, gt=gt, topics=topics)


class PollingPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The PostgreSQL application recorder, polling too, so batches are the same shape."""

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()
                  ) -> PollingSubscription:  # type: ignore[override]
        return PollingSubscription(self, gt=gt, topics=topics)


def runner_env(event_store_env: Mapping[str, str]) -> dict[str, str]:
    """Return the event-store settings for a runner's own application (polling recorder)."""
    env = dict(event_store_env)
    recorder = (PollingPostgresApplicationRecorder
                if env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"
                else PollingSQLiteApplicationRecorder)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(recorder)
    env["CREATE_TABLE"] = "y"
    return env


# The read-model database.


@dataclass(frozen=True)
class ReadModelDatabase:
    """Where the read models live: a SQLAlchemy URL and, on PostgreSQL, a schema."""

    url: str
    schema: str | None = None

    @classmethod
    def beside(cls, database_url: str | None, data_dir: Path) -> ReadModelDatabase:
        """Return the read-model database beside the event store.

        SQLite: a file of its own in the data dir (the projection commits never wait for
        the event store's write lock). PostgreSQL: the same database and schema.
        """
        if not database_url or urlsplit(database_url).scheme in ("sqlite", "sqlite3"):
            return cls(f"sqlite:///{Path(data_dir) / READ_MODEL_FILE}")
        parts = urlsplit(database_url)
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", None)
        url = urlunsplit(parts._replace(scheme="postgresql+psycopg", query=urlencode(query)))
        return cls(url, unquote(schema) if schema else None)

    def engine(self) -> Engine:
        return make_engine(self.url, schema=self.schema)


# The view: a tracking recorder whose records commit with the read-model rows.


class ProjectionFault(Exception):
    """Raised by an injected fault before a projection's commit (tests only)."""


class ReadModelView(TrackingRecorder):
    """A tracking recorder over SQLAlchemy: rows and tracking commit together."""

    def __init__(self, engine: Engine, projection: str) -> None:
        self.engine = engine
        self.projection = projection
        # Called inside the transaction just before it commits; tests inject faults here.
        self.before_commit: Callable[[], None] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Open one write transaction (BEGIN IMMEDIATE on SQLite)."""
        with self.engine.connect().execution_options(casetrack_write=True) as conn, \
                conn.begin():
            yield conn
            if self.before_commit is not None:
                self.before_commit()

    def tracked(self, conn: Connection, application_name: str) -> int | None:
        """Return the tracked position, locking the row on PostgreSQL until commit."""
        stmt = select(ProjectionTracking.notification_id).where(
            ProjectionTracking.projection == self.projection,
            ProjectionTracking.application_name == application_name)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return conn.scalar(stmt)

    def track(self, conn: Connection, tracking: Tracking) -> None:
        upsert(conn, ProjectionTracking, [{
            "projection": self.projection, "application_name": tracking.application_name,
            "notification_id": tracking.notification_id}],
            keys=("projection", "application_name"))

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.transaction() as conn:
            self.track(conn, tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(ProjectionTracking.notification_id).where(
                ProjectionTracking.projection == self.projection,
                ProjectionTracking.application_name == application_name))


def among(conn: Connection, column: Any, values: Sequence[str]) -> Any:
    """``column IN values``: one array parameter on PostgreSQL (one statement text, so the
    driver prepares it once), an IN list on SQLite."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("among", list(values),
                                        type_=postgresql.ARRAY(String)))
    return column.in_(list(values))


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): COPY on PostgreSQL, executemany else.

    COPY writes in the connection's transaction, so the rows still commit with the
    tracking record. JSON values are serialised as SQLAlchemy's JSON type would (None
    as JSON null).
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    table = model.__table__
    columns = list(rows[0])
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]  # type: ignore[attr-defined]
    statement = "COPY {} ({}) FROM STDIN".format(
        conn.dialect.identifier_preparer.format_table(table),  # type: ignore[arg-type]
        ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if j else row[c]
                            for c, j in zip(columns, as_json, strict=True)])


def upsert(conn: Connection, model: type[Base], rows: list[dict[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert ``rows``, replacing any with the same ``keys`` (PostgreSQL and SQLite)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


# The projections.

JourneyLoader = Callable[[UUID, int], ChildJourney]
Item = tuple[Any, Tracking]


class ReadModelProjection(Projection[ReadModelView]):
    """A projection whose batches commit with their tracking record, skipping repeats.

    ``journeys(child_id, version)`` gives a projection the journey at a version. Set it
    to a loader (a ``JourneyStore``, or any such callable); during a batch it answers
    from journeys folded from the batch's events (see ``_fold_batch``), and calls the
    loader only for a journey it could not fold.
    """

    tables: ClassVar[tuple[type[Base], ...]] = ()

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self._loader: JourneyLoader | None = None
        self._batch: Sequence[tuple[JourneyEvent, Tracking]] = ()
        self._folded: dict[UUID, ChildJourney] | None = None
        self._recent: OrderedDict[UUID, ChildJourney] = OrderedDict()
        self.today: Callable[[], date] = date.today

    @property
    def journeys(self) -> JourneyLoader | None:
        """Return the journey at a version: folded from this batch where it can be."""
        return None if self._loader is None else self._journey

    @journeys.setter
    def journeys(self, loader: JourneyLoader | None) -> None:
        self._loader = loader
        self._recent.clear()

    def _journey(self, child_id: UUID, version: int) -> ChildJourney:
        if self._folded is None:
            self._folded = self._fold_batch(self._batch)
        journey = self._folded.get(child_id)
        if journey is not None and journey.version == version:
            return journey
        assert self._loader is not None
        return self._loader(child_id, version)

    def _fold_batch(self, items: Sequence[tuple[JourneyEvent, Tracking]]
                    ) -> dict[UUID, ChildJourney]:
        """Fold every journey the batch touches up to its last event in the batch.

        From the batch alone when it starts at version 1; onto the journey folded in a
        recent batch when that ends just before; else onto the journey's earlier events
        read from the store in one query for all such journeys (when the loader can).
        """
        events: dict[UUID, list[JourneyEvent]] = {}
        for event, _ in items:
            events.setdefault(event.originator_id, []).append(event)
        folded: dict[UUID, ChildJourney] = {}
        wanted: dict[UUID, int] = {}
        for child_id, batch in events.items():
            first, last = batch[0].originator_version, batch[-1].originator_version
            recent = self._recent.pop(child_id, None)
            if first == 1:
                folded[child_id] = _fold(None, batch)
            elif recent is not None and recent.version == first - 1:
                folded[child_id] = _fold(recent, batch)
            elif recent is not None and recent.version == last:
                folded[child_id] = recent  # folded already (a batch that did not commit)
            else:
                wanted[child_id] = first
        events_before = getattr(self._loader, "events_before", None)
        if wanted and events_before is not None:
            stored = events_before(wanted)
            for child_id, first in wanted.items():
                earlier = stored.get(child_id, [])
                if len(earlier) == first - 1:
                    folded[child_id] = _fold(None, [*earlier, *events[child_id]])
        for child_id, journey in folded.items():
            self._recent[child_id] = journey
        while len(self._recent) > RECENT_JOURNEYS:
            self._recent.popitem(last=False)
        return folded

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Project one event and track it (a batch of one)."""
        self.process_batch([(domain_event, tracking)])

    def process_batch(self, items: Sequence[Item]) -> int:
        """Project events in log order and track the last; return how many were new."""
        if not items:
            return 0
        with self.view.transaction() as conn:
            application_name = items[-1][1].application_name
            done = self.view.tracked(conn, application_name)
            fresh = [(e, t) for e, t in items if done is None or t.notification_id > done]
            if not fresh:
                return 0
            journey_items = [(e, t) for e, t in fresh if isinstance(e, JourneyEvent)]
            self._batch, self._folded = journey_items, None
            try:
                self.apply(conn, journey_items)
            finally:
                self._batch, self._folded = (), None
            self.view.track(conn, fresh[-1][1])
        return len(fresh)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        raise NotImplementedError

    def replace_children(self, conn: Connection,
                         items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        """Fold each child the batch touched once (at its last version in the batch) and
        replace that child's rows in every table with ``child_rows``: one DELETE per table
        and chunk of children, then the new rows in one COPY per table on PostgreSQL
        (executemany elsewhere), all in the batch's transaction."""
        latest: dict[UUID, tuple[int, int]] = {}
        for event, tracking in items:
            latest[event.originator_id] = (event.originator_version, tracking.notification_id)
        journeys = self.journeys
        assert journeys is not None, "the runner gives the projection its journeys"
        if not latest:
            return
        today = self.today()
        rows: dict[type[Base], list[dict[str, Any]]] = {table: [] for table in self.tables}
        for child_id, (version, position) in latest.items():
            for table, table_rows in self.child_rows(
                    journeys(child_id, version), position, today).items():
                rows[table].extend(table_rows)
        keys = [str(child_id) for child_id in latest]
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start:start + IN_CHUNK]
            for table in self.tables:
                conn.execute(delete(table).where(among(
                    conn, table.child_id, chunk)))  # type: ignore[attr-defined]
        for table in self.tables:
            insert_rows(conn, table, rows[table])

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        """One child's rows by table, for ``replace_children``."""
        raise NotImplementedError

    def clear(self, conn: Connection) -> None:
        """Delete every row of this projection and its tracking record (TRUNCATE on
        PostgreSQL: a rebuild of a million rows should not begin with a million deletes)."""
        for table in self.tables:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("TRUNCATE TABLE " + conn.dialect.identifier_preparer
                                     .format_table(table.__table__))  # type: ignore[arg-type]
            else:
                conn.execute(delete(table))
        conn.execute(delete(ProjectionTracking).where(
            ProjectionTracking.projection == self.view.projection))


class EventIndexProjection(ReadModelProjection):
    """One row per journey event: who, what, when it happened, when it was recorded."""

    name = "event_index"
    tables = (EventIndexRow,)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        if not items:
            return
        authorities = {str(e.originator_id): getattr(e, "authority", "") for e, _ in items
                       if e.originator_version == 1 and hasattr(e, "authority")}
        missing = {str(e.originator_id) for e, _ in items} - set(authorities)
        if missing:
            ids = sorted(missing)
            for start in range(0, len(ids), IN_CHUNK):
                authorities.update(conn.execute(select(
                    EventIndexRow.child_id, EventIndexRow.authority).where(
                    among(conn, EventIndexRow.child_id, ids[start:start + IN_CHUNK]),
                    EventIndexRow.version == 1)).all())
        rows = [event_index_row(e, t.notification_id, authorities.get(str(e.originator_id), ""))
                for e, t in items]
        # A correction marks what it corrects: in the batch's own rows when the target is
        # among them, else by one UPDATE per correction (executed as one executemany).
        corrected: dict[tuple[str, int], int] = {}
        for event, _ in items:
            if isinstance(event, EntryCorrected | EntryRetracted):
                corrected[(str(event.originator_id), event.target_version)] = \
                    event.originator_version
        for row in rows:
            row["corrected_by_version"] = corrected.get((row["child_id"], row["version"]))
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(EventIndexRow).on_conflict_do_nothing(), rows)
        in_batch = {(row["child_id"], row["version"]) for row in rows}
        earlier = [{"c": child, "v": version, "by": by}
                   for (child, version), by in corrected.items()
                   if (child, version) not in in_batch]
        if earlier:
            conn.execute(update(EventIndexRow).where(
                EventIndexRow.child_id == bindparam("c"),
                EventIndexRow.version == bindparam("v"),
            ).values(corrected_by_version=bindparam("by")), earlier)


class CaseSummaryProjection(ReadModelProjection):
    """A summary per child, its clocks, services and health waits, from the folded state."""

    name = "case_summaries"
    tables = (CaseSummary, CaseClock, ServiceRecord, HealthWait)

    def apply(self, conn: Connection, items: Sequence[tuple[JourneyEvent, Tracking]]) -> None:
        self.replace_children(conn, items)

    def child_rows(self, journey: ChildJourney, position: int, today: date
                   ) -> Mapping[type[Base], list[dict[str, Any]]]:
        rows = case_rows(journey, position, today)
        return {CaseSummary: [rows.summary], CaseClock: rows.clocks,
                ServiceRecord: rows.services, HealthWait: rows.health_waits}


PROJECTIONS: dict[str, type[ReadModelProjection]] = {
    p.name: p for p in (CaseSummaryProjection, EventIndexProjection)}


# Rows from events and folded state (generic over event types).


def event_index_row(event: JourneyEvent, position: int, authority: str) -> dict[str, Any]:
    corrects = event.target_version if isinstance(event, EntryCorrected | EntryRetracted) \
        else None
    kind = ("corrected" if isinstance(event, EntryCorrected) else "retracted") \
        if corrects is not None else None
    return {
        "position": position, "child_id": str(event.originator_id),
        "version": event.originator_version, "type": event.type_name,
        "authority": authority, "actor_user": event.actor.user_id,
        "actor_role": event.actor.role, "actor_organisation": event.actor.organisation,
        "responsible": str(type(event).recorded_by.value), "occurred_on": event.occurred_on,
        "recorded_at": _utc(event.timestamp), "corrects_version": corrects,
        "correction_kind": kind, "corrected_by_version": None,
        "request_id": event.request_id,
    }


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass
class CaseRows:
    summary: dict[str, Any]
    clocks: list[dict[str, Any]]
    services: list[dict[str, Any]]
    health_waits: list[dict[str, Any]]


def case_rows(journey: ChildJourney, position: int, today: date) -> CaseRows:
    """Return the read-model rows of one journey as it now stands."""
    from application.views import plain

    state = journey.state
    assert state.child is not None
    child_id, authority = str(journey.id), state.child.authority
    steps: dict[str, str] = {}
    for event in journey.log:
        steps.setdefault(event.type_name, event.occurred_on.isoformat())
    last = journey.log[-1]
    readings = compute_clocks(state, today)
    current = _current_placement(state)
    plan = state.plan.current
    needs = _need_codes(plain(state.plan.needs)
                        or plain(getattr(state.support, "needs", []) or []))
    assigned = state.governance.assignment
    summary = {
        "child_id": child_id, "authority": authority, "case_ref": state.child.case_ref,
        "date_of_birth": state.child.date_of_birth, "status": state.status,
        "stage": state.stage, "primary_need": _primary_need(needs), "needs": needs,
        "steps": steps,
        "clocks": [{"clock": r.clock, "episode": r.episode, "status": r.status.value,
                    "due_on": _iso(r.due_on), "stopped_on": _iso(r.stopped_on),
                    "responsible": r.responsible.value} for r in readings],
        "placement_type": current.sen_setting if current else None,
        "placement_ref": (current.urn or current.ukprn) if current else None,
        "plan_named_setting": plan.named_setting if plan else None,
        "plan_setting_type": plan.setting_type if plan else None,
        "plan_names_type_only": bool(plan and plan.setting_type and not plan.named_setting),
        # Who holds the case: the last CaseAssigned (issue 6), else the authority.
        "assigned_to": assigned.assigned_to if assigned else None,
        "assigned_organisation": assigned.assigned_organisation if assigned else authority,
        "last_recorded_by": last.actor.organisation,
        "last_event_on": state.last_event_on, "version": journey.version,
        "position": position,
    }
    clocks = [{"child_id": child_id, "clock": r.clock, "episode": r.episode,
               "authority": authority, "status": r.status.value, "started_on": r.started_on,
               "due_on": r.due_on, "stopped_on": r.stopped_on,
               "responsible": r.responsible.value, "exception_ground": r.exception_ground}
              for r in {(r.clock, r.episode): r for r in readings}.values()]
    return CaseRows(summary, clocks, _service_rows(state, child_id, authority),
                    _health_wait_rows(state, child_id, authority))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _need_codes(needs: list[Any]) -> list[Any]:
    """Keep each need's codes and rank; a description is sealed free text about the child,
    which a list across children neither opens nor needs (issue 6)."""
    return [{k: v for k, v in n.items() if k in STRUCTURED_CODES} if isinstance(n, dict)
            else n for n in needs]


def _primary_need(needs: list[dict[str, Any]]) -> str | None:
    ranked = sorted((n for n in needs if isinstance(n, dict)),
                    key=lambda n: n.get("rank") if isinstance(n.get("rank"), int) else 99)
    if not ranked:
        return None
    code = ranked[0].get("code") or ranked[0].get("need")
    return str(code) if code else None


def _current_placement(state: JourneyState) -> Any:
    open_placements = [p for p in state.plan.placements if p.end_on is None]
    return min(open_placements, key=lambda p: (p.rank, p.start_on)) if open_placements \
        else None


# Where services are kept in the folded state: (part, attribute, kind).
SERVICE_SOURCES = (("plan", "delivery", "provision_delivery"),
                   ("plan", "out_of_school", "out_of_school"),
                   ("budgets", "payments", "direct_payment"))
START_FIELDS = ("start_on", "period_from", "agreed_on", "referred_on", "requested_on")
END_FIELDS = ("end_on", "period_to", "stopped_on")


def _service_rows(state: JourneyState, child_id: str, authority: str) -> list[dict[str, Any]]:
    from application.views import plain

    rows = []
    for part, attribute, kind in SERVICE_SOURCES:
        for item in getattr(getattr(state, part, None), attribute, None) or ():
            data = plain(item)
            rows.append({"child_id": child_id, "record_id": str(data.get("id")),
                         "authority": authority, "kind": getattr(item, "kind", None) or kind,
                         "started_on": _first(item, START_FIELDS),
                         "ended_on": _first(item, END_FIELDS), "data": _json(data)})
    return rows


def _health_wait_rows(state: JourneyState, child_id: str, authority: str
                      ) -> list[dict[str, Any]]:
    from application.views import plain

    rows = []
    for referral in getattr(getattr(state, "health", None), "referrals", None) or ():
        referred_on = getattr(referral, "referred_on", None)
        ended_on = getattr(referral, "wait_ended_on", None)
        rows.append({"child_id": child_id, "record_id": str(referral.id),
                     "authority": authority, "service": str(getattr(referral, "service", "")),
                     "referred_on": referred_on, "wait_ended_on": ended_on,
                     "waited_days": (ended_on - referred_on).days
                     if ended_on and referred_on else None,
                     "data": _json(plain(referral))})
    return rows


def _first(item: Any, names: Sequence[str]) -> date | None:
    for name in names:
        value = getattr(item, name, None)
        if isinstance(value, date):
            return value
    return None


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# Loading journeys for projections.


def _fold(journey: ChildJourney | None, events: Sequence[JourneyEvent]) -> ChildJourney:
    """Apply ``events`` (the next versions, in order) to ``journey`` (None: from scratch)."""
    aggregate: Any = journey
    for event in events:
        aggregate = event.mutate(aggregate)
    assert isinstance(aggregate, ChildJourney)
    return aggregate


class JourneyStore:
    """A projection's journey loader: one journey at a version, or many journeys' events.

    Calling it loads one journey from the repository (snapshot and events: two round
    trips); ``events_before`` reads the stored events of many journeys in one query per
    ``IN_CHUNK`` journeys, for ``ReadModelProjection._fold_batch``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, child_id: UUID, version: int) -> ChildJourney:
        return self.app.repository.get(child_id, version=version)  # type: ignore[no-any-return]

    def events_before(self, wanted: Mapping[UUID, int]) -> dict[UUID, list[JourneyEvent]]:
        """Return each journey's events with versions below ``wanted[journey]``, in order."""
        found: dict[UUID, list[JourneyEvent]] = {}
        ids = list(wanted)
        for start in range(0, len(ids), IN_CHUNK):
            for stored in stored_events(self.app.recorder, ids[start:start + IN_CHUNK],
                                        below=max(wanted.values())):
                child_id = stored.originator_id
                assert isinstance(child_id, UUID)
                if stored.originator_version < wanted[child_id]:
                    found.setdefault(child_id, []).append(
                        self.app.mapper.to_domain_event(stored))
        return found


def stored_events(recorder: ApplicationRecorder, child_ids: Sequence[UUID], *, below: int
                  ) -> list[StoredEvent]:
    """Return the stored events of ``child_ids`` with versions below ``below``, in one query
    (ordered by journey and version)."""
    if not child_ids:
        return []
    if isinstance(recorder, SQLiteApplicationRecorder):
        marks = ",".join("?" * len(child_ids))
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                      f"FROM {recorder.events_table_name} WHERE originator_id IN ({marks}) "
                      "AND originator_version<? ORDER BY originator_id, originator_version",
                      (*(i.hex for i in child_ids), below))
            return [StoredEvent(originator_id=UUID(r["originator_id"]),
                                originator_version=r["originator_version"],
                                topic=r["topic"], state=r["state"]) for r in c.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.sql import SQL, Identifier

        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) AND originator_version < %s "
            "ORDER BY originator_id, originator_version").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement, (list(child_ids), below))
            return [StoredEvent(originator_id=r["originator_id"],
                                originator_version=r["originator_version"],
                                topic=r["topic"], state=bytes(r["state"]))
                    for r in c.fetchall()]
    raise TypeError(f"cannot read events from {type(recorder).__name__}")


# Running projections.


@cache
def _is_journey_topic(topic: str) -> bool:
    try:
        cls = resolve_topic(topic)
    except Exception:  # an unknown topic is not a journey event
        return False
    return isinstance(cls, type) and issubclass(cls, JourneyEvent)


class ReadModelRunner(BaseProjectionRunner[Any]):
    """Run one read-model projection in a thread, in batches, from its tracked position."""

    def __init__(self, *, application_class: type[Any], projection_class:
                 type[ReadModelProjection], engine: Engine, env: Mapping[str, str],
                 today: Callable[[], date] = date.today) -> None:
        self.view = ReadModelView(engine, projection_class.name)
        self.projection = projection_class(self.view)
        self.projection.today = today
        self.processed = 0
        super().__init__(projection=self.projection, application_class=application_class,
                         tracking_recorder=self.view, topics=(), env=runner_env(env))

    @staticmethod
    def _process_events_loop(subscription: Any, projection: Any, is_stopping: threading.Event,
                             runner: weakref.ReferenceType[Any]) -> None:
        """Feed the projection batches of the log, decoding journey events only."""
        try:
            owner = runner()
            assert owner is not None
            app, name = owner.app, owner.app_name
            del owner
            projection.journeys = JourneyStore(app)
            inner: PollingSubscription = subscription.subscription
            mapper = subscription.mapper
            while not is_stopping.is_set():
                notifications = inner.next_batch()
                if not notifications:
                    break
                items = [(mapper.to_domain_event(n) if _is_journey_topic(n.topic) else None,
                          Tracking(name, n.id)) for n in notifications]
                count = projection.process_batch(items)
                owner = runner()
                if owner is not None:
                    owner.processed += count
                del owner
        except BaseException as error:
            owner = runner()
            if owner is not None:
                owner._thread_error = error  # noqa: SLF001
            logger.exception("projection_failed", projection=projection.name)
        finally:
            is_stopping.set()

    def position(self) -> int:
        return self.view.max_tracking_id(self.app_name) or 0

    def close(self) -> BaseException | None:
        """Stop, wait for the threads, close the application; return any thread error."""
        self.stop()
        self._stop_thread.join()
        self._processing_thread.join()
        self.app.close()
        error, self._thread_error = self._thread_error, None
        return error


# Issue 7: the cohort read model registers itself in PROJECTIONS (before the runners).
import infrastructure.cohort  # noqa: E402, F401, I001


class EmbeddedRunners:
    """Both projections' runners, kept inside one process (the embedded server)."""

    def __init__(self, *, application_class: type[Any], event_store_env: Mapping[str, str],
                 database: ReadModelDatabase, upgrade: bool = True,
                 today: Callable[[], date] = date.today,
                 names: Sequence[str] = tuple(PROJECTIONS)) -> None:
        self.engine = database.engine()
        if upgrade:
            from infrastructure.migrations import upgrade as migrate

            migrate(self.engine)
        self.runners = {name: ReadModelRunner(
            application_class=application_class, projection_class=PROJECTIONS[name],
            engine=self.engine, env=event_store_env, today=today) for name in names}
        self._closed = False
        # The runners' threads are not daemons: stop them when the interpreter stops, even
        # if no one calls close() (threading's hook runs before it joins those threads).
        threading._register_atexit(self.close)  # type: ignore[attr-defined]  # noqa: SLF001

    def positions(self) -> dict[str, int]:
        return {name: runner.position() for name, runner in self.runners.items()}

    def wait(self, position: int, names: Sequence[str], timeout: float) -> bool:
        """Wait until the named projections have reached ``position``; say whether they did."""
        deadline = time.monotonic() + timeout
        interval = 0.01
        while not self._closed:
            if all(self.runners[n].position() >= position for n in names):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.1)
        return False  # closed: the read models will not move any more

    def errors(self) -> dict[str, BaseException]:
        return {n: r._thread_error for n, r in self.runners.items()  # noqa: SLF001
                if r._thread_error is not None}  # noqa: SLF001

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for runner in self.runners.values():
            runner.stop()
        for name, runner in self.runners.items():
            error = runner.close()
            if error is not None:  # already logged with its traceback by the thread
                logger.warning("projection_stopped_with_error", projection=name,
                               error_type=type(error).__name__)
        # The interpreter's exit hook keeps this object: let the closed runners (and their
        # stores) go now, while the interpreter is whole, not at its teardown.
        self.runners.clear()
        self.engine.dispose()


def rebuild(name: str, *, application_class: type[Any], event_store_env: Mapping[str, str],
            engine: Engine, today: Callable[[], date] = date.today,
            batch_size: int = CATCH_UP_BATCH_SIZE, until: int | None = None) -> int:
    """Clear one projection and project the whole log again, streaming; return its position.

    The clear commits first; the catch-up commits batch by batch, so a crash part way
    resumes from the last committed batch. ``until`` stops at that position (benchmarks).
    """
    view = ReadModelView(engine, name)
    projection = PROJECTIONS[name](view)
    projection.today = today
    with view.transaction() as conn:
        projection.clear(conn)
    return catch_up(projection, application_class=application_class,
                    event_store_env=event_store_env, batch_size=batch_size, until=until)


def catch_up(projection: ReadModelProjection, *, application_class: type[Any],
             event_store_env: Mapping[str, str], batch_size: int = CATCH_UP_BATCH_SIZE,
             until: int | None = None) -> int:
    """Project everything after the tracked position (up to ``until``, if given), in this
    thread, in batches of ``batch_size``; return the position reached."""
    app = application_class(env=runner_env(event_store_env))
    try:
        projection.journeys = JourneyStore(app)
        position = projection.view.max_tracking_id(app.name) or 0
        while True:
            notifications = app.recorder.select_notifications(
                start=position, limit=batch_size, stop=until, inclusive_of_start=False)
            if not notifications:
                return position
            projection.process_batch([
                (app.mapper.to_domain_event(n) if _is_journey_topic(n.topic) else None,
                 Tracking(app.name, n.id)) for n in notifications])
            position = notifications[-1].id
    finally:
        app.close()


def status(engine: Engine, application_name: str, head: int) -> list[dict[str, Any]]:
    """Return each projection's position, and how far behind the log's head it is."""
    with engine.connect() as conn:
        tracked = dict(conn.execute(select(
            ProjectionTracking.projection, ProjectionTracking.notification_id).where(
            ProjectionTracking.application_name == application_name)).all())
    return [{"projection": name, "position": tracked.get(name, 0), "head": head,
             "behind": head - tracked.get(name, 0)} for name in PROJECTIONS]


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) or 0
                for t in (CaseSummary, CaseClock, EventIndexRow, ServiceRecord, HealthWait)}


# Reading one journey's stored events with their log positions.


def journey_notifications(recorder: ApplicationRecorder, child_id: UUID, *,
                          after_version: int, limit: int) -> list[Notification]:
    """Return a journey's stored events after ``after_version`` with their positions."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, * FROM {recorder.events_table_name} "  # noqa: S608
                      "WHERE originator_id=? AND originator_version>? "
                      "ORDER BY originator_version LIMIT ?",
                      (child_id.hex, after_version, limit))
            return [Notification(id=r["rowid"], originator_id=child_id,
                                 originator_version=r["originator_version"],
                                 topic=r["topic"], state=r["state"]) for r in c.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.sql import SQL, Identifier

        statement = SQL(
            "SELECT notification_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id=%s AND originator_version>%s "
            "ORDER BY originator_version LIMIT %s").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(statement, (child_id, after_version, limit))
            return [Notification(id=r["notification_id"], originator_id=child_id,
                                 originator_version=r["originator_version"], topic=r["topic"],
                                 state=bytes(r["state"])) for r in c.fetchall()]
    raise TypeError(f"cannot read positions from {type(recorder).__name__}")
