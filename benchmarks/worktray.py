"""Benchmark the work tray (issue 16): one caseworker's tray of ``--cases`` cases.

Builds ``--workers`` × ``--cases`` real journeys (registered, a request received on a
spread of days, half decided, each assigned to a worker), writes the work-tray
projection's own rows for them (``infrastructure.worktray.tray_rows``) into a fresh
read-model database (SQLite, or PostgreSQL with ``--url``), then times, ``--repeat``
times, p50 and p99:

- ``GET /worktray``'s use case (``application.worktray.work_tray``): the worker's cases
  and readings read, each reading's status and days late derived as at today, ordered;
- ``GET /notifications``'s use case on the same cases;
- the baseline, measured in the same run: one SQL statement fetching the same worker's
  stored readings (a join of the two tray tables), with no derivation or ordering.

    .venv/bin/python -m benchmarks.worktray --workers 3 --cases 200
    .venv/bin/python -m benchmarks.worktray --workers 3 --cases 200 \
        --url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from application.notifications import notifications
from application.worktray import TrayFilter, work_tray
from benchmarks.machine import describe
from domain.actors import Actor
from domain.journey import ChildJourney
from infrastructure.migrations import upgrade
from infrastructure.readmodels import SQLReadModels, make_engine
from infrastructure.tracking import insert_rows
from infrastructure.worktray import TrayCase, TrayClock, tray_rows

AUTHORITY = "LA-BENCH"
TODAY = date(2025, 6, 2)
MANAGER = Actor("mgr-bench", "manager", AUTHORITY)

BASELINE = """
    SELECT c.child_id, c.case_ref, k.reading FROM rm_tray_case c
    JOIN rm_tray_clock k ON k.child_id = c.child_id
    WHERE c.assigned_organisation = :organisation AND c.assigned_to = :worker"""


def journey(i: int, worker: str, rng: random.Random) -> ChildJourney:
    received = TODAY - timedelta(days=rng.randrange(1, 200))
    child = ChildJourney.register(authority=AUTHORITY, date_of_birth=date(2015, 5, 5),
                                  actor=MANAGER, occurred_on=received, today=TODAY,
                                  case_ref=f"BENCH-{i:06d}")
    child.record("EHCNeedsAssessmentRequested", {"requester_role": "Parent",
                                                 "request_source": "1"},
                 actor=MANAGER, occurred_on=received, today=TODAY)
    if rng.random() < 0.5:
        child.record("DecisionToAssessMade", {"assessment_test_met": True,
                                              "reasons": "May need a plan"}, actor=MANAGER,
                     occurred_on=min(TODAY, received + timedelta(days=rng.randrange(20, 60))),
                     today=TODAY)
    child.record("CaseAssigned", {"assigned_to": worker, "assigned_organisation": AUTHORITY},
                 actor=MANAGER, occurred_on=TODAY, today=TODAY)
    return child


def generate(engine: Any, workers: int, cases: int, seed: int) -> None:
    rng = random.Random(seed)
    for w in range(workers):
        rows: dict[Any, list[dict[str, Any]]] = {TrayCase: [], TrayClock: []}
        for n in range(cases):
            for table, table_rows in tray_rows(
                    journey(w * cases + n, f"cw-{w}", rng), TODAY).items():
                rows[table].extend(table_rows)
        with engine.begin() as conn:
            insert_rows(conn, TrayCase, rows[TrayCase])
            insert_rows(conn, TrayClock, rows[TrayClock])


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1,
                                               round(0.99 * (len(times) - 1)))]


def measure(engine: Any, repeat: int) -> list[tuple[str, int, float, float]]:
    store = SQLReadModels(engine, "CaseTracking")
    worker = Actor("cw-0", "caseworker", AUTHORITY)

    def tray() -> int:
        return len(work_tray(store, actor=worker, where=TrayFilter(), today=TODAY)["items"])

    def reminders() -> int:
        return len(notifications(store, actor=worker, today=TODAY, within_days=14)["items"])

    def baseline() -> int:
        with engine.connect() as conn:
            return len(conn.execute(text(BASELINE), {
                "organisation": AUTHORITY, "worker": "cw-0"}).all())

    return [(name, fn(), *timed(fn, repeat)) for name, fn in (
        ("GET /worktray", tray), ("GET /notifications", reminders),
        ("baseline: one SELECT", baseline))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--cases", type=int, default=200, help="cases per worker")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default=None, help="PostgreSQL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.url:
            from tests.postgres import fresh_schema

            with fresh_schema(args.url) as url:
                from infrastructure.tracking import ReadModelDatabase

                run(ReadModelDatabase.beside(url, Path(folder)).engine(), "PostgreSQL", args)
        else:
            run(make_engine(f"sqlite:///{Path(folder) / 'rm.sqlite'}"), "SQLite", args)


def run(engine: Any, store: str, args: argparse.Namespace) -> None:
    upgrade(engine)
    generate(engine, args.workers, args.cases, args.seed)
    rows = measure(engine, args.repeat)
    engine.dispose()
    base = rows[-1][2]
    print(f"\nwork tray, {store}: {args.workers} workers x {args.cases} cases; "
          f"{describe()}")
    print(f"| {'path':22} | {'rows':>6} | {'p50 ms':>8} | {'p99 ms':>8} | {'x baseline':>10} |")
    print("|------------------------|-------:|---------:|---------:|-----------:|")
    for name, count, p50, p99 in rows:
        print(f"| {name:22} | {count:6} | {p50 * 1000:8.2f} | {p99 * 1000:8.2f} | "
              f"{p50 / base:10.1f} |")


if __name__ == "__main__":
    main()
