"""The base of every read-model projection: batches folded into journeys, rows in bulk.

A batch's journeys are folded from the batch's own events where it holds them from
version 1, else from a journey folded in a recent batch, else from the store's events of
every such journey read in one query (``JourneyStore.events_before``); the repository's
one-at-a-time load is the last resort. Rows are written in bulk.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar
from uuid import UUID

import structlog
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteApplicationRecorder
from sqlalchemy import (
    Connection,
    delete,
)

from domain.clocks import DEFAULT_POLICY, ClockReading, LocalPolicy, compute_clocks
from domain.events import JourneyEvent
from domain.journey import ChildJourney
from domain.state import JourneyState
from infrastructure.readmodels import (
    Base,
    ProjectionTracking,
)
from infrastructure.tracking import ReadModelView, delete_children, insert_rows

logger = structlog.get_logger()

# Journeys folded in recent batches, kept to fold the next batch's events onto.
RECENT_JOURNEYS = 500
# Ids per IN (...) list.
IN_CHUNK = 500


# The projections.

JourneyLoader = Callable[[UUID, int], ChildJourney]
Item = tuple[Any, Tracking]


@lru_cache(maxsize=2 * RECENT_JOURNEYS)
def child_key(child_id: UUID) -> str:
    """Return a child's id as every read model keys its rows (``str``), made once for
    the children of recent batches: each projection's rows of a child name it, and
    ``UUID.__str__`` (Python) costs ten times this lookup."""
    return str(child_id)


class JourneyFolds:
    """Journeys folded from a batch's events, for every projection fed that batch.

    ``journey(child_id, version)`` answers from the batch's folds (``fold_batch``, made
    on the first question) and asks the loader only for a journey it could not fold.
    A runner feeding several projections the same batch holds it open around them all
    (``batch``), so the batch is folded once for all of them; a projection fed alone
    opens its own.
    """

    def __init__(self) -> None:
        self.loader: JourneyLoader | None = None
        self._batch: Sequence[tuple[JourneyEvent, Tracking]] = ()
        self._folded: dict[UUID, ChildJourney] | None = None
        self._held = False
        self._recent: OrderedDict[UUID, ChildJourney] = OrderedDict()
        # Each folded journey's state before the batch (None: it starts in the batch)
        # and after each of its events in it, by version (the outbox reads them).
        self._states: dict[UUID, dict[int, JourneyState | None]] = {}
        # compute_clocks of a state on a day under a policy, asked for by several
        # projections of one batch (and of the next, for the states it ended with): by
        # the state's identity (the state kept with it, so the identity is not reused).
        self._readings: dict[tuple[int, date, LocalPolicy],
                             tuple[JourneyState, list[ClockReading]]] = {}

    def set_loader(self, loader: JourneyLoader | None) -> None:
        self.loader = loader
        self._recent.clear()

    @contextmanager
    def batch(self, items: Sequence[tuple[Any, Tracking]]) -> Iterator[None]:
        """Answer from ``items``' folds until the block ends (already held: from the
        holder's batch, which ends with the same events)."""
        if self._held:
            yield
            return
        self._batch = [(e, t) for e, t in items if isinstance(e, JourneyEvent)]
        self._folded, self._held = None, True
        try:
            yield
        finally:
            self._batch, self._folded, self._held = (), None, False
            # The readings of each journey's state at the batch's end are kept: the next
            # batch's outbox reads them again, as the state before its events.
            ends = {id(states[max(states)]) for states in self._states.values()}
            self._states = {}
            self._readings = {key: kept for key, kept in self._readings.items()
                              if key[0] in ends}

    def journey(self, child_id: UUID, version: int) -> ChildJourney:
        if self._folded is None:
            self._folded = self.fold_batch(self._batch)
        journey = self._folded.get(child_id)
        if journey is not None and journey.version == version:
            return journey
        assert self.loader is not None
        return self.loader(child_id, version)

    def states(self, journey: ChildJourney) -> Mapping[int, JourneyState | None] | None:
        """The journey's state before the batch and after each of its events in it, by
        version, when this batch folded it (else None)."""
        if self._folded is None or self._folded.get(journey.id) is not journey:
            return None
        return self._states.get(journey.id)

    def readings(self, state: JourneyState, today: date, policy: LocalPolicy
                 ) -> list[ClockReading]:
        """``compute_clocks(state, today, policy=policy)``, computed once in a batch for
        every projection that asks (a folded state is never changed)."""
        key = (id(state), today, policy)
        kept = self._readings.get(key)
        if kept is None or kept[0] is not state:
            kept = (state, compute_clocks(state, today, policy=policy))
            if self._held:
                self._readings[key] = kept
        return list(kept[1])

    def _fold_into(self, folded: dict[UUID, ChildJourney], child_id: UUID,
                   journey: ChildJourney | None, events: Sequence[JourneyEvent]) -> None:
        """Fold ``events`` onto ``journey`` into ``folded``, keeping the state after each
        (``states``); a journey with a version missing is left out, for the loader to
        find damaged one child at a time."""
        states: dict[int, JourneyState | None] = {
            events[0].originator_version - 1: journey.state if journey else None}
        aggregate: Any = journey
        try:
            for event in events:
                aggregate = event.mutate(aggregate)
                assert isinstance(aggregate, ChildJourney)
                states[event.originator_version] = aggregate.state
        except OriginatorVersionError:
            return
        folded[child_id] = aggregate
        self._states[child_id] = states

    def fold_batch(self, items: Sequence[tuple[JourneyEvent, Tracking]]
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
                self._fold_into(folded, child_id, None, batch)
            elif recent is not None and recent.version == first - 1:
                self._fold_into(folded, child_id, recent, batch)
            elif recent is not None and recent.version == last:
                folded[child_id] = recent  # folded already (a batch that did not commit)
            else:
                wanted[child_id] = first
        events_before = getattr(self.loader, "events_before", None)
        if wanted and events_before is not None:
            stored = events_before(wanted)
            for child_id, first in wanted.items():
                earlier = stored.get(child_id, [])
                if len(earlier) != first - 1:
                    continue
                try:
                    journey = _fold(None, earlier)
                except OriginatorVersionError:
                    continue
                self._fold_into(folded, child_id, journey, events[child_id])
        for child_id, journey in folded.items():
            self._recent[child_id] = journey
        while len(self._recent) > RECENT_JOURNEYS:
            self._recent.popitem(last=False)
        return folded


class ReadModelProjection(Projection[ReadModelView]):
    """A projection whose batches commit with their tracking record, skipping repeats.

    ``journeys(child_id, version)`` gives a projection the journey at a version. Set it
    to a loader (a ``JourneyStore``, or any such callable); during a batch it answers
    from journeys folded from the batch's events (``JourneyFolds``, which a runner may
    share between the projections it feeds), and calls the loader only for a journey it
    could not fold.
    """

    tables: ClassVar[tuple[type[Base], ...]] = ()

    def __init__(self, view: ReadModelView) -> None:
        super().__init__(view)
        self.folds = JourneyFolds()
        self.today: Callable[[], date] = date.today
        # The authority's local readings (K7A, K7U), as the service was configured.
        self.policy: LocalPolicy = DEFAULT_POLICY
        # Journeys found damaged (a stored version missing), with the version asked.
        self.damaged: dict[UUID, int] = {}

    @property
    def journeys(self) -> JourneyLoader | None:
        """Return the journey at a version: folded from this batch where it can be."""
        return None if self.folds.loader is None else self.folds.journey

    @journeys.setter
    def journeys(self, loader: JourneyLoader | None) -> None:
        self.folds.set_loader(loader)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Project one event and track it (a batch of one)."""
        self.process_batch([(domain_event, tracking)])

    def process_batch(self, items: Sequence[Item]) -> int:
        """Project events in log order and track the last; return how many were new."""
        if not items:
            return 0
        with self.view.transaction() as conn:
            done = self.view.tracked(conn, items[-1][1].application_name)
            count = self.project(conn, items, done)
            if count:
                self.view.track(conn, items[-1][1])
        return count

    def project(self, conn: Connection, items: Sequence[Item], done: int | None) -> int:
        """Apply the events after position ``done`` in ``conn``'s transaction, without
        tracking them (the caller tracks the last item with them); return how many."""
        if not items:
            return 0
        if done is None or items[0][1].notification_id > done:  # the usual batch: all new
            fresh = items
        else:
            fresh = [(e, t) for e, t in items if t.notification_id > done]
        if not fresh:
            return 0
        journey_items = [(e, t) for e, t in fresh if isinstance(e, JourneyEvent)]
        with self.folds.batch(journey_items):
            self.apply(conn, journey_items)
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
            try:
                journey = journeys(child_id, version)
            except OriginatorVersionError as gap:
                # A version missing from the store (issue 12.12): the journey fails its
                # integrity check. Record the damage, drop the child's rows here rather
                # than show them stale, and go on with the other children.
                self.record_damage(child_id, version, gap)
                continue
            for table, table_rows in self.child_rows(journey, position, today).items():
                rows[table].extend(table_rows)
        keys = [child_key(child_id) for child_id in latest]
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start:start + IN_CHUNK]
            for table in self.tables:
                delete_children(conn, table, chunk)
        for table in self.tables:
            insert_rows(conn, table, rows[table])

    def record_damage(self, child_id: UUID, version: int, gap: Exception) -> None:
        """Record that a journey's stored events are not a whole sequence."""
        self.damaged[child_id] = version
        logger.error("journey_damaged", projection=self.name, child_id=str(child_id),
                     version=version, detail=f"stored versions out of sequence {gap.args}")

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
    ``IN_CHUNK`` journeys, for ``JourneyFolds.fold_batch``.
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
