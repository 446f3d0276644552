"""Journey replay benchmark (issue 5): one 500-event journey read back, cold and warm.

    python -m benchmarks.replay [--store sqlite|postgres|both] [--events 500] [--runs 100]

Builds a fresh store (a SQLite file in a temporary directory; a fresh PostgreSQL
database from CASETRACK_TEST_POSTGRES_URL, dropped afterwards) configured by
``infrastructure.persistence.event_store_env`` exactly as the server configures it,
saves one synthetic journey of ``--events`` events (made-up references and dates only;
evidence, a correction every 25 events, late recording), and times, p50/p99 over
``--runs`` runs each:

- cold: the journey reconstructed from the store (its entry evicted from the aggregate
  cache first: latest snapshot, events after it, decoding), its state replayed, its
  clocks read and its view built (``application.views.journey_view_at``); current and
  ``as_at``;
- warm: what the server answers with the journey in the aggregate cache:
  ``CaseTracking.get_journey`` (GET /children/{id}, and with ``as_at``) and
  ``application.history.journey_at`` (GET /children/{id}/journey: state plus timeline);
- bare: the eventsourcing library alone, in the same store with the same settings
  (snapshot interval, cache, fast-forward, deep copy): a plain ``Aggregate`` of
  ``--events`` events, each adding an entry (a date and a string) to a list it keeps,
  loaded cold (evicted from the cache) and warm (cached: fast-forward and deep copy).

``measure_replay(app, journey_id)`` is the timing part alone, for other benchmarks.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from application.history import journey_at
from application.tracking import CaseTracking
from application.views import journey_view_at
from benchmarks.machine import describe, load_average
from domain.actors import Actor
from domain.journey import SNAPSHOT_INTERVAL, ChildJourney

TODAY = date(2026, 1, 5)
START = date(2024, 1, 8)
AS_AT = date(2024, 4, 1)
ACTOR = Actor("bench-caseworker", "caseworker", "LA-901")


def build_journey(app: CaseTracking, events: int = 500, *, today: date = TODAY) -> UUID:
    """Save one synthetic journey of ``events`` events in ``app``; return its id.

    A request, its acknowledgement, family views and the decision to assess, then
    evidence (recorded up to a year after it happened), with every 25th event a
    correction of an earlier evidence entry's date.
    """
    journey = ChildJourney.register(
        authority="LA-901", date_of_birth=date(2015, 3, 14), actor=ACTOR,
        occurred_on=START, today=today, case_ref="BENCH-0000001")
    opening: tuple[tuple[str, int, dict[str, Any]], ...] = (
        ("EHCNeedsAssessmentRequested", 1, {"requester_role": "Parent",
                                            "request_source": "1"}),
        ("RequestAcknowledged", 3, {}),
        ("FamilyViewsSubmitted", 10, {"author_role": "Parent"}),
    )
    for type_name, offset, payload in opening:
        journey.record(type_name, payload, actor=ACTOR,
                       occurred_on=START + timedelta(days=offset), today=today)
    number = 0
    while journey.version < events:
        number += 1
        if journey.version + 1 == events - 10:
            journey.record("DecisionToAssessMade", {"assessment_test_met": True,
                                                    "reasons": "The child may have SEN"},
                           actor=ACTOR, occurred_on=START + timedelta(days=40), today=today)
        elif journey.version % 25 == 24:
            target = journey.version - 3
            journey.record("EntryCorrected", {
                "target_version": target, "reason": "date mistyped",
                "changes": {"occurred_on": START + timedelta(days=11 + number % 29)}},
                actor=ACTOR, occurred_on=min(START + timedelta(days=50 + number), today),
                today=today)
        else:
            journey.record("EvidenceSubmitted", {
                "author_role": "School", "document_refs": [f"doc-{number}", "report"]},
                actor=ACTOR, occurred_on=START + timedelta(days=11 + number % 29),
                today=today)
    app.save(journey)
    return journey.id


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return the p50 and p99 (nearest rank) of ``samples`` (seconds) in milliseconds."""
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]

    return rank(50) * 1000, rank(99) * 1000


def timed(call: Callable[[], Any], runs: int, *, before: Callable[[], None] | None = None,
          warmup: int = 3) -> tuple[float, float]:
    """Return p50/p99 ms of ``call`` over ``runs`` runs (``before`` runs untimed)."""
    for _ in range(warmup):
        if before:
            before()
        call()
    samples = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def evict(app: Application, aggregate_id: UUID) -> Callable[[], None]:
    """Return a function that drops the aggregate from ``app``'s cache, if it has one."""
    def drop() -> None:
        cache = app.repository.cache
        if cache is not None:
            try:
                cache.get(aggregate_id, evict=True)
            except KeyError:
                pass
    return drop


def measure_replay(app: CaseTracking, journey_id: UUID, *, runs: int = 100,
                   as_at: date = AS_AT, actor: Actor = ACTOR, today: date | None = None
                   ) -> dict[str, tuple[float, float]]:
    """Time reading ``journey_id`` back from ``app``'s store; return (p50, p99) ms by row.

    Rows: ``cold_current``, ``cold_as_at`` (cache entry evicted before each run; load,
    replay, clocks, view), ``warm_get_journey``, ``warm_get_journey_as_at`` (the
    GET /children/{id} answer, journey cached), ``warm_journey_timeline`` (the
    GET /children/{id}/journey answer: state and timeline). ``actor`` must be allowed to
    read the journey.
    """
    day = today or app.today()

    def cold(point: date | None) -> Callable[[], Any]:
        return lambda: journey_view_at(app.journey_for_update(journey_id), day, as_at=point)

    drop = evict(app, journey_id)
    results = {
        "cold_current": timed(cold(None), runs, before=drop),
        "cold_as_at": timed(cold(as_at), runs, before=drop),
    }
    app.get_journey(journey_id, actor=actor)
    results["warm_get_journey"] = timed(
        lambda: app.get_journey(journey_id, actor=actor), runs)
    results["warm_get_journey_as_at"] = timed(
        lambda: app.get_journey(journey_id, actor=actor, as_at=as_at), runs)
    results["warm_journey_timeline"] = timed(
        lambda: journey_at(app, journey_id, actor=actor, today=day), runs)
    return results


# The baseline: the library alone.

class BareJourney(Aggregate):
    """A plain aggregate that keeps a list of what it was told."""

    @event("Started")
    def __init__(self, started_on: date) -> None:
        self.started_on = started_on
        self.entries: list[tuple[date, str]] = []

    @event("Noted")
    def note(self, occurred_on: date, text: str) -> None:
        self.entries.append((occurred_on, text))


class BareApplication(Application):
    name = "replaybare"
    snapshotting_intervals = {BareJourney: SNAPSHOT_INTERVAL}

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        from application.transcodings import DateAsISO

        transcoder.register(DateAsISO())


def build_bare(app: BareApplication, events: int) -> UUID:
    aggregate = BareJourney(started_on=START)
    for number in range(1, events):
        aggregate.note(START + timedelta(days=number % 300), f"doc-{number}")
    app.save(aggregate)
    return aggregate.id  # type: ignore[no-any-return]


def measure_bare(app: BareApplication, aggregate_id: UUID, runs: int
                 ) -> dict[str, tuple[float, float]]:
    def load() -> Any:
        return app.repository.get(aggregate_id)

    cold = timed(load, runs, before=evict(app, aggregate_id))
    load()
    return {"bare_cold": cold, "bare_warm": timed(load, runs)}


# The run and the table.

ROWS = (
    ("bare_cold", "bare", "library: load a plain aggregate (evicted from the cache)"),
    ("bare_warm", "bare", "library: load it cached (fast-forward, deep copy)"),
    ("cold_current", "bare_cold", "load from the store, replay, clocks, view: now"),
    ("cold_as_at", "bare_cold", f"the same as it stood on {AS_AT} (as_at)"),
    ("warm_get_journey", "bare_warm", "get_journey, cached (GET /children/{id})"),
    ("warm_get_journey_as_at", "bare_warm", "get_journey with as_at, cached"),
    ("warm_journey_timeline", "bare_warm",
     "journey_at with timeline, cached (GET /children/{id}/journey)"),
)


def run(store: str, database_url: str | None, data_dir: Path, events: int, runs: int
        ) -> dict[str, Any]:
    from infrastructure.persistence import event_store_env

    env = event_store_env(database_url, data_dir)
    app = CaseTracking(env=env, today=lambda: TODAY)
    bare = BareApplication(env=env)
    try:
        started = time.perf_counter()
        journey_id = build_journey(app, events)
        bare_id = build_bare(bare, events)
        built = time.perf_counter() - started
        snapshot = next(iter(app.snapshots.get(journey_id, desc=True, limit=1)))  # type: ignore[union-attr]
        stored = next(iter(app.snapshots.recorder.select_events(  # type: ignore[union-attr]
            journey_id, desc=True, limit=1)))
        results: dict[str, Any] = measure_bare(bare, bare_id, runs)
        results.update(measure_replay(app, journey_id, runs=runs))
        results["meta"] = {"store": store, "events": app.journey_for_update(journey_id).version,
                           "snapshot_version": snapshot.originator_version,
                           "snapshot_bytes": len(stored.state), "snapshot_topic": stored.topic,
                           "build_s": built}
        return results
    finally:
        bare.close()
        app.close()


def machine() -> str:
    return f"machine: {describe()}; load average before the run: {load_average()}"


def table(results: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{'store':<9} {'row':<24} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs bare':>12}  what"]
    for result in results:
        for key, baseline, what in ROWS:
            p50, p99 = result[key]
            ratio = "" if key == baseline or baseline == "bare" else \
                f"{p50 / result[baseline][0]:.2f}x"
            lines.append(f"{result['meta']['store']:<9} {key:<24} {p50:>8.2f} {p99:>8.2f} "
                         f"{ratio:>12}  {what}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    if args.runs < 50:
        parser.error("--runs must be at least 50 for a p99")
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    print(f"replay, {datetime.now():%Y-%m-%d %H:%M}", flush=True)
    print(machine(), flush=True)
    print(f"software: Python {platform.python_version()}, eventsourcing "
          f"{metadata.version('eventsourcing')}", flush=True)
    results = []
    for store in stores:
        with tempfile.TemporaryDirectory() as tmp:
            if store == "sqlite":
                results.append(run(store, None, Path(tmp), args.events, args.runs))
            else:
                from tests.postgres import fresh_database

                server = os.environ.get("CASETRACK_TEST_POSTGRES_URL",
                                        "postgresql://postgres@127.0.0.1:5432/postgres")
                with fresh_database(server, "casetrack_replay") as url:
                    results.append(run(store, url, Path(tmp), args.events, args.runs))
        meta = results[-1]["meta"]
        print(f"{store}: journey of {meta['events']} events, latest snapshot at version "
              f"{meta['snapshot_version']} ({meta['snapshot_bytes']:,} bytes, "
              f"{meta['snapshot_topic']}), built in {meta['build_s']:.1f} s",
              file=sys.stderr, flush=True)
    print(f"work: one journey of {args.events} events, snapshots every {SNAPSHOT_INTERVAL}; "
          f"p50/p99 over {args.runs} runs per row after 3 untimed", flush=True)
    for result in results:
        meta = result["meta"]
        print(f"{meta['store']}: latest snapshot at version {meta['snapshot_version']}, "
              f"{meta['snapshot_bytes']:,} bytes", flush=True)
    print(table(results), flush=True)
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)


if __name__ == "__main__":
    main()
