"""Kept folded state benchmark (issue 17.2): reads and commands on one journey with the
state kept with the cached journey, beside the same calls refolding the whole journey (the
kept state dropped before each call: the path before issue 17) and beside the library's
cold load of the same journey (snapshot and later events read and decoded, not folded),
interleaved in one run. "Refolded" writes fold the journey once, then the candidate onto
it: the path before issue 17 folded the whole journey twice, so it understates the gain.

    python -m benchmarks.journey_state [--events 200] [--rounds 30] [--store sqlite|postgres]

In-process ``CaseTracking`` on a fresh store (PostgreSQL: CASETRACK_TEST_POSTGRES_URL, a
schema of its own); synthetic journey of ``--events`` events (made-up dates only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from application.tracking import CaseTracking
from benchmarks.machine import describe
from domain.actors import Actor
from infrastructure.persistence import event_store_env

ACTOR = Actor("bench-1", "caseworker", "LA-901")
START = date(2023, 1, 9)


def journey_of(app: CaseTracking, events: int) -> Any:
    child = app.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                               actor=ACTOR, occurred_on=START).child_id
    app.record_event(child, "EHCNeedsAssessmentRequested",
                     {"requester_role": "Parent", "request_source": "1"}, actor=ACTOR,
                     occurred_on=START)
    for n in range(events - 2):
        views(app, child, n)
    return child


def views(app: CaseTracking, child: Any, n: int) -> None:
    app.record_event(child, "FamilyViewsSubmitted", {"author_role": f"author-{n}"},
                     actor=ACTOR, occurred_on=START + timedelta(days=1 + min(n, 5000) // 50))


def measure(app: CaseTracking, child: Any, rounds: int) -> dict[str, tuple[float, float]]:
    def dropped() -> None:  # the path before issue 17: nothing kept, every call refolds
        assert app.repository.cache is not None
        app.repository.cache.get(child).__dict__.pop("_folded", None)

    def library_cold() -> None:  # the library reads the snapshot and later events
        app.repository.get(child, version=10**9)

    counter = iter(range(10**6, 2 * 10**6))
    calls: dict[str, tuple[Callable[[], None], Callable[[], Any]]] = {
        "read, state kept": (lambda: None, lambda: app.get_journey(child, actor=ACTOR)),
        "read, refolded": (dropped, lambda: app.get_journey(child, actor=ACTOR)),
        "write, state kept": (lambda: None, lambda: views(app, child, next(counter))),
        "write, refolded": (dropped, lambda: views(app, child, next(counter))),
        "library cold load": (lambda: None, library_cold),
    }
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):  # interleaved, so load on the machine falls on each alike
        for name, (before, call) in calls.items():
            before()
            w, c = time.perf_counter(), time.process_time()
            call()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    return {name: (statistics.median(wall[name]) * 1000, statistics.median(cpu[name]) * 1000)
            for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    url = os.environ["CASETRACK_TEST_POSTGRES_URL"] if args.store == "postgres" else None
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            from tests.postgres import fresh_schema
            with fresh_schema(url) as schema_url:
                run(event_store_env(schema_url, Path(tmp)), args)
        else:
            run(event_store_env(None, Path(tmp)), args)


def run(env: dict[str, str], args: argparse.Namespace) -> None:
    app = CaseTracking(env=env)
    try:
        child = journey_of(app, args.events)
        results = measure(app, child, args.rounds)
    finally:
        app.close()
    base = results["library cold load"][0]
    print(describe())
    print(f"store {args.store}, journey of {args.events}+ events, {args.rounds} rounds "
          "interleaved; p50 wall ms, p50 CPU ms, wall / library cold load")
    for name, (wall, cpu) in results.items():
        print(f"  {name:28} {wall:8.2f} {cpu:8.2f} {wall / base:6.2f}x")


if __name__ == "__main__":
    main()
