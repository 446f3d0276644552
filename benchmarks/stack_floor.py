"""What recording an event over HTTP costs on casetrack's stack at the least, beside what
casetrack spends: CPU per event, 8 clients, each path on a fresh store, the paths taken
in turn round by round (the order alternating) so that each sees the same load.

- ``library``: the bare eventsourcing library in this process (``write_path``'s
  ``bare`` path, the aims' baseline): this process's CPU;
- ``floor``: the same save behind granian and a Flask app with no hooks
  (``benchmarks/stack_floor_app.py``): the server's process tree's CPU;
- ``floor-gc``: the floor saving through casetrack's own application recorders (group
  commit; on PostgreSQL the one-round-trip insert, ADR 0022) instead of the library's;
- ``casetrack``: ``casetrack serve`` as the aims table runs it (``http_aims``'s write
  row; on SQLite with the read models kept current, the projection process counted):
  the server's process tree's CPU.

Issue 17 aims at 1.2 ms of server CPU per event recorded over HTTP. The ``floor`` row is
the part of that no change to casetrack can take away while it records through the
library behind Flask on granian (docs/design.md).

    python -m benchmarks.stack_floor [--stores sqlite,postgres] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import http_aims, write_path
from benchmarks.machine import describe, load_average
from infrastructure.persistence import event_store_env

PATHS = ("library", "floor", "floor-gc", "casetrack")
CLIENTS = 8
THREADS = 8
AIM_MS = 1.2


@dataclass
class Runs:
    """One path's rounds on one store: events/s and server CPU ms per event of each."""

    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    by_role: list[dict[str, float]] = field(default_factory=list)  # casetrack: ms by role


def start_floor(database_url: str | None, data_dir: Path, workers: int, recorder: str
                ) -> write_path.Server:
    """Serve ``stack_floor_app`` with granian (``workers`` processes, 8 threads each),
    saving through ``recorder``'s application recorder (``library`` or ``casetrack``)."""
    store = event_store_env(database_url, data_dir)
    if database_url:  # the tables made once, before the workers start together
        write_path.BareJourneys(env=store if recorder == "casetrack"
                                else write_path.library_recorder(store)).close()
    environ = {**os.environ, "PYTHONPATH": str(write_path.ROOT),
               "STACK_FLOOR_DATA_DIR": str(data_dir),
               "STACK_FLOOR_DATABASE_URL": database_url or "", "STACK_FLOOR_RECORDER": recorder}
    return write_path.start_listening(
        lambda port: [sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1",
                      "--workers", str(workers), "--blocking-threads", str(THREADS),
                      "--log-level", "error", "--port", str(port),
                      "benchmarks.stack_floor_app:app"],
        write_path.ROOT, THREADS, workers, environ)


def run(path: str, store: str, args: argparse.Namespace
        ) -> tuple[float, float, dict[str, float]]:
    """Write ``args.children`` children through ``path`` on a fresh store; return the
    events per second, the CPU ms per event and, for casetrack, those ms by process role
    (``server``, ``worker``, ``projections``)."""
    events = args.children * write_path.EVENTS_PER_CHILD
    workers = args.workers if store == "postgres" else 1
    by_role: dict[str, list[float]] = {}
    with http_aims.fresh(store, args) as (database_url, data_dir):
        if path == "library":
            target = write_path.bare_target(event_store_env(database_url, data_dir))
            try:
                seconds, _, cpu, _ = write_path.drive(target, CLIENTS, args.children)
            finally:
                target.close()
        elif path.startswith("floor"):
            recorder = "casetrack" if path == "floor-gc" else "library"
            target = write_path.server_writes(
                start_floor(database_url, data_dir, workers, recorder))
            try:
                seconds, _, cpu, _ = write_path.drive(target, CLIENTS, args.children)
            finally:
                target.close()
        else:
            with http_aims.serving(args.server_root, database_url, data_dir, THREADS,
                                   workers) as server:
                seconds, by_role, _ = http_aims.http_write_run(
                    server, args.children, current=store == "sqlite")
            cpu = sum(map(sum, by_role.values()))
    return events / seconds, cpu / events * 1000, {
        role: sum(each) / events * 1000 for role, each in by_role.items()}


def table(store: str, workers: int, runs: dict[str, Runs]) -> list[str]:
    library = statistics.median(runs["library"].cpu_ms)
    where = f"postgres --workers {workers}" if store == "postgres" else store
    lines = [f"{where}: {'path':<10} {'events/s':>9} {'CPU ms/event':>13} "
             f"{'/ library':>10}  each round (CPU ms/event)"]
    for path in PATHS:
        cpu = statistics.median(runs[path].cpu_ms)
        each = " ".join(f"{ms:.2f}" for ms in runs[path].cpu_ms)
        lines.append(f"{' ' * len(where)}  {path:<10} {statistics.median(runs[path].rates):>9,.0f}"
                     f" {cpu:>13.2f} {cpu / library:>9.2f}x  {each}")
    roles = runs["casetrack"].by_role
    split = " + ".join(f"{role} {statistics.median(r.get(role, 0.0) for r in roles):.2f}"
                       for role in dict.fromkeys(role for r in roles for role in r))
    lines.append(f"{' ' * len(where)}  casetrack's CPU ms per event by process (medians): "
                 f"{split}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stack_floor",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    http_aims.add_stores_options(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--children", type=int, default=200, help="children per run")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes on PostgreSQL, floor and casetrack (default 2)")
    parser.add_argument("--server-root", type=Path, default=write_path.ROOT,
                        help="the checkout casetrack serves from (default this one)")
    args = parser.parse_args(argv)
    stores = http_aims.chosen_stores(args)
    before, began = load_average(), time.monotonic()
    results: dict[str, dict[str, Runs]] = {}
    for store in stores:
        runs = results[store] = {path: Runs() for path in PATHS}
        for round_ in range(args.rounds):
            for path in PATHS if round_ % 2 == 0 else reversed(PATHS):
                rate, cpu_ms, by_role = run(path, store, args)
                runs[path].rates.append(rate)
                runs[path].cpu_ms.append(cpu_ms)
                runs[path].by_role.append(by_role)
            print(f"  {store}: round {round_ + 1} of {args.rounds} "
                  f"({time.monotonic() - began:.0f} s)", file=sys.stderr)
    print(f"{describe()}; load average before: {before}; after: {load_average()}")
    print(f"{args.children} children x {write_path.EVENTS_PER_CHILD} events per run, "
          f"{CLIENTS} clients, {THREADS} server threads; medians of {args.rounds} rounds; "
          f"issue 17's aim: casetrack <= {AIM_MS} ms of server CPU per event")
    for store, runs in results.items():
        print("\n".join(table(store, args.workers, runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
