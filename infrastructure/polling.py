"""Following the log by polling, so one runner serves SQLite and PostgreSQL.

``PollingSubscription`` follows an application recorder by polling
``select_notifications``; the ``Polling*ApplicationRecorder`` classes return it from
``subscribe()`` (SQLite has no subscribe; PostgreSQL polls too, so batches are the same
shape).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

import structlog
from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    Subscription,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from infrastructure.persistence import is_postgres

logger = structlog.get_logger()

BATCH_SIZE = 500
POLL_INTERVAL = 0.05
MAX_POLL_INTERVAL = 0.5
# After a batch short of BATCH_SIZE, the next poll waits until this long after it while
# the log keeps growing: under a stream of writes a runner projects one batch per
# interval (one transaction, one fold per journey) instead of a batch per write or two
# (issue 17). Once an interval passes with no new entry (the writes paused, or a burst
# ended) it stops waiting and takes what came, so the read models catch up within about
# two poll intervals of the last write rather than a whole linger after it. Bounds the
# added lag: no more than an idle runner's poll interval (MAX_POLL_INTERVAL) adds.
LINGER = 0.25


class PollingSubscription(Subscription[ApplicationRecorder]):
    """Yield notifications after ``gt``, polling the recorder when it is at the head."""

    def __init__(self, recorder: ApplicationRecorder, gt: int | None = None,
                 topics: Sequence[str] = (), *, batch_size: int = BATCH_SIZE,
                 interval: float = POLL_INTERVAL, linger: float = LINGER) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._batch_size = batch_size
        self._interval = interval
        self._linger = linger
        self._short_at: float | None = None  # when the last short batch was returned
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
        if self._short_at is not None:
            self._linger_while_growing(self._short_at + self._linger)
        interval = self._interval
        while not self._stopped.is_set():
            batch = list(self._recorder.select_notifications(
                start=self._last_notification_id, limit=self._batch_size,
                topics=self._topics, inclusive_of_start=False))
            if batch:
                self._last_notification_id = batch[-1].id
                self._short_at = time.monotonic() if len(batch) < self._batch_size else None
                return batch
            self._stopped.wait(interval)
            interval = min(interval * 2, MAX_POLL_INTERVAL)
        return []

    def _linger_while_growing(self, until: float) -> None:
        """Wait until ``until`` while the log grows, checking its head every interval;
        return early once an interval added nothing (or when stopped)."""
        head = self._last_notification_id or 0
        while not self._stopped.wait(max(0.0, min(self._interval, until - time.monotonic()))):
            grown = self._recorder.max_notification_id() or 0
            if grown == head or time.monotonic() >= until:
                return
            head = grown

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
                if is_postgres(env)
                else PollingSQLiteApplicationRecorder)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(recorder)
    env["CREATE_TABLE"] = "y"
    return env

