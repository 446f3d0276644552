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
user + system CPU from /proc; granian's workers, on SQLite without
the projection process, which idles) and p50 latency.

``--writes N`` adds a row ``POST``: in each round, on each server in turn, 8 keep-alive
clients write N children as ``benchmarks.write_path`` does (per child a POST /children and
two POST /children/{id}/events, each with an Idempotency-Key); its CPU per answer is per
POST, without the projection process (which catches up meanwhile).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import threading
from pathlib import Path

from benchmarks import write_path
from benchmarks.http_aims import CLIENTS, Throughput, measured, serving, throughput
from benchmarks.machine import describe, load_average


def serving_cpu_ms(result: Throughput) -> float:
    """The CPU per answer of the processes that answer (not the projection process)."""
    spent = result.server_cpu_ms()
    return sum(sum(each) for role, each in spent.items() if role != "projections")


WRITES = "POST"
POSTS_PER_CHILD = 3


def writes(server: write_path.Server, children: int, first: int) -> Throughput:
    """8 keep-alive clients write ``children`` children (numbered from ``first``: their
    case references are unique per server) through ``server``: the POSTs answered 201,
    their latencies, and the CPU this process and the server spent."""
    errors: list[BaseException] = []
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            write = write_path.journey_writer(conn, server.token)
            start.wait()
            for n in range(first + i, first + children, CLIENTS):
                write(n, latencies[i])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            conn.close()

    elapsed, cpu, server_cpu = measured(server, run, start, lambda: None)
    if errors:
        raise RuntimeError(f"{len(errors)} writer(s) failed") from errors[0]
    return Throughput(children * POSTS_PER_CHILD, elapsed,
                      [x for each in latencies for x in each], cpu, server_cpu)


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
    parser.add_argument("--paths", default="/livez,/reference",
                        help="paths to GET (none: only --writes)")
    parser.add_argument("--writes", type=int, default=0,
                        help="children to write per round and server (0: no writes)")
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
        written = 0
        if args.writes:
            for server in servers:
                writes(server, CLIENTS, written)
            written += CLIENTS
        for n in range(args.rounds):
            order = list(enumerate(servers))
            for i, server in order if n % 2 == 0 else order[::-1]:
                for path in paths:
                    results.setdefault((i, path), []).append(
                        throughput(server, [path], args.seconds))
                if args.writes:
                    results.setdefault((i, WRITES), []).append(
                        writes(server, args.writes, written))
            written += args.writes
    print(f"{describe()}; load average before: {before}; after: {load_average()}")
    print(f"{args.store}, --workers {args.workers} --threads {args.threads}, 8 clients, "
          f"{args.rounds} rounds x {args.seconds:g} s per path and checkout")
    print(f"{'checkout':<28} {'path':<12} {'answers/s':>10} {'server CPU ms/answer':>21} "
          f"{'median':>7}  {'each round':<30} {'p50 ms':>7}")
    for (i, path), runs in results.items():
        total = runs[0]
        for more in runs[1:]:
            total = total + more
        per_round = " ".join(f"{serving_cpu_ms(r):.3f}" for r in runs)
        median = statistics.median(serving_cpu_ms(r) for r in runs)
        label = f"{str(roots[i])[-24:]} t{threads[i]}"
        print(f"{label:<28} {path:<12} {total.per_second:>10,.0f} "
              f"{serving_cpu_ms(total):>21.3f} {median:>7.3f}  {per_round:<30} "
              f"{total.p50_ms:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
