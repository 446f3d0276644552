"""Access-log benchmark (issue 6): "who looked?" from the index, beside a scan of the log.

    python -m benchmarks.access_log [--looks N] [--children C] [--users U] [--repeat R]

Writes N synthetic looks (made-up child ids and staff ids; C children, U staff) into a
fresh SQLite access log under a temporary directory, in batches of 1,000 per save. Then,
on the same file, answers the first page (100 looks, as ``GET /audit/access`` does) of
a query by child, by actor, by a narrow period (the last 1% of the recording time), and
by child within a period:

- baseline: ``AccessLog.scan`` (the linear scan ADR 0005 started with);
- ours: ``AccessLog.looks`` with the index (``infrastructure.access_index``), after one
  catch-up of the whole log (timed on its own: the one-off cost of building the index).

Each query runs R times; the table shows the median in milliseconds and the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID

from application.access_log import AccessFilter, AccessLog, AccessRecord
from domain.actors import Actor
from infrastructure.access_index import SQLAccessIndex

PAGE = 100


def write_looks(log: AccessLog, looks: int, children: list[UUID], users: list[str]) -> None:
    rng = random.Random(6)
    for start in range(0, looks, 1000):
        records = [AccessRecord(
            child_id=rng.choice(children), kind=rng.choice(("state", "journey", "history")),
            actor=Actor(rng.choice(users), "caseworker", "LA-901"), purpose=None,
            request_id=f"bench-{start + i}", route="/children/<uuid:child_id>")
            for i in range(min(1000, looks - start))]
        log.save(*records)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--looks", type=int, default=100_000)
    parser.add_argument("--children", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(60)
    children = [UUID(int=rng.getrandbits(128), version=4) for _ in range(args.children)]
    users = [f"staff-{n:04d}" for n in range(args.users)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "casetrack-access.sqlite"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        began = time.perf_counter()
        scan_log = AccessLog(env=env)
        write_looks(scan_log, args.looks, children, users)
        written = time.perf_counter() - began
        indexed = AccessLog(env=env, index=SQLAccessIndex.at(f"sqlite:///{path}"))
        began = time.perf_counter()
        indexed.catch_up()
        built = time.perf_counter() - began

        rows = list(scan_log.scan(AccessFilter()))
        first, last = rows[0]["at"], rows[-1]["at"]
        recent = last - (last - first) / 100
        child, user = rows[len(rows) // 2]["child_id"], rows[len(rows) // 2]["actor"]["user_id"]
        queries = {
            "by child": AccessFilter(child_id=child),
            "by actor": AccessFilter(actor=user),
            "by period (last 1%)": AccessFilter(since=recent),
            "by child in a period": AccessFilter(child_id=child, since=first,
                                                 until=first + timedelta(days=1)),
        }
        table = []
        for name, where in queries.items():
            expected = list(islice(scan_log.scan(where), PAGE))
            assert list(islice(indexed.looks(where), PAGE)) == expected, name

            def scan_page(w: AccessFilter = where) -> list[dict[str, Any]]:
                return list(islice(scan_log.scan(w), PAGE))

            def index_page(w: AccessFilter = where) -> list[dict[str, Any]]:
                return list(islice(indexed.looks(w), PAGE))

            baseline = median_ms(scan_page, args.repeat)
            ours = median_ms(index_page, args.repeat)
            table.append((name, len(expected), ours, baseline))
        indexed.close()
        scan_log.close()

    print(f"\naccess log, {args.looks} looks ({args.children} children, {args.users} staff), "
          f"SQLite; {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"writing the looks: {written:.1f} s; building the index (one catch-up): "
          f"{built:.1f} s\n")
    print(f"| query (first page of {PAGE}) | looks | ours: index, ms | baseline: scan, ms "
          "| ours / baseline |")
    print("|---|---|---|---|---|")
    for name, found, ours, baseline in table:
        print(f"| {name} | {found} | {ours:.2f} | {baseline:.1f} | {ours / baseline:.4f} |")


if __name__ == "__main__":
    main()
