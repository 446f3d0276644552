"""Liveness and readiness: /livez answers while the process runs; /readyz when the event
store answers, the read models are at the code's schema revision and no projection is
further behind the log than ``CASETRACK_READY_MAX_LAG`` events (503 naming the reason).

Probes call /readyz every few seconds on every worker, so a call is kept cheap: the read
models' revision, once it matched the code's, is re-read at most every
``REVISION_RECHECK_SECONDS`` (Alembic's read is several statements); one that did not
match is read again on every call, so a migration is seen at once. The log's head and the
projections' positions are read on every call (one query each)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import structlog
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.openapi import problems
from web.problems import Problem
from web.services import services

logger = structlog.get_logger()
T = TypeVar("T")
REVISION_RECHECK_SECONDS = 5.0
blp = Blueprint("health", __name__, description="Liveness and readiness probes")


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadySchema(HealthSchema):
    store = fields.String(required=True, metadata={"description": "sqlite or postgresql"})
    position = fields.Integer(required=True, metadata={
        "description": "the newest position in the event log"})
    read_models_revision = fields.String(required=True, metadata={
        "description": "the read models' schema revision (Alembic), equal to the code's"})
    projections = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                              metadata={"description": "how many log positions each "
                                                       "projection is behind"})
    max_lag = fields.Integer(required=True, metadata={
        "description": "the lag above which the service is not ready"})


@blp.route("/livez")
class Live(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @problems(blp, 500)
    def get(self) -> dict[str, Any]:
        """Answer while the process is alive."""
        return {"status": "live"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadySchema)
    @problems(blp, 500, 503)
    def get(self) -> dict[str, Any]:
        """Answer when the store answers, the read models are migrated and current."""
        return readiness()


@cache
def _head_revision() -> str | None:
    from infrastructure.migrations import head_revision

    return head_revision()


class _Recheck:
    """A fact per object (the read models' revision per engine, an insert function per
    recorder) as last read when it was the expected one: trusted for a few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._matched: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def read(self, key: Any, expected: T, read: Callable[[], T]) -> T:
        """Return ``expected`` when it was read within the last few seconds; otherwise
        read it now (remembering the time when it is the expected value)."""
        now = self._clock()
        with self._lock:
            matched_at = self._matched.get(key)
        if matched_at is not None and now - matched_at < REVISION_RECHECK_SECONDS:
            return expected
        value = read()
        with self._lock:
            if value == expected:
                self._matched[key] = now
            else:
                self._matched.pop(key, None)
        return value


_revisions = _Recheck()


def _not_ready(reason: str) -> Problem:
    return Problem(503, "not-ready", "Service Unavailable", reason,
                   headers={"Retry-After": "5"})


def readiness() -> dict[str, Any]:
    """Check the event store, the read-model revision and the projections' lag: 200, or
    503 naming the reason, never a 500 (a probe that fails is not-ready, Retry-After)."""
    try:
        return _readiness()
    except Problem:
        raise
    except Exception as error:  # any check that could not be made means "not ready"
        logger.warning("readiness_check_failed", error_type=type(error).__name__)
        raise _not_ready("the readiness check could not be made "
                         f"({type(error).__name__})") from None


def _readiness() -> dict[str, Any]:
    from infrastructure.migrations import current_revision
    from infrastructure.projections import status

    tracking, settings = services().tracking, services().settings
    engine = services().read_models.engine
    try:
        position = tracking.max_position()
    except Exception as error:  # any store failure means "not ready"
        logger.warning("store_not_ready", error_type=type(error).__name__)
        raise _not_ready("the event store does not answer") from None
    _insert_functions_exist()
    # An unmigrated database has no version table: its revision reads as None. A read
    # that fails (a busy or unreachable database) says so, not "run db upgrade".
    head = _head_revision()
    revision = _revisions.read(
        engine, head, lambda: _read_models(lambda: current_revision(engine)))
    if revision != head:
        raise _not_ready(f"the read models are at schema revision {revision or 'none'}, "
                         f"this version needs {head}: run `casetrack db upgrade`")
    behind = _read_models(lambda: {row["projection"]: max(0, row["behind"])
                                   for row in status(engine, tracking.name, position)})
    lagging = sorted((lag, name) for name, lag in behind.items()
                     if lag > settings.ready_max_lag)
    if lagging:
        lag, name = lagging[-1]
        raise _not_ready(f"projection {name} is {lag} events behind the log (more than "
                         f"CASETRACK_READY_MAX_LAG={settings.ready_max_lag}); is `casetrack "
                         "projections run` running?")
    return {"status": "ready", "store": settings.store, "position": position,
            "read_models_revision": revision, "projections": behind,
            "max_lag": settings.ready_max_lag}


def _insert_functions_exist() -> None:
    """On PostgreSQL, the event stores' insert functions must be there (ADR 0022): a
    server started with CREATE_TABLE off before `casetrack db upgrade` made them would
    fail every write."""
    for recorder in (services().tracking.recorder, services().access_log.recorder):
        exists = getattr(recorder, "insert_batch_function_exists", None)
        if exists is None:  # the embedded store's recorder has no such function
            continue
        try:
            found = _revisions.read(recorder, True, exists)
        except Exception as error:
            logger.warning("store_not_ready", error_type=type(error).__name__)
            raise _not_ready("the event store does not answer") from None
        if not found:
            function = getattr(recorder, "insert_batch_function", "")
            raise _not_ready(f"the event store's insert function {function} is missing"
                             " (servers started with CREATE_TABLE off): run "
                             "`casetrack db upgrade`")


def _read_models(read: Callable[[], T]) -> T:
    try:
        return read()
    except Exception as error:
        logger.warning("read_models_not_ready", error_type=type(error).__name__)
        raise _not_ready("the read models' database does not answer") from None
