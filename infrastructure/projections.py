"""Projections of the journey log into the read models, exactly once: the one registry
of projections and the runners that feed them.

- ``PROJECTIONS`` lists every read-model projection by name: the case summaries and the
  event index (``infrastructure.summaries``) and the cohort (``infrastructure.cohort``).
- ``ReadModelRunner`` is a ``BaseProjectionRunner`` that feeds a projection in batches
  (one transaction per batch, one fold per journey per batch, ``infrastructure.batches``);
  ``EmbeddedRunners`` keeps the runners inside the server process in the embedded mode.
- Following the log by polling is ``infrastructure.polling``; the tracking recorder whose
  records commit with the rows, and where the read models live, ``infrastructure.tracking``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

import structlog
from eventsourcing.persistence import Tracking
from eventsourcing.projection import BaseProjectionRunner
from eventsourcing.utils import resolve_topic
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from application.progress import SILENT, Progress
from domain.clocks import LocalPolicy
from domain.events import JourneyEvent
from infrastructure.batches import (
    IN_CHUNK,
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
    upsert,
)
from infrastructure.worktray import WorktrayProjection

__all__ = [
    "BATCH_SIZE", "CATCH_UP_BATCH_SIZE", "IN_CHUNK", "PROJECTIONS", "CaseRows",
    "CaseSummaryProjection", "CohortProjection", "EmbeddedRunners", "EventIndexProjection",
    "JourneyStore", "PollingPostgresApplicationRecorder", "PollingSQLiteApplicationRecorder",
    "PollingSubscription", "ProjectionFault", "ReadModelDatabase", "ReadModelProjection",
    "ReadModelRunner", "ReadModelView", "among", "case_rows", "catch_up", "event_index_row",
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
        self.projection.policy = LocalPolicy.from_env(env)
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

