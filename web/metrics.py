"""``GET /metrics``: the service's counters in Prometheus's text format (prometheus-client).

- ``casetrack_http_requests_total{route,method,status}`` and
  ``casetrack_http_request_duration_seconds{route,method}``: every request, by its route
  template (``/children/<uuid:child_id>``, never an id) — ``(unmatched)`` for none.
- ``casetrack_events_recorded_total{type}``: journey events this process stored.
- ``casetrack_refusals_total{code}``: problem answers carrying a rule code.
- ``casetrack_access_log_writes_total{outcome}``: looks recorded (``written``) or not
  (``failed``, the read then withheld with 503).
- ``casetrack_projection_position{projection}`` / ``casetrack_projection_lag_events``:
  each read model's position and how far behind the log's head it is, read at scrape.
- ``casetrack_db_pool_connections{pool,state}``: the event store's and the read models'
  connection pools (``size``, ``in_use``, ``idle``, ``waiting``), read at scrape.

The endpoint is protected: a bearer ``CASETRACK_METRICS_TOKEN`` (for the scraper), or a
token of the ``admin`` role. Under ``casetrack serve --workers N`` (granian) the counters
of every worker are added up through ``PROMETHEUS_MULTIPROC_DIR``; the scrape-time gauges
are the answering worker's own view (the positions are the database's, so the same).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from web.auth import AuthenticationError, TokenVerifier
from web.config import Settings
from web.context import current_request, request_globals
from web.problems import Problem, problem_response
from web.services import services, services_of

ENDPOINT = "metrics"
UNMATCHED = "(unmatched)"
METRICS_ROLES = frozenset({"admin"})
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> str | None:
    """Where the server's workers write their counters (None: one process)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The counters of one app; registered in its own registry (one process) or written
    to the multiprocess directory (``--workers`` above 1)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry() if multiprocess_dir() is None else None
        registry = self.registry
        self.requests = Counter("casetrack_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], registry=registry)
        self.latency = Histogram("casetrack_http_request_duration_seconds",
                                 "Time to answer an HTTP request", ["route", "method"],
                                 buckets=LATENCY_BUCKETS, registry=registry)
        self.events = Counter("casetrack_events_recorded", "Journey events stored",
                              ["type"], registry=registry)
        self.refusals = Counter("casetrack_refusals", "Problem answers with a rule code",
                                ["code"], registry=registry)
        self.access_log = Counter("casetrack_access_log_writes", "Looks recorded in the "
                                  "access log (written) or not (failed)", ["outcome"],
                                  registry=registry)


class StateCollector(Collector):
    """Gauges read when scraped: projection positions and lag, connection pools."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._projections()
        yield self._pools()

    def _projections(self) -> Iterator[GaugeMetricFamily]:
        from application.tracking import CaseTracking
        from infrastructure.projections import status

        position = GaugeMetricFamily("casetrack_projection_position", "The last log "
                                     "position each read model has applied", labels=["projection"])
        lag = GaugeMetricFamily("casetrack_projection_lag_events", "Log positions each read "
                                "model is behind the log's head", labels=["projection"])
        try:
            head = services_of(self.app).tracking.max_position()
            engine = services_of(self.app).read_models.engine
            rows = status(engine, CaseTracking.name, head)
        except Exception:  # read models not migrated yet, or the database is away
            rows = []
        for row in rows:
            position.add_metric([row["projection"]], row["position"])
            lag.add_metric([row["projection"]], row["behind"])
        yield position
        yield lag

    def _pools(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily("casetrack_db_pool_connections", "Database connections "
                                   "by pool and state", labels=["pool", "state"])
        for name, states in pool_states(self.app).items():
            for state, value in states.items():
                family.add_metric([name, state], value)
        return family


def pool_states(app: Flask) -> dict[str, dict[str, int]]:
    """The connection pools' sizes and use (only the pools this store has)."""
    pools: dict[str, dict[str, int]] = {}
    datastore = getattr(services_of(app).tracking.recorder, "datastore", None)
    pool_of_events = getattr(datastore, "pool", None)
    if hasattr(pool_of_events, "get_stats"):  # PostgreSQL: eventsourcing's psycopg pool
        stats = pool_of_events.get_stats()  # type: ignore[union-attr]
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        pools["event_store"] = {"size": size, "in_use": size - idle, "idle": idle,
                                "waiting": stats.get("requests_waiting", 0)}
    pool: Any = services_of(app).read_models.engine.pool  # QueuePool (SQLite: its own)
    if hasattr(pool, "checkedout"):
        in_use, idle = pool.checkedout(), pool.checkedin()
        pools["read_models"] = {"size": in_use + idle, "in_use": in_use, "idle": idle,
                                "waiting": 0}
    return pools


def init_app(app: Flask, settings: Settings, verifier: TokenVerifier) -> None:
    """Count every request, event, refusal and look; answer ``GET /metrics``.

    Call after ``security.init_app`` (the access log it opens is counted).
    """
    metrics = Metrics()
    services_of(app).add("metrics", metrics, close=False)
    if metrics.registry is not None:
        metrics.registry.register(StateCollector(app))
    _count_events(services_of(app).tracking, metrics)
    _count_looks(services_of(app).access_log, metrics)
    # First of the before hooks and last of the after hooks (Flask runs those in reverse),
    # so a request another hook refuses is timed, and the status counted is the final one.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)
    app.after_request_funcs.setdefault(None, []).insert(0, _request_counter(metrics))
    app.add_url_rule("/metrics", ENDPOINT, _view(settings, verifier), methods=["GET"])


def _start_clock() -> None:
    request_globals().metrics_started = time.perf_counter()


def _request_counter(metrics: Metrics) -> Callable[[Response], Response]:
    """The after-request hook counting and timing each answer, with each label set's child
    counter looked up once (prometheus-client checks and locks on every ``labels``)."""
    counts: dict[tuple[str, str, int], Any] = {}
    timings: dict[tuple[str, str], Any] = {}

    def count_request(response: Response) -> Response:
        asked, here = current_request(), request_globals()
        rule = asked.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        method, status = asked.method, response.status_code
        counter = counts.get((route, method, status))
        if counter is None:
            counter = counts.setdefault((route, method, status),
                                        metrics.requests.labels(route, method, str(status)))
        counter.inc()
        started = here.get("metrics_started")
        if started is not None:
            timing = timings.get((route, method))
            if timing is None:
                timing = timings.setdefault((route, method),
                                            metrics.latency.labels(route, method))
            timing.observe(time.perf_counter() - started)
        code = here.get("problem_code")
        if code:
            metrics.refusals.labels(str(code)).inc()
        return response

    return count_request


def _count_events(tracking: Any, metrics: Metrics) -> None:
    """Count the journey events each save stores (imports and corrections included)."""
    from domain.events import JourneyEvent

    save = tracking.save

    def counted_save(*objs: Any, **kwargs: Any) -> Any:
        recordings = save(*objs, **kwargs)
        for recording in recordings or ():
            event = recording.domain_event
            if isinstance(event, JourneyEvent):
                metrics.events.labels(type(event).__name__).inc()
        return recordings

    tracking.save = counted_save


def _count_looks(access_log: Any, metrics: Metrics) -> None:
    record = access_log.record

    def counted_record(*args: Any, **kwargs: Any) -> Any:
        try:
            position = record(*args, **kwargs)
        except Exception:
            metrics.access_log.labels("failed").inc()
            raise
        metrics.access_log.labels("written").inc()
        return position

    access_log.record = counted_record


def _view(settings: Settings, verifier: TokenVerifier) -> Callable[[], Response]:
    def metrics_view() -> Response:
        problem = _refusal(settings, verifier, request.headers.get("Authorization"))
        if problem is not None:
            return problem_response(problem)
        return Response(generate_latest(_scrape_registry()), mimetype=None,
                        content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return metrics_view


def _scrape_registry() -> CollectorRegistry:
    metrics: Metrics = services().extras["metrics"]
    if metrics.registry is not None:
        return metrics.registry
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(StateCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return registry


def _refusal(settings: Settings, verifier: TokenVerifier, header: str | None
             ) -> Problem | None:
    """None when the caller may read the metrics, else the problem to answer with."""
    token = header[7:].strip() if header and header[:7].lower() == "bearer " else ""
    if settings.metrics_token and token and hmac.compare_digest(
            token.encode(), settings.metrics_token.encode()):
        return None
    try:
        actor = verifier.actor(header)
    except AuthenticationError as error:
        return Problem(401, "unauthenticated", "Authentication required", str(error),
                       headers={"WWW-Authenticate": 'Bearer realm="casetrack"'})
    if actor.role not in METRICS_ROLES:
        return Problem(403, "forbidden", "Forbidden", "the metrics are for the admin role "
                       "or the scraper's CASETRACK_METRICS_TOKEN")
    return None
