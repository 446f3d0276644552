"""Issue 17's HTTP aims, each beside a baseline taken in the same run, on real servers.

    python -m benchmarks.http_aims [--stores sqlite,postgres] [--journeys 8] [--events 200]

On each store (a fresh SQLite directory; a fresh PostgreSQL database, dropped after):
``--journeys`` synthetic journeys of ``--events`` events are saved
(``benchmarks.replay.build_journey``), ``casetrack serve`` is started on the store (waitress,
``--threads``; on SQLite with its embedded projection runners) and, once its read models
have caught up, measured:

- ``GET /children/{id}`` and ``GET /children/{id}/journey`` p50 (one client, keep-alive,
  the journeys in turn, after a warm-up), each over the baseline: the library's cold load
  and replay of the same journeys (``repository.get`` with the journey evicted from the
  cache — the snapshot, the events after it, decoding — and its state folded) in this
  process, on the same store;
- reads/s at 8 clients (``GET /children/{id}`` for ``--seconds``), beside ``GET /livez``
  at 8 clients on the same server (waitress and Flask doing no work: the server's floor);
- on SQLite, HTTP writes at 8 clients with the read models kept current: write_path's
  journeys (register and two events per child, over HTTP) timed until the last answer
  *and* every projection has reached the log's head (polled on ``/readyz``), over the
  bare library writing the same events at 8 clients (``benchmarks.write_path``'s
  ``bare`` path) on a fresh store; the largest lag ``/readyz`` showed during the run is
  printed beside it.

``--server-root DIR`` runs the servers from another checkout (the code before a change,
from ``git worktree add`` or ``git archive``) with this checkout's client and baselines.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from benchmarks import write_path
from benchmarks.machine import describe, load_average
from benchmarks.replay import build_journey, evict
from infrastructure.persistence import event_store_env

AUTHORITY = "LA-901"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Running:
    """A server started for the run, and a token its clients send."""

    server: write_path.Server
    token: str
    log: Path

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}",
                                           "Connection": "keep-alive"})
        response = conn.getresponse()
        return response.status, response.read()


@contextlib.contextmanager
def serving(root: Path, database_url: str | None, data_dir: Path, threads: int
            ) -> Iterator[Running]:
    """Run ``casetrack serve`` from ``root`` on the store; stop it afterwards."""
    from web.auth import mint_token

    secret = secrets.token_urlsafe(48)
    environ = {**os.environ, "CASETRACK_ENV": "development", "CASETRACK_DATA_DIR": str(data_dir),
               "CASETRACK_SECRET_KEY": secret, "CASETRACK_LOG_FORMAT": "json",
               "CASETRACK_HOST": "127.0.0.1", "PYTHONPATH": str(root)}
    environ.pop("CASETRACK_DATABASE_URL", None)
    if database_url:
        environ["CASETRACK_DATABASE_URL"] = database_url
    port = write_path._free_port()  # noqa: SLF001
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--no-demo",
             "--threads", str(threads), *(["--migrate"] if database_url else [])],
            env=environ, stdout=subprocess.DEVNULL, stderr=log, cwd=root)
    server = write_path.Server(process, port, threads)
    try:
        write_path._wait_until_live(server)  # noqa: SLF001
        token = mint_token(secret, subject="bench", role="caseworker", organisation=AUTHORITY)
        yield Running(server, token, log_path)
    except BaseException:
        tail = log_path.read_text(errors="replace")[-1500:]
        print(f"server log ends:\n{tail}", file=sys.stderr)
        raise
    finally:
        write_path._stop_process(process)  # noqa: SLF001


def lag(running: Running) -> int | None:
    """Return the largest projection lag /readyz shows (None when it does not say)."""
    conn = running.connection()
    try:
        status, body = running.get(conn, "/readyz")
    finally:
        conn.close()
    if status != 200:
        return None
    projections = json.loads(body).get("projections") or {}
    return max(projections.values(), default=0)


def wait_current(running: Running, timeout: float = 300.0) -> float:
    """Wait until every projection has reached the log's head; return when (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lag(running) == 0:
            return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError("the read models did not catch up in time")


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def read_latency(running: Running, paths: list[str], runs: int) -> float:
    """Return the p50 ms of GETs of ``paths`` in turn by one keep-alive client."""
    conn = running.connection()
    samples = []
    try:
        for n in range(runs + len(paths) * 3):
            path = paths[n % len(paths)]
            started = time.perf_counter()
            status, body = running.get(conn, path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
            if n >= len(paths) * 3:  # the first rounds warm up
                samples.append(time.perf_counter() - started)
    finally:
        conn.close()
    return p50_ms(samples)


def throughput(running: Running, paths: list[str], clients: int, seconds: float
               ) -> tuple[float, float]:
    """Return the 200 answers per second ``clients`` keep-alive clients got in ``seconds``,
    and their p50 latency in ms."""
    counts = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(i: int) -> None:
        conn = running.connection()
        try:
            running.get(conn, paths[i % len(paths)])
            start.wait()
            n = i
            while not stop.is_set():
                began = time.perf_counter()
                status, body = running.get(conn, paths[n % len(paths)])
                if status != 200:
                    errors.append(f"{status} {body[:200]!r}")
                    return
                latencies[i].append(time.perf_counter() - began)
                counts[i] += 1
                n += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} failed reads, first: {errors[0]}")
    return sum(counts) / elapsed, p50_ms([x for each in latencies for x in each])


def library_cold_load(env: dict[str, str], journeys: list[UUID], runs: int) -> float:
    """Return the p50 ms of the library's cold load and replay of the journeys."""
    from application.tracking import CaseTracking

    app = CaseTracking(env=env)
    samples = []
    try:
        for n in range(runs + len(journeys)):
            journey_id = journeys[n % len(journeys)]
            evict(app, journey_id)()
            started = time.perf_counter()
            app.repository.get(journey_id).state  # noqa: B018 - the replay is the point
            if n >= len(journeys):
                samples.append(time.perf_counter() - started)
    finally:
        app.close()
    return p50_ms(samples)


def build(env: dict[str, str], journeys: int, events: int) -> list[UUID]:
    from application.tracking import CaseTracking

    app = CaseTracking(env=env)
    try:
        return [build_journey(app, events) for _ in range(journeys)]
    finally:
        app.close()


Row = tuple[str, str, float, float, str, str, bool]  # store, aim, ours, base, unit, aim, met


def read_rows(store: str, args: argparse.Namespace, fresh: Any) -> list[Row]:
    with fresh as (database_url, data_dir):
        env = event_store_env(database_url, data_dir)
        ids = build(env, args.journeys, args.events)
        with serving(args.server_root, database_url, data_dir, args.threads) as running:
            if store == "sqlite":
                wait_current(running)
            state = [f"/children/{i}" for i in ids]
            timeline = [f"/children/{i}/journey" for i in ids]
            state_ms = read_latency(running, state, args.runs)
            timeline_ms = read_latency(running, timeline, max(20, args.runs // 4))
            base_ms = library_cold_load(env, ids, args.runs)
            reads, loaded_ms = throughput(running, state, 8, args.seconds)
            floor, _ = throughput(running, ["/livez"], 8, args.seconds)
    title = f"{args.journeys} journeys of {args.events} events"
    rows: list[Row] = [
        (store, f"GET /children/{{id}} p50 ms / library cold load + replay ({title})",
         state_ms, base_ms, "ms", "<= 1.5x", state_ms / base_ms <= 1.5),
        (store, "the same, p50 at 8 clients (the reads/s run)", loaded_ms, base_ms, "ms",
         "<= 1.5x", loaded_ms / base_ms <= 1.5),
        (store, f"GET /children/{{id}}/journey p50 ms / library cold load + replay ({title})",
         timeline_ms, base_ms, "ms", "<= 3x", timeline_ms / base_ms <= 3),
        (store, "reads/s at 8 clients (GET /children/{id}) / GET /livez at 8 clients",
         reads, floor, "/s", ">= 600/s" if store == "postgres" else "-",
         reads >= 600 if store == "postgres" else True),
    ]
    return rows


def write_row(args: argparse.Namespace) -> tuple[Row, int]:
    """HTTP writes at 8 clients until the read models are current, over the bare library."""
    with write_path.fresh_sqlite() as (_, data_dir):
        bare = write_path.bare_target(event_store_env(None, data_dir))
        try:
            seconds = write_path.drive(bare, 8, args.children)[0]
        finally:
            bare.close()
    bare_rate = args.children * write_path.EVENTS_PER_CHILD / seconds
    with write_path.fresh_sqlite() as (_, data_dir), \
            serving(args.server_root, None, data_dir, args.threads) as running:
        wait_current(running)
        target = http_writes(running)
        most = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                most[0] = max(most[0], lag(running) or 0)
                done.wait(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        began = time.monotonic()
        try:
            write_path.drive(target, 8, args.children)
            current = wait_current(running)
        finally:
            done.set()
            watcher.join()
            target.close()
    rate = args.children * write_path.EVENTS_PER_CHILD / (current - began)
    return ("sqlite", "HTTP writes/s at 8 clients, read models current / bare library",
            rate, bare_rate, "/s", ">= 0.3x", rate / bare_rate >= 0.3), most[0]


def http_writes(running: Running) -> write_path.Target:
    """write_path's HTTP writer (register and two events per child) against ``running``."""
    connections: list[http.client.HTTPConnection] = []

    def new_writer() -> write_path.Write:
        conn = running.connection()
        connections.append(conn)
        return write_path.journey_writer(conn, running.token)

    def close() -> None:
        for conn in connections:
            conn.close()

    return write_path.Target(new_writer, close)


def table(rows: list[Row]) -> str:
    lines = ["| store | aim | measure | baseline (same run) | ratio | aim | met? |",
             "|---|---|---|---|---|---|---|"]
    for store, name, ours, base, unit, aim, met in rows:
        number: Callable[[float], str] = (
            (lambda v: f"{v:.2f} ms") if unit == "ms" else (lambda v: f"{v:,.0f}/s"))
        lines.append(f"| {store} | {name} | {number(ours)} | {number(base)} | "
                     f"{ours / base:.2f}x | {aim} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_aims",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--journeys", type=int, default=8)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200, help="GETs per latency (default 200)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput row")
    parser.add_argument("--children", type=int, default=200, help="children per write row")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads")
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="the checkout the servers run from (default this one)")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in write_path.POSTGRES_URL_VARIABLES if os.environ.get(v)), None))
    args = parser.parse_args(argv)
    stores = [s for s in args.stores.split(",") if s]
    if "postgres" in stores and not args.postgres_url:
        print("postgres skipped: give --postgres-url or set CASETRACK_TEST_POSTGRES_URL",
              file=sys.stderr)
        stores.remove("postgres")
    header = f"{describe()}; load average before the run: {load_average()}"
    rows: list[Row] = []
    most_lag = None
    for store in stores:
        fresh = (write_path.fresh_sqlite() if store == "sqlite"
                 else write_path.fresh_postgres(args.postgres_url))
        measured = read_rows(store, args, fresh)
        rows += measured
        print(table(measured), file=sys.stderr, flush=True)  # kept if a later row fails
    if "sqlite" in stores:
        row, most_lag = write_row(args)
        rows.append(row)
    print(f"HTTP aims (issue 17), {time.strftime('%Y-%m-%d %H:%M')}; server code: "
          f"{args.server_root}")
    print(header + f"; after: {load_average()}")
    print()
    print(table(rows))
    if most_lag is not None:
        print(f"\nlargest projection lag /readyz showed while writing: {most_lag} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
