"""Projections of the journey log into the read models, exactly once: the one registry
of projections and the runners that feed them.

- ``PROJECTIONS`` lists every read-model projection by name: the case summaries and the
  event index (``infrastructure.summaries``) and the cohort (``infrastructure.cohort``).
- ``ProjectionGroup`` feeds every projection from one thread, in batches: one poll and one
  decoding of the log and one fold per journey per batch for them all, one transaction
  per batch per projection (``infrastructure.batches``); ``EmbeddedRunners`` keeps it
  inside the process (the embedded server, the projection worker).
- Following the log by polling is ``infrastructure.polling``; the tracking recorder whose
  records commit with the rows, and where the read models live, ``infrastructure.tracking``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

import structlog
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import resolve_topic
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from application.progress import SILENT, Progress
from domain.clocks import LocalPolicy
from domain.events import JourneyEvent
from infrastructure.batches import (
    IN_CHUNK,
    Item,
    JourneyFolds,
    JourneyStore,
    ReadModelProjection,
    journey_notifications,
    stored_events,
)
from infrastructure.cohort import CohortProjection
from infrastructure.outbox import OutboxProjection
from infrastructure.partner_requests import PartnerRequestsProjection
from infrastructure.polling import (
    BATCH_SIZE,
    PollingPostgresApplicationRecorder,
    PollingSQLiteApplicationRecorder,
    PollingSubscription,
    runner_env,
)
from infrastructure.readmodels import (
    CaseClock,
    CaseSummary,
    HealthWait,
    ProjectionTracking,
    ServiceRecord,
)
from infrastructure.readmodels import EventIndex as EventIndexRow
from infrastructure.summaries import (
    CaseRows,
    CaseSummaryProjection,
    EventIndexProjection,
    case_rows,
    event_index_row,
)
from infrastructure.tracking import (
    ProjectionFault,
    ReadModelDatabase,
    ReadModelView,
    among,
    insert_rows,
    track_all,
    tracked_positions,
    upsert,
    write_transaction,
)
from infrastructure.worktray import WorktrayProjection

__all__ = [
    "BATCH_SIZE", "CATCH_UP_BATCH_SIZE", "IN_CHUNK", "PROJECTIONS", "CaseRows",
    "CaseSummaryProjection", "CohortProjection", "EmbeddedRunners", "EventIndexProjection",
    "JourneyStore", "PollingPostgresApplicationRecorder", "PollingSQLiteApplicationRecorder",
    "PollingSubscription", "ProjectionFault", "ReadModelDatabase", "ReadModelProjection",
    "ProjectionGroup", "ReadModelView", "among", "case_rows", "catch_up", "event_index_row",
    "insert_rows", "journey_notifications", "rebuild", "row_counts", "runner_env", "status",
    "stored_events", "upsert",
]

logger = structlog.get_logger()

# Catch-up and rebuild read further ahead than the live runner: fewer, larger commits.
CATCH_UP_BATCH_SIZE = 2000

# Every read-model projection, by name (the runners, rebuild and status read this).
PROJECTIONS: dict[str, type[ReadModelProjection]] = {
    p.name: p for p in (CaseSummaryProjection, EventIndexProjection, CohortProjection,
                        WorktrayProjection, OutboxProjection, PartnerRequestsProjection)}


# Running projections.

# Told of each batch the group read: (position before it, its rows, their decoded events).
OnBatch = Callable[[int, Sequence[Notification], Sequence[JourneyEvent | None]], None]


@cache
def _is_journey_topic(topic: str) -> bool:
    try:
        cls = resolve_topic(topic)
    except Exception:  # an unknown topic is not a journey event
        return False
    return isinstance(cls, type) and issubclass(cls, JourneyEvent)


class _Failed(Exception):
    """A projection of a group failed (its transaction rolled back)."""

    def __init__(self, name: str, error: Exception) -> None:
        super().__init__(name)
        self.name, self.error = name, error


class ProjectionGroup:
    """Read-model projections fed from one thread: one poll of the log, one decoding and
    one fold per touched journey per batch for them all (``JourneyFolds``), and one
    transaction per batch in which each projection's rows commit with its own tracking
    record, so each counts every event exactly once from its own position. A projection
    that fails is dropped from the group with its error (``errors``), the batch rolled
    back and made again without it: the others go on.
    """

    def __init__(self, *, application_class: type[Any],
                 projections: Mapping[str, ReadModelProjection],
                 env: Mapping[str, str], on_batch: OnBatch | None = None) -> None:
        self.app = application_class(env=runner_env(env))
        self.on_batch = on_batch  # each batch read: the automatic checkpoint's (recent_log)
        self.projections = dict(projections)
        self.folds = JourneyFolds()
        self.folds.set_loader(JourneyStore(self.app))
        for projection in self.projections.values():
            projection.folds = self.folds
        # Where each projection is, as this group last committed it (or found it).
        self.reached = {name: p.view.max_tracking_id(self.app.name) or 0
                        for name, p in self.projections.items()}
        self.errors: dict[str, BaseException] = {}
        self.processed = 0
        self._polled = min(self.reached.values(), default=0)
        self.subscription = PollingSubscription(self.app.recorder, gt=self._polled)
        self._thread = threading.Thread(target=self._run, name="projections")
        self._thread.start()

    def _run(self) -> None:
        try:
            while self.projections:
                notifications = self.subscription.next_batch()
                if not notifications:
                    return
                after, self._polled = self._polled, notifications[-1].id
                self.feed(notifications, after)
        except BaseException as error:  # reading the log: every projection stops
            logger.exception("projection_failed", projection=", ".join(self.projections))
            self.errors.update(dict.fromkeys(self.projections, error))
            self.projections.clear()

    def feed(self, notifications: Sequence[Notification], after: int | None = None) -> None:
        """Decode the notifications once and give each projection those after its own
        position, all in one transaction with their tracking records; ``on_batch`` has
        them with their events, if they are the log's every entry after ``after``."""
        mapper, name = self.app.mapper, self.app.name
        items = [(mapper.to_domain_event(n) if _is_journey_topic(n.topic) else None,
                  Tracking(name, n.id)) for n in notifications]
        if self.on_batch is not None and after is not None:
            self.on_batch(after, notifications, [event for event, _ in items])
        last = items[-1][1].notification_id
        with self.folds.batch(items):
            while True:
                due = [n for n in self.projections if self.reached[n] < last]
                if not due:
                    return
                try:
                    self._commit(due, items)
                except _Failed as failed:  # rolled back: again without the failed one
                    logger.exception("projection_failed", projection=failed.name,
                                     exc_info=failed.error)
                    self.errors[failed.name] = failed.error
                    del self.projections[failed.name]
                    continue
                for projection_name in due:
                    self.reached[projection_name] = last
                return

    def _commit(self, due: Sequence[str], items: Sequence[Item]) -> None:
        """Project ``items`` into each of ``due`` and track them, in one transaction."""
        engine = self.projections[due[0]].view.engine
        with write_transaction(engine) as conn:
            tracked = tracked_positions(conn, self.app.name)
            moved, counted = [], 0
            for projection_name in due:
                projection = self.projections[projection_name]
                try:
                    count = projection.project(conn, items, tracked.get(projection_name))
                except Exception as error:
                    raise _Failed(projection_name, error) from error
                counted += count
                if count:
                    moved.append(projection_name)
            track_all(conn, moved, items[-1][1])
            for projection_name in due:  # tests inject faults here
                hook = self.projections[projection_name].view.before_commit
                if hook is not None:
                    hook()
        self.processed += counted

    def stop(self) -> None:
        self.subscription.stop()

    def close(self) -> None:
        """Stop, wait for the thread, close the application."""
        self.stop()
        self._thread.join()
        self.app.close()


class EmbeddedRunners:
    """The read-model projections, followed in one thread inside this process (the
    embedded server, or the projection worker)."""

    def __init__(self, *, application_class: type[Any], event_store_env: Mapping[str, str],
                 database: ReadModelDatabase, upgrade: bool = True,
                 today: Callable[[], date] = date.today,
                 names: Sequence[str] = tuple(PROJECTIONS),
                 on_batch: OnBatch | None = None) -> None:
        self.engine = database.engine()
        if upgrade:
            from infrastructure.migrations import upgrade as migrate

            migrate(self.engine)
        self.names = tuple(names)
        self.views = {name: ReadModelView(self.engine, name) for name in self.names}
        policy = LocalPolicy.from_env(event_store_env)
        projections = {}
        for name in self.names:
            projection = projections[name] = PROJECTIONS[name](self.views[name])
            projection.today, projection.policy = today, policy
        self.group = ProjectionGroup(application_class=application_class,
                                     projections=projections, env=event_store_env,
                                     on_batch=on_batch)
        self.app_name: str = self.group.app.name
        self._errors: dict[str, BaseException] = self.group.errors
        self._closed = False
        # The runner's thread is not a daemon: stop it when the interpreter stops, even
        # if no one calls close() (threading's hook runs before it joins that thread).
        threading._register_atexit(self.close)  # type: ignore[attr-defined]  # noqa: SLF001

    @property
    def app(self) -> Any:
        return self.group.app

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            tracked = dict(conn.execute(select(
                ProjectionTracking.projection, ProjectionTracking.notification_id).where(
                ProjectionTracking.application_name == self.app_name)).all())
        return {name: tracked.get(name) or 0 for name in self.names}

    def wait(self, position: int, names: Sequence[str], timeout: float) -> bool:
        """Wait until the named projections have reached ``position``; say whether they did."""
        deadline = time.monotonic() + timeout
        interval = 0.01
        while not self._closed:
            positions = self.positions()
            if all(positions[n] >= position for n in names):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.1)
        return False  # closed: the read models will not move any more

    def errors(self) -> dict[str, BaseException]:
        return dict(self._errors)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.group.close()
        for name, error in self._errors.items():  # logged with its traceback before
            logger.warning("projection_stopped_with_error", projection=name,
                           error_type=type(error).__name__)
        # The interpreter's exit hook keeps this object: let the closed group (and its
        # store) go now, while the interpreter is whole, not at its teardown.
        del self.group
        self.engine.dispose()


def rebuild(name: str, *, application_class: type[Any], event_store_env: Mapping[str, str],
            engine: Engine, today: Callable[[], date] = date.today,
            batch_size: int = CATCH_UP_BATCH_SIZE, until: int | None = None,
            progress: Progress = SILENT) -> int:
    """Clear one projection and project the whole log again, streaming; return its position.

    The clear commits first; the catch-up commits batch by batch, so a crash part way
    resumes from the last committed batch. ``until`` stops at that position (benchmarks).
    """
    view = ReadModelView(engine, name)
    projection = PROJECTIONS[name](view)
    projection.today = today
    projection.policy = LocalPolicy.from_env(event_store_env)
    with view.transaction() as conn:
        projection.clear(conn)
    return catch_up(projection, application_class=application_class,
                    event_store_env=event_store_env, batch_size=batch_size, until=until,
                    progress=progress)


def catch_up(projection: ReadModelProjection, *, application_class: type[Any],
             event_store_env: Mapping[str, str], batch_size: int = CATCH_UP_BATCH_SIZE,
             until: int | None = None, progress: Progress = SILENT) -> int:
    """Project everything after the tracked position (up to ``until``, if given), in this
    thread, in batches of ``batch_size``; return the position reached. ``progress`` counts
    log positions."""
    app = application_class(env=runner_env(event_store_env))
    try:
        projection.journeys = JourneyStore(app)
        position = projection.view.max_tracking_id(app.name) or 0
        head = until if until is not None else app.recorder.max_notification_id() or 0
        progress.start(f"{projection.view.projection} log positions", max(head - position, 0))
        while True:
            notifications = app.recorder.select_notifications(
                start=position, limit=batch_size, stop=until, inclusive_of_start=False)
            if not notifications:
                return position
            projection.process_batch([
                (app.mapper.to_domain_event(n) if _is_journey_topic(n.topic) else None,
                 Tracking(app.name, n.id)) for n in notifications])
            progress.advance(notifications[-1].id - position)
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

