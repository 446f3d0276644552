"""Benchmark the outbox projection (issue 16) against the work tray's, in the same run.

The outbox reads a journey's clocks before and after each event (two clock readings per
event, one carried over); the work tray reads them once per journey per batch. Both
project the same log from position 0 (what the first start after the upgrade does): the
ratio is what the outbox adds to a catch-up.

Builds ``--journeys`` real journeys (``benchmarks.worktray.journey``: registered, a
request received on a spread of days, half decided, assigned) in a fresh SQLite event
store, then times ``infrastructure.projections.rebuild`` of ``worktray`` (the baseline)
and of ``outbox``, ``--repeat`` times each, and prints the median.

    .venv/bin/python -m benchmarks.outbox --journeys 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from application.tracking import CaseTracking
from benchmarks.machine import describe, load_average
from benchmarks.worktray import TODAY, journey
from infrastructure.migrations import upgrade
from infrastructure.persistence import event_store_env
from infrastructure.projections import rebuild
from infrastructure.tracking import ReadModelDatabase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        env = event_store_env(None, data_dir)
        tracking = CaseTracking(env=env)
        rng = random.Random(16)
        for i in range(args.journeys):
            tracking.save(journey(i, f"cw-{i % 3}", rng))
        events = tracking.max_position()
        tracking.close()
        engine = ReadModelDatabase.beside(None, data_dir).engine()
        upgrade(engine)
        seconds = {}
        for name in ("worktray", "outbox"):
            runs = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                rebuild(name, application_class=CaseTracking, event_store_env=env,
                        engine=engine, today=lambda: TODAY)
                runs.append(time.perf_counter() - started)
            seconds[name] = statistics.median(runs)
        engine.dispose()
    print(f"{describe()}, load average {load_average()}")
    print(f"{args.journeys} journeys, {events} events, SQLite, median of {args.repeat}")
    print("| projection | s | events/s | ms/event | vs worktray |")
    print("|---|---|---|---|---|")
    for name, taken in seconds.items():
        print(f"| {name} | {taken:.2f} | {events / taken:,.0f} | {1000 * taken / events:.3f} "
              f"| {taken / seconds['worktray']:.2f} |")


if __name__ == "__main__":
    main()
