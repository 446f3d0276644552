"""Measure the write path: register a child, then record two events, per child.

Three paths on each store, each run on a fresh store of its own, at 1 and at 8
concurrent clients (threads, each writing its own children):

- ``bare``: the eventsourcing library alone, a three-event ``Aggregate`` in a plain
  ``Application`` (load → call → save), with the same event-store settings but the
  library's own application recorder; the writer threads share one application, as the
  server's threads share one;
- ``casetrack``: ``CaseTracking.register_child`` and ``record_event`` in-process (rules,
  clocks, case-reference index, idempotency record per write);
- ``http``: the same through ``casetrack serve`` (granian in a subprocess), one
  keep-alive connection per client, bearer token, JSON in and out, a unique
  ``Idempotency-Key`` on every POST.

Run ``python -m benchmarks.write_path --children 200``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, Transcoding

from benchmarks.machine import cpu_model
from benchmarks.pgwire import CountingProxy, Counts
from infrastructure.persistence import event_store_env, is_postgres

EVENTS_PER_CHILD = 3
WARM_UP_CHILDREN = 5
WARM_UP_BASE = 1_000_000
AUTHORITY = "LA-901"
TODAY = date(2024, 6, 1)
POSTGRES_URL_VARIABLES = ("CASETRACK_BENCH_POSTGRES_URL", "CASETRACK_TEST_POSTGRES_URL")
PATHS = ("bare", "casetrack", "http")
ROOT = Path(__file__).resolve().parent.parent

# A writer writes one child's three events and appends each write's latency (seconds)
# to the list it is given (None during warm-up).
Write = Callable[[int, "list[float] | None"], None]


# The bare library doing the same writes.


class BareJourney(Aggregate):
    """The least the library needs for the same three events."""

    @event("ChildRegistered")
    def __init__(self, authority: str, date_of_birth: date, case_ref: str,
                 occurred_on: date) -> None:
        self.authority = authority
        self.date_of_birth = date_of_birth
        self.case_ref = case_ref
        self.requests: list[dict[str, Any]] = []

    @event("EHCNeedsAssessmentRequested")
    def request_assessment(self, requester_role: str, request_source: str,
                           occurred_on: date) -> None:
        self.requests.append({"received_on": occurred_on, "requester_role": requester_role,
                              "request_source": request_source, "decision": None})

    @event("DecisionToAssessMade")
    def decide_to_assess(self, reasons: str, occurred_on: date) -> None:
        self.requests[-1]["decision"] = "assess"


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BareJourneys(Application):
    name = "bare"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def register(self, case_ref: str) -> UUID:
        journey = BareJourney(AUTHORITY, date(2016, 3, 1), case_ref, date(2024, 1, 2))
        self.save(journey)
        return journey.id  # type: ignore[no-any-return]

    def request_assessment(self, child_id: UUID) -> None:
        journey: BareJourney = self.repository.get(child_id)
        journey.request_assessment("Parent", "1", date(2024, 1, 8))
        self.save(journey)

    def decide_to_assess(self, child_id: UUID) -> None:
        journey: BareJourney = self.repository.get(child_id)
        journey.decide_to_assess("Evidence suggests needs the setting cannot meet.",
                                 date(2024, 2, 5))
        self.save(journey)


def _timed(latencies: list[float] | None, call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    answer = call()
    if latencies is not None:
        latencies.append(time.perf_counter() - started)
    return answer


# Each path: a factory of writers (one per client thread) and a closer.


@dataclass
class Target:
    """What one run writes through: a writer per client thread, and how to stop."""

    new_writer: Callable[[], Write]
    close: Callable[[], None]
    cpu_seconds: Callable[[], float] = time.process_time
    server: Server | None = None
    counts: Callable[[], Counts] | None = None


def bare_target(env: dict[str, str]) -> Target:
    app = BareJourneys(env=library_recorder(env))

    def new_writer() -> Write:
        def write(n: int, latencies: list[float] | None) -> None:
            child_id = _timed(latencies, lambda: app.register(f"BENCH-{n:07d}"))
            _timed(latencies, lambda: app.request_assessment(child_id))
            _timed(latencies, lambda: app.decide_to_assess(child_id))
        return write

    return Target(new_writer, app.close)


def library_recorder(env: dict[str, str]) -> dict[str, str]:
    """Return ``env`` with the library's own application recorder, not casetrack's (one
    round trip, group commit: infrastructure/pgstore.py, sqlitestore.py)."""
    module = "postgres:PostgresApplicationRecorder" if is_postgres(env) else \
        "sqlite:SQLiteApplicationRecorder"
    return env | {"APPLICATION_RECORDER_TOPIC": f"eventsourcing.{module}"}


def casetrack_target(env: dict[str, str]) -> Target:
    from application.idempotency import fingerprint, key_hash
    from application.tracking import CaseTracking, Idempotency
    from domain.actors import Actor

    actor = Actor("bench", "caseworker", AUTHORITY)
    app = CaseTracking(env=env, today=lambda: TODAY)

    def keyed(target: str, body: dict[str, Any]) -> Idempotency:
        # What web.requests.idempotency builds from a fresh Idempotency-Key.
        return Idempotency(key_hash(secrets.token_hex(16)), fingerprint("POST", target, body))

    def new_writer() -> Write:
        def write(n: int, latencies: list[float] | None) -> None:
            case_ref = f"BENCH-{n:07d}"
            child = _timed(latencies, lambda: app.register_child(
                authority=AUTHORITY, date_of_birth=date(2016, 3, 1), actor=actor,
                occurred_on=date(2024, 1, 2), case_ref=case_ref,
                idempotency=keyed("/children", {"case_ref": case_ref})))
            events = f"/children/{child.child_id}/events"
            _timed(latencies, lambda: app.record_event(
                child.child_id, "EHCNeedsAssessmentRequested",
                {"requester_role": "Parent", "request_source": "1"}, actor=actor,
                occurred_on=date(2024, 1, 8),
                idempotency=keyed(events, {"type": "EHCNeedsAssessmentRequested"})))
            _timed(latencies, lambda: app.record_event(
                child.child_id, "DecisionToAssessMade",
                {"assessment_test_met": True,
                 "reasons": "Evidence suggests needs the setting cannot meet."}, actor=actor,
                occurred_on=date(2024, 2, 5),
                idempotency=keyed(events, {"type": "DecisionToAssessMade"})))
        return write

    return Target(new_writer, app.close)


@dataclass
class Server:
    """A ``casetrack serve`` started for a run, and a token its clients send."""

    process: subprocess.Popen[bytes]
    port: int
    threads: int
    workers: int = 1
    token: str = ""
    log: Path | None = None  # the server's stderr (its JSON log lines)
    peak_rss_kib: int | None = None

    def stop(self) -> None:
        self.peak_rss_kib = _vm_hwm_kib(self.process.pid)
        _stop_process(self.process)


def start_server(database_url: str | None, data_dir: Path, threads: int, workers: int = 1,
                 root: Path = ROOT) -> Server:
    """Start ``casetrack serve`` from the checkout ``root`` on the store (``--migrate`` on
    PostgreSQL), wait until it answers ``/livez``, and mint a caseworker's token for it."""
    from web.auth import mint_token

    secret = secrets.token_urlsafe(48)
    environ = {**os.environ, "CASETRACK_ENV": "development", "CASETRACK_DATA_DIR": str(data_dir),
               "CASETRACK_SECRET_KEY": secret, "CASETRACK_LOG_FORMAT": "json",
               "CASETRACK_HOST": "127.0.0.1", "PYTHONPATH": str(root)}
    environ.pop("CASETRACK_DATABASE_URL", None)
    if database_url:
        environ["CASETRACK_DATABASE_URL"] = database_url
    # The server's log (one JSON line per request, on stderr) goes to a file in the run's
    # data directory: the cost of writing it is part of serving, and a failed start
    # can be explained.
    port = free_port()
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--no-demo",
             "--threads", str(threads), *(["--workers", str(workers)] if workers > 1 else []),
             *(["--migrate"] if database_url else [])],
            env=environ, stdout=subprocess.DEVNULL, stderr=log, cwd=root)
    server = Server(process, port, threads, workers, log=log_path)
    try:
        wait_until_live(server)
    except BaseException as error:
        _stop_process(process)
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{error}; server log ends:\n{tail}") from None
    server.token = mint_token(secret, subject="bench", role="caseworker", organisation=AUTHORITY)
    return server


def http_target(database_url: str | None, data_dir: Path, server_threads: int,
                workers: int = 1) -> Target:
    server = start_server(database_url, data_dir, server_threads, workers)
    return server_writes(server)


def server_writes(server: Server, *, stop: bool = True) -> Target:
    """write_path's HTTP writers (one keep-alive connection each) against a running
    ``server``; closing the target closes the connections and (with ``stop``) stops the
    server."""
    connections: list[http.client.HTTPConnection] = []
    lock = threading.Lock()

    def new_writer() -> Write:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        with lock:
            connections.append(conn)
        return journey_writer(conn, server.token)

    def close() -> None:
        for conn in connections:
            conn.close()
        if stop:
            server.stop()

    return Target(new_writer, close, lambda: _tree_cpu_seconds(server.process.pid), server)


def post(conn: http.client.HTTPConnection, token: str, path: str, body: dict[str, Any],
         key: str | None = None) -> tuple[int, bytes]:
    """POST ``body`` as JSON with a bearer token and an Idempotency-Key (a fresh one unless
    ``key``); return the answer's status and body."""
    conn.request("POST", path, body=json.dumps(body), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Connection": "keep-alive", "Idempotency-Key": key or secrets.token_hex(16)})
    response = conn.getresponse()
    return response.status, response.read()


def journey_writer(conn: http.client.HTTPConnection, token: str) -> Write:
    """One client's writer over ``conn``: register a child and record two events (each
    request's latency into ``latencies`` when given)."""

    def created(path: str, body: dict[str, Any], latencies: list[float] | None
                ) -> dict[str, Any]:
        status, data = _timed(latencies, lambda: post(conn, token, path, body))
        if status != 201:
            raise RuntimeError(f"POST {path} answered {status}: {data[:300]!r}")
        answer: dict[str, Any] = json.loads(data)
        return answer

    def write(n: int, latencies: list[float] | None) -> None:
        child = created("/children", registration(n), latencies)
        events = f"/children/{child['child_id']}/events"
        for body in JOURNEY_EVENTS:
            created(events, body, latencies)

    return write


def registration(n: int) -> dict[str, Any]:
    """The body of child ``n``'s ``POST /children`` (its case reference from ``n``)."""
    return {"date_of_birth": "2016-03-01", "occurred_on": "2024-01-02",
            "case_ref": f"BENCH-{n:07d}"}


# The bodies of the two ``POST /children/{id}/events`` after each registration.
JOURNEY_EVENTS: tuple[dict[str, Any], ...] = (
    {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
     "requester_role": "Parent", "request_source": "1"},
    {"type": "DecisionToAssessMade", "assessment_test_met": True, "occurred_on": "2024-02-05",
     "reasons": "Evidence suggests needs the setting cannot meet."},
)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_live(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"casetrack serve exited with {server.process.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            try:
                conn.request("GET", "/livez")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        time.sleep(0.1)
    raise RuntimeError("casetrack serve did not answer /livez in time")


def start_listening(command: Callable[[int], list[str]], cwd: Path, threads: int,
                    workers: int = 1, env: dict[str, str] | None = None) -> Server:
    """Start ``command(port)`` (a server other than casetrack's) on a free port, its output
    discarded; return it once it answers ``/livez`` (stopped, and the error raised, if it
    never does)."""
    port = free_port()
    process = subprocess.Popen(command(port), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    server = Server(process, port, threads, workers)
    try:
        wait_until_live(server)
    except BaseException:
        server.stop()
        raise
    return server


def _vm_hwm_kib(pid: int) -> int | None:
    """Return a process's peak resident set size (VmHWM) in KiB, where /proc has it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _tree_cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds of a process and every process under it
    (granian's workers under its main process, the SQLite server's projection process) from
    /proc (NaN elsewhere)."""
    tree = tree_cpu(pid)
    return sum(seconds for _, seconds in tree.values()) if tree else math.nan


def tree_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Return, for a process and every process under it, its role and its user + system
    CPU seconds so far, from /proc (empty elsewhere, or once the process is gone). The
    role: ``server`` for ``pid``, ``projections`` for a ``casetrack projections``
    process, ``worker`` for any other (granian's)."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, CPU seconds)
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    if pid not in stats:
        return {}
    tree, grew = {pid}, True
    while grew:
        grew = False
        for child, (parent, _) in stats.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return {member: (_role(member, pid), stats[member][1]) for member in tree}


def _role(member: int, root: int) -> str:
    if member == root:
        return "server"
    with contextlib.suppress(OSError):
        if b"projections" in Path(f"/proc/{member}/cmdline").read_bytes():
            return "projections"
    return "worker"


# Fresh stores.


@contextlib.contextmanager
def fresh_sqlite() -> Iterator[tuple[str | None, Path]]:
    with tempfile.TemporaryDirectory(prefix="casetrack-bench-") as data_dir:
        yield None, Path(data_dir)


@contextlib.contextmanager
def fresh_postgres(server_url: str) -> Iterator[tuple[str | None, Path]]:
    """Create a database for one run on the server, and drop it afterwards."""
    import psycopg
    from psycopg.sql import SQL, Identifier

    dbname = f"casetrack_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    try:
        with tempfile.TemporaryDirectory(prefix="casetrack-bench-") as data_dir:
            yield urlunsplit(urlsplit(server_url)._replace(path="/" + dbname)), Path(data_dir)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                Identifier(dbname)))


# Running.


@dataclass
class Result:
    path: str
    store: str
    clients: int
    children: int
    seconds: float
    latencies: list[float] = field(repr=False)
    cpu_seconds: float = math.nan
    peak_rss_kib: int | None = None
    workers: int | None = None  # server processes (http only)
    counted: Counts | None = None  # from a second run of the row through the proxy

    @property
    def events(self) -> int:
        return self.children * EVENTS_PER_CHILD

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the per-write latencies, in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def cpu_cores(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds else math.nan


def drive(target: Target, clients: int, children: int,
          settle: Callable[[], None] | None = None
          ) -> tuple[float, list[float], float, Counts | None]:
    """Write ``children`` children through ``clients`` threads at once.

    Each thread opens its writer, writes its warm-up children (untimed), waits for the
    others (and for ``settle``, called once every warm-up is written, before the timed
    window), then writes its share (children ``i``, ``i + clients``, ...). Returns the wall
    seconds from the common start to the last thread's end, every write's latency and
    the CPU seconds the writing process spent in that window (and what the counting
    proxy saw in it, when the target goes through one).
    """
    warm_up = max(1, math.ceil(WARM_UP_CHILDREN / clients))
    start = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            write = target.new_writer()
            for k in range(warm_up):
                write(WARM_UP_BASE + i * 1000 + k, None)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            start.abort()
            return
        try:
            start.wait()  # every warm-up written
            start.wait()  # settled: go
        except threading.BrokenBarrierError:
            return
        try:
            for n in range(i, children, clients):
                write(n, latencies[i])
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,), name=f"bench-client-{i}")
               for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        start.wait()
        if settle is not None:
            settle()
        start.wait()
    except threading.BrokenBarrierError:
        pass
    except BaseException:
        start.abort()
        for thread in threads:
            thread.join()
        raise
    started, cpu_started = time.perf_counter(), target.cpu_seconds()
    counts_started = target.counts() if target.counts else None
    for thread in threads:
        thread.join()
    seconds, cpu = time.perf_counter() - started, target.cpu_seconds() - cpu_started
    counted = target.counts() - counts_started if target.counts and counts_started else None
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed") from errors[0]
    return seconds, [x for per_client in latencies for x in per_client], cpu, counted


def run_path(path: str, store: str, clients: int, children: int, server_url: str | None,
             server_threads: int, workers: int = 1, *, count: bool = False) -> Result:
    """Run one row on a fresh store; with ``count`` (PostgreSQL), every connection goes
    through a counting proxy (benchmarks/pgwire.py)."""
    fresh = fresh_sqlite() if store == "sqlite" else fresh_postgres(server_url or "")
    with fresh as (database_url, data_dir), _counted(database_url, count) as (
            database_url, proxy):
        env = event_store_env(database_url, data_dir)
        if path == "bare":
            target = bare_target(env)
        elif path == "casetrack":
            target = casetrack_target(env)
        else:
            target = http_target(database_url, data_dir, server_threads, workers)
        if proxy is not None:
            target.counts = proxy.counts
        try:
            seconds, latencies, cpu, counted = drive(target, clients, children)
        finally:
            target.close()
        peak = target.server.peak_rss_kib if target.server else None
        return Result(path, store, clients, children, seconds, latencies, cpu, peak,
                      workers if path == "http" else None, counted)


@contextlib.contextmanager
def _counted(database_url: str | None, count: bool
             ) -> Iterator[tuple[str | None, CountingProxy | None]]:
    """Yield the URL through a counting proxy to the database (unchanged without one)."""
    if database_url is None or not count:
        yield database_url, None
        return
    parts = urlsplit(database_url)
    proxy = CountingProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    try:
        yield urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}",
                                        query="sslmode=disable&gssencmode=disable")), proxy
    finally:
        proxy.close()


# Reporting.


def format_table(results: list[Result]) -> str:
    bare = {(r.store, r.clients): r.events_per_second for r in results if r.path == "bare"}
    header = ("store", "path", "procs", "clients", "events", "seconds", "events/s",
              "vs bare", "p50 ms", "p99 ms", "CPU cores", "CPU ms/event", "trips/event",
              "commits/event", "server peak RSS")
    left = 2  # the first two columns are text
    rows: list[tuple[str, ...] | None] = [header]
    previous_store = None
    for r in results:
        if previous_store is not None and r.store != previous_store:
            rows.append(None)  # a blank line between stores
        previous_store = r.store
        base = bare.get((r.store, r.clients))
        ratio = f"{r.events_per_second / base:.2f}" if base else "-"
        rss = f"{r.peak_rss_kib / 1024:.0f} MiB" if r.peak_rss_kib else "-"
        cores = "-" if math.isnan(r.cpu_cores) else f"{r.cpu_cores:.2f}"
        # CPU seconds of the measured process (the server's over HTTP) per event recorded.
        per_event = ("-" if math.isnan(r.cpu_seconds) or not r.events
                     else f"{r.cpu_seconds / r.events * 1000:.2f}")
        trips = f"{r.counted.round_trips / r.events:.2f}" if r.counted else "-"
        commits = f"{r.counted.commits / r.events:.2f}" if r.counted else "-"
        rows.append((r.store, r.path, str(r.workers or "-"), str(r.clients), str(r.events),
                     f"{r.seconds:.2f}", f"{r.events_per_second:,.0f}", ratio,
                     f"{r.percentile(50) * 1000:.1f}", f"{r.percentile(99) * 1000:.1f}",
                     cores, per_event, trips, commits, rss))
    real = [row for row in rows if row is not None]
    widths = [max(len(row[i]) for row in real) for i in range(len(header))]
    lines = []
    for row in rows:
        if row is None:
            lines.append("")
            continue
        lines.append("  ".join(cell.ljust(w) if i < left else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                     .rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def conditions(args: argparse.Namespace, stores: list[str]) -> list[str]:
    """Describe the machine and the settings the numbers were taken under."""
    from importlib.metadata import version

    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [
        f"machine: {platform.system()} {platform.machine()}, {cpu_model()}, "
        f"{os.cpu_count()} CPUs, {_memory()}; load average before the run: {load}",
        f"software: Python {platform.python_version()}, eventsourcing "
        f"{version('eventsourcing')}, granian {version('granian')}, SQLite "
        f"{sqlite3.sqlite_version}" + (f", PostgreSQL {_postgres_version(args.postgres_url)}"
                                       if "postgres" in stores else ""),
        f"work: {args.children} children x {EVENTS_PER_CHILD} events per run (register + 2 "
        f"events), fresh store per run, best of {max(1, args.repeat)}; "
        f"http: casetrack serve --threads {args.server_threads} (--workers as in procs), "
        f"a unique Idempotency-Key per POST",
        "trips/event, commits/event: PostgreSQL only, from a second run of the row with "
        "every connection through a counting proxy (benchmarks/pgwire.py): ReadyForQuery "
        "messages and committed writing transactions, over events recorded"
        if "postgres" in stores and args.count else "",
    ]
    return [line for line in lines if line]




def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return "RAM unknown"


def _postgres_version(url: str | None) -> str:
    import psycopg

    try:
        with psycopg.connect(url or "", connect_timeout=5) as conn:
            info = conn.info
            major, minor = divmod(info.server_version, 10000)
            fsync = conn.execute("SHOW fsync").fetchone()
            commit = conn.execute("SHOW synchronous_commit").fetchone()
            return (f"{major}.{minor} (fsync={fsync[0] if fsync else '?'}, "
                    f"synchronous_commit={commit[0] if commit else '?'})")
    except psycopg.Error:
        return "?"


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_path",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=200,
                        help="children per run, each registered with two events (default 200)")
    parser.add_argument("--clients", default="1,8",
                        help="comma-separated numbers of concurrent clients (threads) "
                             "(default 1,8)")
    parser.add_argument("--stores", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--paths", default=",".join(PATHS),
                        help="comma-separated: bare, casetrack, http (default all)")
    parser.add_argument("--server-threads", type=int, default=None,
                        help="server threads for the http path (default: the largest "
                             "--clients, at least 8)")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None),
        help="server URL whose user may create databases (default "
             "$CASETRACK_BENCH_POSTGRES_URL or $CASETRACK_TEST_POSTGRES_URL)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per row, each on a fresh store; the fastest is "
                             "reported (default 1)")
    parser.add_argument("--workers", default="1,2",
                        help="comma-separated server processes for the http path on "
                             "PostgreSQL (casetrack serve --workers; SQLite serves one) "
                             "(default 1,2)")
    parser.add_argument("--no-count", dest="count", action="store_false",
                        help="skip the second run of each PostgreSQL row through the "
                             "counting proxy (round trips and commits per event)")
    args = parser.parse_args(argv)
    workers = sorted({int(w) for w in _csv(args.workers)})
    stores = _csv(args.stores)
    paths = _csv(args.paths)
    clients = sorted({int(c) for c in _csv(args.clients)})
    if any(c < 1 for c in clients) or args.children < 1:
        parser.error("--clients and --children must be positive")
    if unknown := [p for p in paths if p not in PATHS]:
        parser.error(f"unknown path(s): {', '.join(unknown)}")
    if args.server_threads is None:
        args.server_threads = max(8, *clients)
    if "postgres" in stores and not args.postgres_url:
        print("postgres skipped: give --postgres-url or set CASETRACK_BENCH_POSTGRES_URL",
              file=sys.stderr)
        stores.remove("postgres")
    if "http" in paths and importlib_missing("web"):
        print("http skipped: the web package is not importable", file=sys.stderr)
        paths.remove("http")

    header = conditions(args, stores)
    results = []
    started = time.perf_counter()
    for store, path, n_workers in rows_to_run(stores, paths, workers):
        for n_clients in clients:
            runs = [run_path(path, store, n_clients, args.children, args.postgres_url,
                             args.server_threads, n_workers)
                    for _ in range(max(1, args.repeat))]
            result = min(runs, key=lambda r: r.seconds)
            if store == "postgres" and args.count:
                result.counted = run_path(path, store, n_clients, args.children,
                                          args.postgres_url, args.server_threads,
                                          n_workers, count=True).counted
            print(f"  {store:<8} {path:<9} {n_workers}p {n_clients:>2} clients "
                  f"{result.events_per_second:>8,.0f} events/s", file=sys.stderr,
                  flush=True)
            results.append(result)
    print(f"write path, {time.strftime('%Y-%m-%d %H:%M')} "
          f"(took {time.perf_counter() - started:.0f} s)")
    print("\n".join(header))
    print()
    print(format_table(results))
    return 0


def rows_to_run(stores: list[str], paths: list[str], workers: list[int]
                ) -> Iterator[tuple[str, str, int]]:
    """Yield (store, path, server processes) for each row: the http path on PostgreSQL
    once per number of workers, everything else once."""
    for store in stores:
        for path in paths:
            for n_workers in (workers if path == "http" and store == "postgres" else [1]):
                yield store, path, n_workers


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


if __name__ == "__main__":
    raise SystemExit(main())
