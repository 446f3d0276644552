"""The server's floor: CPU per request of the cheapest answers, servers from several
checkouts side by side (same-session A/B), on real ``casetrack serve`` processes.

    python -m benchmarks.floor --roots /work/main,. [--store sqlite|postgres]
        [--workers 1] [--threads 8] [--seconds 3] [--rounds 4] [--paths /livez,/reference]

One server per checkout (``--roots``), each on a fresh store, started together; then, in
``--rounds`` rounds (the checkouts' order alternating round by round), 8 keep-alive
clients (``benchmarks.http_aims.throughput``) GET each of ``--paths`` for ``--seconds``
on each server in turn, so that every server sees the same load. ``/livez`` is public;
``/reference`` (the code lists) is a cheap authenticated read (a caseworker's token).
Printed per checkout and path: answers/s, the server's CPU per answer (its process tree's
user + system CPU from /proc; under ``--workers`` the gunicorn workers, on SQLite without
the projection process, which idles) and p50 latency.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
from pathlib import Path

from benchmarks import write_path
from benchmarks.http_aims import Throughput, serving, throughput
from benchmarks.machine import describe, load_average


def serving_cpu_ms(result: Throughput) -> float:
    """The CPU per answer of the processes that answer (not the projection process)."""
    spent = result.server_cpu_ms()
    return sum(sum(each) for role, each in spent.items() if role != "projections")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--roots", default=f"/work/main,{write_path.ROOT}",
                        help="comma-separated checkouts to serve from")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", default="8",
                        help="the servers' threads: one number, or one per checkout")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--paths", default="/livez,/reference")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in write_path.POSTGRES_URL_VARIABLES if os.environ.get(v)), None))
    args = parser.parse_args(argv)
    roots = [Path(r).resolve() for r in args.roots.split(",") if r]
    paths = [p for p in args.paths.split(",") if p]
    threads = [int(t) for t in args.threads.split(",")]
    threads = threads * len(roots) if len(threads) == 1 else threads
    before = load_average()
    results: dict[tuple[int, str], list[Throughput]] = {}
    with contextlib.ExitStack() as stack:
        servers = []
        for root, each in zip(roots, threads, strict=True):
            database_url, data_dir = stack.enter_context(
                write_path.fresh_sqlite() if args.store == "sqlite"
                else write_path.fresh_postgres(args.postgres_url))
            servers.append(stack.enter_context(
                serving(root, database_url, data_dir, each, args.workers)))
        for path in paths:  # warm every server up
            for server in servers:
                throughput(server, [path], 0.5)
        for n in range(args.rounds):
            order = list(enumerate(servers))
            for i, server in order if n % 2 == 0 else order[::-1]:
                for path in paths:
                    results.setdefault((i, path), []).append(
                        throughput(server, [path], args.seconds))
    print(f"{describe()}; load average before: {before}; after: {load_average()}")
    print(f"{args.store}, --workers {args.workers} --threads {args.threads}, 8 clients, "
          f"{args.rounds} rounds x {args.seconds:g} s per path and checkout")
    print(f"{'checkout':<28} {'path':<12} {'answers/s':>10} {'server CPU ms/answer':>21} "
          f"{'median':>7}  {'each round':<30} {'p50 ms':>7}")
    for (i, path), runs in results.items():
        total = runs[0]
        for more in runs[1:]:
            total = total + more
        each = " ".join(f"{serving_cpu_ms(r):.3f}" for r in runs)
        median = statistics.median(serving_cpu_ms(r) for r in runs)
        label = f"{str(roots[i])[-24:]} t{threads[i]}"
        print(f"{label:<28} {path:<12} {total.per_second:>10,.0f} "
              f"{serving_cpu_ms(total):>21.3f} {median:>7.3f}  {each:<30} "
              f"{total.p50_ms:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
