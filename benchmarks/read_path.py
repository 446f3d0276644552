"""Read-path benchmark (issue 5): replay, audit query, projection catch-up and rebuild.

    python -m benchmarks.read_path [--events N] [--store sqlite|postgres|both] [--fresh]

Generates a synthetic cohort (made-up references and dates only) of at least N events,
one journey of them 500 events long, and keeps it for the next run with the same
parameters: a SQLite file under ``--data-dir`` (default /tmp/casetrack-bench) and a
PostgreSQL database ``casetrack_bench_rp_<N>_s<seed>_v<generator>`` on the server of
CASETRACK_TEST_POSTGRES_URL (``--fresh`` makes them again). Journeys are built in the
domain (``ChildJourney.register``/``record``: payload and rule checks, hashes) in chunks
of ``--chunk`` journeys, and each chunk's events are written with the recorder in one
transaction per store; recorded times are synthetic (the day of occurrence, some days or
weeks late), so that recorded ranges mean something to the audit query.

Then, on each store, beside a baseline measured in the same run:

- replay of the 500-event journey (``benchmarks.replay.measure_replay`` when present,
  else ``get_journey``), current and ``as_at``; baseline: the library reading and
  decoding the same 500 events (``event_store.get``);
- audit query p50/p99: actor and a month of recorded time, first page of 50
  (``SQLReadModels.events``); baseline: the same SQL by hand on the DB-API connection;
- rebuild (clear, then catch up from position 0) of ``event_index`` and
  ``case_summaries``, each in a fresh process (spawned), at ``--small`` events and at the
  whole log: seconds, events/s, peak RSS; baseline: the library reading the same
  notifications in the same batches (``select_notifications``) and decoding them into a
  trivial counting projection (a dict of counts by type; no writes).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import queue
import random
import resource
import shutil
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from application.tracking import CaseTracking
from benchmarks.machine import describe
from domain.actors import Actor
from domain.events import JourneyEvent
from domain.journey import SNAPSHOT_INTERVAL, ChildJourney

TODAY = date(2026, 1, 5)
AUTHORITIES = ("LA-901", "LA-902", "LA-903")
STEPS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("EHCNeedsAssessmentRequested", 0, {"requester_role": "Parent", "request_source": "1"}),
    ("RequestAcknowledged", 2, {}),
    ("FamilyViewsSubmitted", 10, {"author_role": "Parent"}),
    ("DecisionToAssessMade", 35, {"assessment_test_met": True,
                                  "reasons": "The child may have SEN"}),
)
GENERATOR_VERSION = 1
LONG_JOURNEY_EVENTS = 500
AUDIT_ACTOR = "user-7"
AUDIT_RECORDED = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
REPLAY_AS_AT = date(2024, 3, 1)
MEASURED = ("event_index", "case_summaries")


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


# Generating a large cohort quickly, once.


@contextmanager
def recorded_times() -> Iterator[list[datetime | None]]:
    """Let the generator choose each event's recorded time (``stamp[0]``; None: now)."""
    stamp: list[datetime | None] = [None]
    saved = JourneyEvent.__dict__.get("create_timestamp")
    original = JourneyEvent.create_timestamp

    def create_timestamp() -> datetime:
        return stamp[0] if stamp[0] is not None else original()

    JourneyEvent.create_timestamp = staticmethod(create_timestamp)  # type: ignore[method-assign]
    try:
        yield stamp
    finally:
        if saved is None:
            del JourneyEvent.create_timestamp
        else:
            JourneyEvent.create_timestamp = saved  # type: ignore[method-assign]


def _recorded(rng: random.Random, occurred_on: date) -> datetime:
    """Recorded on the day mostly; one event in 25 weeks late."""
    late = rng.randrange(30, 120) if rng.randrange(25) == 0 else rng.randrange(3)
    moment = datetime.combine(occurred_on + timedelta(days=late), clock_time(9), UTC) + \
        timedelta(seconds=rng.randrange(8 * 3600))
    return min(moment, datetime.combine(TODAY, clock_time(8), UTC))


def journeys_chunk(index: int, *, seed: int, chunk: int,
                   long_journey_events: int = LONG_JOURNEY_EVENTS) -> list[ChildJourney]:
    """Build journeys ``index * chunk`` to ``(index + 1) * chunk - 1`` of the cohort.

    Journey 0 is ``long_journey_events`` long (evidence after one request); the rest are
    as in ``generate_cohort`` (register, one to four steps, every tenth corrected). Each
    chunk has its own seed, so chunks can be built in any process, in any order.
    """
    rng = random.Random(seed * 1_000_003 + index)
    journeys = []
    with recorded_times() as stamp:
        for number in range(index * chunk, (index + 1) * chunk):
            authority = AUTHORITIES[number % len(AUTHORITIES)]
            actor = Actor(f"user-{number % 40}", "caseworker" if number % 7 else "manager",
                          authority)
            long = number == 0 and long_journey_events > 0
            start = date(2024, 1, 2) + timedelta(days=0 if long else rng.randrange(640))
            stamp[0] = _recorded(rng, start)
            journey = ChildJourney.register(
                authority=authority, actor=actor, occurred_on=start, today=TODAY,
                date_of_birth=date(2010 + rng.randrange(9), rng.randrange(1, 13),
                                   rng.randrange(1, 29)), case_ref=f"GEN-{number:08d}")
            steps = 1 if long else 1 + rng.randrange(len(STEPS))
            for type_name, offset, payload in STEPS[:steps]:
                day = start + timedelta(days=offset + 1)
                stamp[0] = _recorded(rng, day)
                journey.record(type_name, payload, actor=actor, occurred_on=day, today=TODAY)
            if number % 10 == 3 and not long:
                day = start + timedelta(days=40)
                stamp[0] = _recorded(rng, day)
                journey.record("EntryCorrected", {
                    "target_version": 2, "changes": {"occurred_on": start + timedelta(days=2)},
                    "reason": "date mistyped"}, actor=actor, occurred_on=day, today=TODAY)
            if long:
                stamp[0] = None
                _lengthen(journey, actor, long_journey_events, start, TODAY)
            journeys.append(journey)
    return journeys


_MAPPER: list[Any] = []


def stored_chunk(index: int, seed: int, chunk: int) -> tuple[str, list[StoredEvent]]:
    """Build a chunk in the domain and encode its events (in a worker process); return
    its first journey's id and the stored events, ready for any store's recorder."""
    if not _MAPPER:  # the application's mapper: the same transcodings as every store's
        _MAPPER.append(CaseTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper)
    journeys = journeys_chunk(index, seed=seed, chunk=chunk)
    return str(journeys[0].id), [_MAPPER[0].to_stored_event(e) for journey in journeys
                                 for e in journey.collect_events()]


@dataclass
class Store:
    """One store of the benchmark: where its events and read models are."""

    name: str
    data_dir: Path
    url: str | None  # None: SQLite

    @property
    def env(self) -> dict[str, str]:
        from infrastructure.persistence import event_store_env

        return event_store_env(self.url, self.data_dir)

    @property
    def marker(self) -> Path:
        return self.data_dir / "cohort.json"

    def cohort(self) -> dict[str, Any] | None:
        """Return what a complete earlier generation left (events, long journey), if any."""
        if not self.marker.exists():
            return None
        if self.url is not None and not _database_exists(self.url):
            return None
        saved = json.loads(self.marker.read_text())
        app = CaseTracking(env=self.env, today=lambda: TODAY)
        try:
            return saved if app.max_position() == saved["events"] else None
        finally:
            app.close()

    def wipe(self) -> None:
        """Remove the store's events and read models (the database is made again)."""
        if self.url is not None:
            _drop_database(self.url)
            _create_database(self.url)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)


def _server(url: str) -> tuple[Any, str]:
    from psycopg.sql import Identifier

    from tests.postgres import _connect, with_database

    dbname = url.rsplit("/", 1)[1]
    return _connect(with_database(url, "postgres")), Identifier(dbname)  # type: ignore[return-value]


def _database_exists(url: str) -> bool:
    conn, _ = _server(url)
    with conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (url.rsplit("/", 1)[1],)).fetchone() is not None


def _drop_database(url: str) -> None:
    from psycopg.sql import SQL

    conn, name = _server(url)
    with conn:
        conn.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _create_database(url: str) -> None:
    from psycopg.sql import SQL

    conn, name = _server(url)
    with conn:
        conn.execute(SQL("CREATE DATABASE {}").format(name))


def ensure_cohorts(stores: Sequence[Store], events: int, *, seed: int, chunk: int,
                   workers: int, fresh: bool) -> dict[str, dict[str, Any]]:
    """Generate the cohort once into every store that lacks it; return each one's facts.

    ``workers`` processes build and encode chunks of journeys; this process writes each
    chunk to every store with the recorder (one transaction per chunk and store), one
    writer thread per store, so building and writing overlap.
    """
    found = {} if fresh else {s.name: c for s in stores if (c := s.cohort()) is not None}
    missing = [s for s in stores if s.name not in found]
    if not missing:
        return found
    for store in missing:
        store.wipe()
    apps = [CaseTracking(env=store.env, today=lambda: TODAY) for store in missing]
    queues: list[queue.Queue[list[StoredEvent] | None]] = [queue.Queue(4) for _ in apps]
    errors: list[BaseException] = []

    def write(app: CaseTracking, chunks: queue.Queue[list[StoredEvent] | None]) -> None:
        while (stored := chunks.get()) is not None:
            try:
                if not errors:
                    app.recorder.insert_events(stored)
            except BaseException as error:  # reported by the main thread
                errors.append(error)

    writers = [threading.Thread(target=write, args=(app, q)) for app, q in zip(
        apps, queues, strict=True)]
    for writer in writers:
        writer.start()
    started, written, long_id = time.perf_counter(), 0, ""
    try:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            build = partial(stored_chunk, seed=seed, chunk=chunk)
            for first_id, stored in pool.imap(build, itertools.count()):
                long_id = long_id or first_id
                for q in queues:
                    q.put(stored)
                written += len(stored)
                _progress(f"generated {written:,} events "
                          f"({written / (time.perf_counter() - started):,.0f}/s)")
                if written >= events or errors:
                    break
            pool.terminate()
    finally:
        for q in queues:
            q.put(None)
        for writer in writers:
            writer.join()
    try:
        if errors:
            raise errors[0]
        for app in apps:  # the snapshots a save would have taken of the long journey
            for version in range(SNAPSHOT_INTERVAL, LONG_JOURNEY_EVENTS + 1,
                                 SNAPSHOT_INTERVAL):
                app.take_snapshot(UUID(long_id), version=version)
        seconds = round(time.perf_counter() - started, 1)
        for store, app in zip(missing, apps, strict=True):
            facts = {"events": app.max_position(), "long_id": long_id,
                     "generate_s": seconds, "seed": seed}
            assert facts["events"] == written, (facts, written)
            store.marker.write_text(json.dumps(facts))
            found[store.name] = facts
    finally:
        for app in apps:
            app.close()
    return found


def _progress(message: str) -> None:
    print(message, file=__import__("sys").stderr, flush=True)


# Measuring.


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    call()  # warm-up, untimed
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rebuild_in_child(env: Mapping[str, str], url: str | None, data_dir: str, name: str,
                     until: int | None) -> dict[str, Any]:
    """Rebuild projection ``name`` (or count, for ``name="bare"``); run in a fresh process."""
    from infrastructure.projections import ReadModelDatabase, rebuild

    started = time.perf_counter()
    if name == "bare":
        position = bare_count(env, until)
    else:
        engine = ReadModelDatabase.beside(url, Path(data_dir)).engine()
        position = rebuild(name, application_class=CaseTracking, event_store_env=env,
                           engine=engine, today=lambda: TODAY, until=until)
        engine.dispose()
    return {"seconds": time.perf_counter() - started, "position": position,
            "peak_rss_mib": _peak_rss_mib()}


def bare_count(env: Mapping[str, str], until: int | None) -> int:
    """The baseline: the library reading the log in batches into a counting projection."""
    from infrastructure.projections import CATCH_UP_BATCH_SIZE, runner_env

    app = CaseTracking(env=runner_env(env))
    try:
        counts: Counter[str] = Counter()
        position = 0
        while True:
            notifications = app.recorder.select_notifications(
                start=position, limit=CATCH_UP_BATCH_SIZE, stop=until,
                inclusive_of_start=False)
            if not notifications:
                return position
            for notification in notifications:
                counts[type(app.mapper.to_domain_event(notification)).__name__] += 1
            position = notifications[-1].id
    finally:
        app.close()


def in_fresh_process(*args: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(rebuild_in_child, args)  # type: ignore[no-any-return]


def measure(store: Store, cohort: Mapping[str, Any], small: int, *,
            rebuild: bool = True) -> list[tuple[str, ...]]:
    """Return the table rows of one store: (measure, ours, baseline, ours/baseline)."""
    from application.queries import EventFilter
    from infrastructure.projections import ReadModelDatabase
    from infrastructure.readmodels import SQLReadModels

    rows: list[tuple[str, ...]] = []
    env, events = store.env, cohort["events"]
    long_id = UUID(cohort["long_id"])
    app = CaseTracking(env=env, today=lambda: TODAY)
    try:
        journey = app.journey_for_update(long_id)
        assert journey.version == LONG_JOURNEY_EVENTS, journey.version
        bare_ms = timed(lambda: list(app.repository.event_store.get(long_id)), 50)
        for label, replay_ms in _replay(app, long_id).items():
            rows.append((f"replay {label} p50 / p99 ms", _pair(replay_ms), _pair(bare_ms),
                         f"{replay_ms[0] / bare_ms[0]:.1f}x / {replay_ms[1] / bare_ms[1]:.1f}x"))
    finally:
        app.close()

    from infrastructure.migrations import upgrade

    engine = ReadModelDatabase.beside(store.url, store.data_dir).engine()
    upgrade(engine)
    engine.dispose()
    for until in ((small, None) if rebuild else ()):
        size = f"{min(small, events):,}" if until else f"{events:,}"
        bare = in_fresh_process(env, store.url, str(store.data_dir), "bare", until)
        for name in MEASURED:
            ours = in_fresh_process(env, store.url, str(store.data_dir), name, until)
            rate, bare_rate = ours["position"] / ours["seconds"], \
                bare["position"] / bare["seconds"]
            rows.append((f"rebuild {name} @ {size} events: s, events/s",
                         f"{ours['seconds']:.1f} s, {rate:,.0f}/s",
                         f"{bare['seconds']:.1f} s, {bare_rate:,.0f}/s",
                         f"{rate / bare_rate:.2f}"))
            rows.append((f"rebuild {name} @ {size} events: peak RSS MiB",
                         f"{ours['peak_rss_mib']:.0f}", f"{bare['peak_rss_mib']:.0f}",
                         f"{ours['peak_rss_mib'] / bare['peak_rss_mib']:.2f}"))
            _progress(f"{store.name}: {rows[-2]} {rows[-1]}")

    engine = ReadModelDatabase.beside(store.url, store.data_dir).engine()
    try:
        reads = SQLReadModels(engine, CaseTracking.name)
        where = EventFilter(actor=AUDIT_ACTOR, recorded_from=AUDIT_RECORDED[0],
                            recorded_to=AUDIT_RECORDED[1], limit=50)
        found = list(reads.events(where))
        ours_ms = timed(lambda: list(reads.events(where)), 200)
        by_hand, hand_ms = _audit_by_hand(engine)
        assert [r["position"] for r in found] == by_hand, "the two audit answers differ"
        rows.append((f"audit actor + month recorded, {len(found)} rows: p50 / p99 ms",
                     _pair(ours_ms), _pair(hand_ms),
                     f"{ours_ms[0] / hand_ms[0]:.1f}x / {ours_ms[1] / hand_ms[1]:.1f}x"))
    finally:
        engine.dispose()
    return rows


def _replay(app: CaseTracking, long_id: UUID) -> dict[str, tuple[float, float]]:
    """Time reading the long journey: ``measure_replay`` when there is one."""
    actor = Actor("bench", "caseworker", AUTHORITIES[0])
    try:
        from benchmarks.replay import measure_replay
    except ImportError:
        pass
    else:
        found = measure_replay(app, long_id, runs=50, as_at=REPLAY_AS_AT, actor=actor,
                               today=TODAY)
        return {k: v for k, v in found.items() if k.startswith(("cold", "warm_get"))}
    return {"get_journey current": timed(lambda: app.get_journey(long_id, actor=actor), 50),
            "get_journey as_at": timed(lambda: app.get_journey(
                long_id, actor=actor, as_at=REPLAY_AS_AT), 50)}


def _audit_by_hand(engine: Any) -> tuple[list[int], tuple[float, float]]:
    """The audit query as SQL written by hand, on the driver's own connection."""
    postgres = engine.dialect.name == "postgresql"
    m = "%s" if postgres else "?"
    sql = (f"SELECT * FROM rm_event_index WHERE actor_user = {m} AND recorded_at >= {m} "
           f"AND recorded_at <= {m} ORDER BY position LIMIT 50")
    low: datetime | str
    high: datetime | str
    low, high = AUDIT_RECORDED
    if not postgres:  # stored naive in UTC, as text
        low, high = (str(d.replace(tzinfo=None)) for d in AUDIT_RECORDED)
    raw = engine.raw_connection()
    try:
        def query() -> list[Any]:
            cursor = raw.cursor()
            cursor.execute(sql, (AUDIT_ACTOR, low, high))
            found = cursor.fetchall()
            cursor.close()
            raw.commit() if postgres else None
            return found

        positions = [row[0] for row in query()]
        return positions, timed(query, 200)
    finally:
        raw.close()


def _pair(ms: tuple[float, float]) -> str:
    return f"{ms[0]:.2f} / {ms[1]:.2f}"


def machine() -> str:
    return describe()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000,
                        help="the shorter log the rebuild is also measured at (memory)")
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=1000, help="journeys per transaction")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes building the cohort's journeys")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/casetrack-bench"))
    parser.add_argument("--fresh", action="store_true", help="generate the cohort again")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="measure replay and the audit query only (the read models must "
                             "have been built by an earlier run)")
    parser.add_argument("--generate-only", action="store_true",
                        help="make (or check) the cohort, measure nothing")
    args = parser.parse_args()
    key = f"{args.events}_s{args.seed}_v{GENERATOR_VERSION}"
    names = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    server = os.environ.get("CASETRACK_TEST_POSTGRES_URL",
                            "postgresql://postgres@127.0.0.1:5432/postgres")
    from tests.postgres import with_database

    stores = [Store(name, args.data_dir / f"read_path_{key}" / name,
                    None if name == "sqlite" else with_database(
                        server, f"casetrack_bench_rp_{key}"))
              for name in names]
    for store in stores:
        store.data_dir.mkdir(parents=True, exist_ok=True)
    load_before = _load()
    started = time.perf_counter()
    cohorts = ensure_cohorts(stores, args.events, seed=args.seed, chunk=args.chunk,
                             workers=args.workers, fresh=args.fresh)
    generated = time.perf_counter() - started
    if args.generate_only:
        print(json.dumps(cohorts), f"{generated:.0f} s", flush=True)
        return
    table = []
    for store in stores:
        for row in measure(store, cohorts[store.name], args.small,
                           rebuild=not args.no_rebuild):
            table.append((store.name, *row))
    sizes = ", ".join(f"{n} {c['events']:,} events" for n, c in cohorts.items())
    print(f"\nread path, {machine()}; load average {load_before} before, {_load()} after; "
          f"cohort: {sizes}"
          f" (this run spent {generated:.0f} s generating or checking it)\n")
    print("| store | measure | ours | baseline | ours / baseline |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
