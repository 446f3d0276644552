"""Read-path benchmark (issue 5): replay, audit query, projection catch-up and rebuild.

    python -m benchmarks.read_path [--events N] [--store sqlite|postgres|both]

Generates a synthetic cohort (made-up references and dates only) with at least N events,
including one 500-event journey, then measures on each store:
journey replay p50/p99 (current and ``as_at``), audit query p50/p99 (actor and recorded
range), projection catch-up in events/s, and a full rebuild's time and peak memory
(tracemalloc: Python allocations, which stay flat when the rebuild streams).
PostgreSQL uses CASETRACK_TEST_POSTGRES_URL and a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from application.tracking import CaseTracking
from domain.actors import Actor
from domain.journey import ChildJourney

TODAY = date(2026, 1, 5)
AUTHORITIES = ("LA-901", "LA-902", "LA-903")
STEPS = (
    ("EHCNeedsAssessmentRequested", 0, {"requester_role": "Parent", "request_source": "1"}),
    ("RequestAcknowledged", 2, {}),
    ("FamilyViewsSubmitted", 10, {"author_role": "Parent"}),
    ("DecisionToAssessMade", 35, {"reasons": "The child may have SEN"}),
)


def generate_cohort(app: CaseTracking, journeys: int, *, seed: int = 5, batch: int = 100,
                    long_journey_events: int = 0, today: date = TODAY) -> list[UUID]:
    """Save ``journeys`` synthetic journeys of about five events each; return their ids.

    Every tenth journey has its request's date corrected; with ``long_journey_events``,
    the first journey is that long (repeated evidence and corrections).
    """
    rng = random.Random(seed)
    pending: list[ChildJourney] = []
    ids: list[UUID] = []
    for number in range(journeys):
        authority = AUTHORITIES[number % len(AUTHORITIES)]
        actor = Actor(f"user-{number % 40}", "caseworker" if number % 7 else "manager",
                      authority)
        start = date(2024, 1, 2) + timedelta(days=rng.randrange(300))
        journey = ChildJourney.register(
            authority=authority, actor=actor, occurred_on=start, today=today,
            date_of_birth=date(2010 + rng.randrange(9), rng.randrange(1, 13),
                               rng.randrange(1, 29)), case_ref=f"GEN-{number:07d}")
        for type_name, offset, payload in STEPS[:1 + rng.randrange(len(STEPS))]:
            journey.record(type_name, payload, actor=actor,
                           occurred_on=start + timedelta(days=offset + 1), today=today)
        if number % 10 == 3:
            journey.record("EntryCorrected", {
                "target_version": 2, "changes": {"occurred_on": start + timedelta(days=2)},
                "reason": "date mistyped"}, actor=actor, occurred_on=start + timedelta(
                    days=40), today=today)
        if number == 0 and long_journey_events:
            _lengthen(journey, actor, long_journey_events, start, today)
        pending.append(journey)
        ids.append(journey.id)
        if len(pending) >= batch:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    return ids


def _lengthen(journey: ChildJourney, actor: Actor, events: int, start: date,
              today: date) -> None:
    number = 0
    while journey.version < events:
        number += 1
        journey.record("EvidenceSubmitted", {"author_role": "School",
                                             "document_refs": [f"doc-{number}"]},
                       actor=actor, occurred_on=min(start + timedelta(days=3 + number % 200),
                                                    today), today=today)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def run(store: str, events: int, database_url: str | None, data_dir: Path) -> dict[str, Any]:
    from infrastructure.migrations import upgrade
    from infrastructure.persistence import event_store_env
    from infrastructure.projections import (
        PROJECTIONS,
        ReadModelDatabase,
        ReadModelView,
        catch_up,
        rebuild,
    )
    from infrastructure.readmodels import SQLReadModels

    env = event_store_env(database_url, data_dir)
    app = CaseTracking(env=env, today=lambda: TODAY)
    results: dict[str, Any] = {"store": store}
    started = time.perf_counter()
    journeys = max(1, (events - 500) // 4)
    ids = generate_cohort(app, journeys, long_journey_events=500)
    results["events"] = app.max_position()
    results["generate_s"] = round(time.perf_counter() - started, 1)
    long_id = ids[0]
    actor = Actor("bench", "caseworker", "LA-901")
    results["replay_current_ms"] = timed(lambda: app.get_journey(long_id, actor=actor), 50)
    results["replay_as_at_ms"] = timed(lambda: app.get_journey(
        long_id, actor=actor, as_at=date(2024, 3, 1)), 50)

    database = ReadModelDatabase.beside(database_url, data_dir)
    engine = database.engine()
    upgrade(engine)
    view = ReadModelView(engine, "event_index")
    projection = PROJECTIONS["event_index"](view)
    started = time.perf_counter()
    catch_up(projection, application_class=CaseTracking, event_store_env=env)
    elapsed = time.perf_counter() - started
    results["catch_up_event_index_events_per_s"] = round(results["events"] / elapsed)
    summaries = PROJECTIONS["case_summaries"](ReadModelView(engine, "case_summaries"))
    summaries.today = lambda: TODAY
    started = time.perf_counter()
    catch_up(summaries, application_class=CaseTracking, event_store_env=env)
    elapsed = time.perf_counter() - started
    results["catch_up_case_summaries_events_per_s"] = round(results["events"] / elapsed)

    from application.queries import EventFilter

    store_q = SQLReadModels(engine, CaseTracking.name)
    since = datetime.now(UTC) - timedelta(hours=1)
    results["audit_actor_range_ms"] = timed(lambda: list(store_q.events(EventFilter(
        actor="user-7", recorded_from=since, recorded_to=datetime.now(UTC), limit=50))), 100)

    tracemalloc.start()
    started = time.perf_counter()
    rebuild("event_index", application_class=CaseTracking, event_store_env=env,
            engine=engine)
    results["rebuild_event_index_s"] = round(time.perf_counter() - started, 1)
    results["rebuild_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    engine.dispose()
    app.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    for store in stores:
        with tempfile.TemporaryDirectory() as tmp:
            if store == "sqlite":
                print(run(store, args.events, None, Path(tmp)), flush=True)
                continue
            from tests.postgres import fresh_database

            server = os.environ.get("CASETRACK_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
            with fresh_database(server, "casetrack_bench") as url:
                print(run(store, args.events, url, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
