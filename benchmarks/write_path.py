"""Measure the write path: register a child, then record two events, per child.

Three paths on each store, each on a fresh store of its own:

- ``bare``: the eventsourcing library alone, a three-event ``Aggregate`` in a plain
  ``Application`` (load → call → save), with the same event-store settings;
- ``casetrack``: ``CaseTracking.register_child`` and ``record_event`` (rules, clocks,
  case-reference index, idempotency);
- ``http``: the same through ``casetrack serve`` (waitress in a subprocess), one
  keep-alive client connection, bearer token, JSON in and out.

Run ``python -m benchmarks.write_path --children 200``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, Transcoding

from infrastructure.persistence import event_store_env

EVENTS_PER_CHILD = 3
WARM_UP_CHILDREN = 5
AUTHORITY = "LA-901"
TODAY = date(2024, 6, 1)
POSTGRES_URL_VARIABLES = ("CASETRACK_BENCH_POSTGRES_URL", "CASETRACK_TEST_POSTGRES_URL")


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


# One child's writes on each path.


def bare_path(env: dict[str, str]) -> tuple[Callable[[int], None], Callable[[], None]]:
    app = BareJourneys(env=env)

    def write(n: int) -> None:
        child_id = app.register(f"BENCH-{n:06d}")
        app.request_assessment(child_id)
        app.decide_to_assess(child_id)

    return write, app.close


def casetrack_path(env: dict[str, str]) -> tuple[Callable[[int], None], Callable[[], None]]:
    from application.tracking import CaseTracking
    from domain.actors import Actor

    actor = Actor("bench", "caseworker", AUTHORITY)
    app = CaseTracking(env=env, today=lambda: TODAY)

    def write(n: int) -> None:
        child = app.register_child(authority=AUTHORITY, date_of_birth=date(2016, 3, 1),
                                   actor=actor, occurred_on=date(2024, 1, 2),
                                   case_ref=f"BENCH-{n:06d}")
        app.record_event(child.child_id, "EHCNeedsAssessmentRequested",
                         {"requester_role": "Parent", "request_source": "1"}, actor=actor,
                         occurred_on=date(2024, 1, 8))
        app.record_event(child.child_id, "DecisionToAssessMade",
                         {"reasons": "Evidence suggests needs the setting cannot meet."},
                         actor=actor, occurred_on=date(2024, 2, 5))

    return write, app.close


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    peak_rss_kib: int | None = None


def http_path(database_url: str | None, data_dir: Path, server_out: list[Server]
              ) -> tuple[Callable[[int], None], Callable[[], None]]:
    from web.auth import mint_token

    secret = secrets.token_urlsafe(48)
    port = _free_port()
    environ = {**os.environ, "CASETRACK_ENV": "development", "CASETRACK_DATA_DIR": str(data_dir),
               "CASETRACK_SECRET_KEY": secret, "CASETRACK_LOG_FORMAT": "json",
               "CASETRACK_HOST": "127.0.0.1"}
    environ.pop("CASETRACK_DATABASE_URL", None)
    if database_url:
        environ["CASETRACK_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--no-demo"],
        env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent)
    server = Server(process, port)
    server_out.append(server)
    _wait_until_live(server)
    token = mint_token(secret, subject="bench", role="caseworker", organisation=AUTHORITY)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Connection": "keep-alive"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST {path} answered {response.status}: {data[:300]!r}")
        answer: dict[str, Any] = json.loads(data)
        return answer

    def write(n: int) -> None:
        child = post("/children", {"date_of_birth": "2016-03-01", "occurred_on": "2024-01-02",
                                   "case_ref": f"BENCH-{n:06d}"})
        events = f"/children/{child['child_id']}/events"
        post(events, {"type": "EHCNeedsAssessmentRequested", "occurred_on": "2024-01-08",
                      "requester_role": "Parent", "request_source": "1"})
        post(events, {"type": "DecisionToAssessMade", "occurred_on": "2024-02-05",
                      "reasons": "Evidence suggests needs the setting cannot meet."})

    def stop() -> None:
        conn.close()
        server.peak_rss_kib = _vm_hwm_kib(process.pid)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    return write, stop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_live(server: Server, timeout: float = 30.0) -> None:
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


def _vm_hwm_kib(pid: int) -> int | None:
    """Return a process's peak resident set size (VmHWM) in KiB, where /proc has it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


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


# Running and reporting.


@dataclass
class Result:
    path: str
    store: str
    children: int
    seconds: float
    peak_rss_kib: int | None = None

    @property
    def events(self) -> int:
        return self.children * EVENTS_PER_CHILD

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


def run_path(path: str, store: str, children: int, server_url: str | None) -> Result:
    fresh = fresh_sqlite() if store == "sqlite" else fresh_postgres(server_url or "")
    with fresh as (database_url, data_dir):
        servers: list[Server] = []
        env = event_store_env(database_url, data_dir)
        if path == "bare":
            write, close = bare_path(env)
        elif path == "casetrack":
            write, close = casetrack_path(env)
        else:
            write, close = http_path(database_url, data_dir, servers)
        try:
            for n in range(WARM_UP_CHILDREN):
                write(1_000_000 + n)
            started = time.perf_counter()
            for n in range(children):
                write(n)
            seconds = time.perf_counter() - started
        finally:
            close()
        peak = servers[0].peak_rss_kib if servers else None
        return Result(path, store, children, seconds, peak)


def format_table(results: list[Result]) -> str:
    bare = {r.store: r.events_per_second for r in results if r.path == "bare"}
    header = ("path", "store", "children", "events", "seconds", "events/s", "vs bare",
              "server peak RSS")
    rows = [header]
    for r in results:
        ratio = f"{r.events_per_second / bare[r.store]:.2f}x" if r.store in bare else "-"
        rss = f"{r.peak_rss_kib / 1024:.0f} MiB" if r.peak_rss_kib else "-"
        rows.append((r.path, r.store, str(r.children), str(r.events), f"{r.seconds:.2f}",
                     f"{r.events_per_second:,.0f}", ratio, rss))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_path",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=200,
                        help="children per run, each registered with two events (default 200)")
    parser.add_argument("--stores", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--paths", default="bare,casetrack,http",
                        help="comma-separated: bare, casetrack, http (default all)")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None),
        help="server URL whose user may create databases (default "
             "$CASETRACK_BENCH_POSTGRES_URL or $CASETRACK_TEST_POSTGRES_URL)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per path and store, each on a fresh store; the fastest "
                             "is reported (default 1)")
    args = parser.parse_args(argv)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if "postgres" in stores and not args.postgres_url:
        print("postgres skipped: give --postgres-url or set CASETRACK_BENCH_POSTGRES_URL",
              file=sys.stderr)
        stores.remove("postgres")
    if "http" in paths and importlib_missing("web"):
        print("http skipped: the web package is not importable", file=sys.stderr)
        paths.remove("http")

    results = []
    for store in stores:
        for path in paths:
            runs = [run_path(path, store, args.children, args.postgres_url)
                    for _ in range(max(1, args.repeat))]
            result = min(runs, key=lambda r: r.seconds)
            print(f"  {path:<9} {store:<8} {result.events_per_second:>8,.0f} events/s",
                  file=sys.stderr, flush=True)
            results.append(result)
    print(f"write path: {args.children} children x {EVENTS_PER_CHILD} events, one client, "
          f"sequential, best of {max(1, args.repeat)}; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    print(format_table(results))
    return 0


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


if __name__ == "__main__":
    raise SystemExit(main())
