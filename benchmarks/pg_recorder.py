"""Client CPU per call of casetrack's PostgreSQL recorder (``infrastructure/pgstore.py``):
its insert for an access-log look's one event, a command's two, and a group of eight
writers at once; and its read of a six-event journey, whole and after a snapshot's version.

Same-session A/B: ``--roots /work/main /path/to/tree`` runs each tree's recorder in a
process of its own (``PYTHONPATH`` = the tree), rounds interleaved, each on a fresh
database, and prints microseconds of this process's CPU (``time.process_time``) per call:

    .venv/bin/python -m benchmarks.pg_recorder --roots /work/main . --rounds 3 \\
        --server postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

SHAPES = {"look (1 event)": (1, 1), "command (2 events)": (1, 2),
          "8 writers x 1 event": (8, 1)}
READS = {"select 6 events": None, "select gt=4 (2 events)": 4}
TOPIC = "domain.access:AccessRecorded"
STATE = b'{"who":"0123456789abcdef","what":"journey","why":"casework"}' * 3


def measure(database_url: str, calls: int) -> dict[str, Any]:
    """In this process (whichever tree is on the path): microseconds of CPU per call."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.utils import Environment

    from infrastructure.persistence import event_store_env
    from infrastructure.pgstore import PostgresFactory

    env = {**event_store_env(database_url, Path("/nonexistent")), "CREATE_TABLE": "y"}
    factory = PostgresFactory(Environment("bench", env))
    recorder: Any = factory.application_recorder()
    import infrastructure

    result: dict[str, Any] = {"tree": str(Path(infrastructure.__file__).parent.parent)}
    try:
        for name, (writers, events) in SHAPES.items():
            def batch(writers: int = writers, events: int = events) -> list[Any]:
                return [([StoredEvent(ids, v, TOPIC, STATE) for v in range(1, events + 1)],
                         None) for ids in (uuid4() for _ in range(writers))]
            for _ in range(20):
                recorder._insert_batch(batch())  # warm: prepared statement, pool
            prepared = [batch() for _ in range(calls)]
            started = time.process_time()
            for writes in prepared:
                outcomes = recorder._insert_batch(writes)
                assert all(isinstance(o, list) for o in outcomes), outcomes
            result[name] = (time.process_time() - started) / calls * 1e6
        journey = uuid4()
        recorder._insert_batch([([StoredEvent(journey, v, TOPIC, STATE) for v in range(1, 7)],
                                 None)])
        for name, gt in READS.items():
            for _ in range(20):
                recorder.select_events(journey, gt=gt)
            started = time.process_time()
            for _ in range(calls):
                assert len(recorder.select_events(journey, gt=gt)) == 6 - (gt or 0)
            result[name] = (time.process_time() - started) / calls * 1e6
    finally:
        factory.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get(
        "CASETRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--roots", nargs="+", default=["."])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # a child: this database URL
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.calls)))
        return
    from benchmarks.write_path import fresh_postgres

    rows: dict[str, dict[str, list[float]]] = {root: {} for root in args.roots}
    for _ in range(args.rounds):
        for root in args.roots:
            with fresh_postgres(args.server) as (url, _):
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", str(url),
                     "--calls", str(args.calls)], check=True, capture_output=True, text=True,
                    cwd=root, env={**os.environ, "PYTHONPATH": str(Path(root).resolve())})
            measured = json.loads(out.stdout)
            assert Path(measured.pop("tree")) == Path(root).resolve(), measured
            for name, us in measured.items():
                rows[root].setdefault(name, []).append(us)
    print(f"client CPU per recorder call, us (median of {args.rounds} interleaved rounds, "
          f"{args.calls} calls each)")
    for name in [*SHAPES, *READS]:
        cells = "  ".join(f"{root}: {sorted(rows[root][name])[len(rows[root][name]) // 2]:7.0f}"
                          for root in args.roots)
        print(f"  {name:22} {cells}")


if __name__ == "__main__":
    main()
