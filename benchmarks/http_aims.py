"""Issue 17's aims table, each aim beside a baseline taken in the same run, on real servers.

    python -m benchmarks.http_aims [--stores sqlite,postgres] [--journeys 8] [--events 200]

Every server is ``casetrack serve`` (granian, ``--threads`` per worker; ``--workers``
on PostgreSQL; on SQLite with its projection process) on a fresh store (a SQLite
directory; a PostgreSQL database, dropped after). On each store:

- reads: ``--journeys`` synthetic journeys of ``--events`` events are saved
  (``benchmarks.replay.build_journey``), a server is started (on PostgreSQL with
  ``--workers``) and, once its read models have caught up, measured:
  ``GET /children/{id}`` and ``GET /children/{id}/journey`` p50 (one client, keep-alive,
  the journeys in turn, after a warm-up), each over the library's cold load and replay
  of the same journeys (``repository.get`` with the journey evicted from the cache, its
  state folded) in this process on the same store, the three in interleaved batches;
  then reads/s at 8 clients (``GET /children/{id}`` for ``--seconds``) beside
  ``GET /livez`` at 8 clients on the same server (the server's floor), alternated. The
  GETs go through ``Client``, a keep-alive client on a bare socket, so that the load
  generator costs the shared CPUs little; its own CPU per request is measured and
  printed under the table.
- writes: ``benchmarks.write_path``'s journeys (register and two events per child) at 8
  clients, over the bare library writing the same events at 8 clients on a fresh store
  (``write_path``'s ``bare`` path), in ``--write-rounds`` (3) rounds, the two alternating
  which goes first; each write aim is the median of its rounds' same-round figures (a
  single run of either varies by a tenth here, enough to turn "yes" into "NO"). On
  PostgreSQL the server has ``--write-workers`` (2) processes and the time runs to the
  last answer; on SQLite it runs until the last
  answer *and* every projection has reached the log's head (polled on ``/readyz``).
  The server's CPU per event recorded is its process tree's user + system CPU (from
  /proc) from the timed start to the last answer (on SQLite the projection process, in
  the tree, to its catching up), over the bare library's (this process's) per event.
- 409s: on the same server, 16 writers (a keep-alive connection each) record
  ``--hot-writes`` events each on one journey at once, each write with its own
  Idempotency-Key, and retry a 409 ``concurrent-write`` with the same key, as a client
  would; the rate is the 409s over the requests sent. Then the journey must hold every
  write exactly once: its version is the writes plus its first two (registration and the
  request), and the timeline shows each writer's event once.

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
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from benchmarks import write_path
from benchmarks.machine import describe, load_average
from benchmarks.replay import build_journey, evict
from infrastructure.persistence import event_store_env

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
HOT_WRITERS = 16
HOT_RETRIES = 100  # a client gives up on a write after this many 409s in a row
ROUNDS = 4  # interleaved batches of the read latencies and of their baseline


class Client:
    """A keep-alive HTTP/1.1 client for GETs on a bare socket: one pre-built request, the
    answer read by its Content-Length (a tenth of ``http.client``'s CPU per request)."""

    def __init__(self, server: write_path.Server) -> None:
        self.port = server.port
        self.head = (f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {server.token}"
                     "\r\n\r\n").encode()
        self.sock: socket.socket | None = None
        self.buffer = b""

    def get(self, path: str) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
        status_line, *lines = self._take(lambda data: data.find(b"\r\n\r\n"), 4).split(b"\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" not in headers:
            raise RuntimeError(f"GET {path}: an answer without Content-Length: {headers}")
        length = int(headers[b"content-length"])
        body = self._take(lambda data: length if len(data) >= length else -1, 0)
        if headers.get(b"connection") == b"close":
            self.close()
        return int(status_line.split()[1]), body

    def _take(self, end_of: Callable[[bytes], int], skip: int) -> bytes:
        """Return the buffer up to ``end_of(buffer)`` (reading until it is not -1), and
        drop it and ``skip`` bytes after it from the buffer."""
        assert self.sock is not None
        while (end := end_of(self.buffer)) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        taken, self.buffer = self.buffer[:end], self.buffer[end + skip:]
        return taken

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


@contextlib.contextmanager
def serving(root: Path, database_url: str | None, data_dir: Path, threads: int,
            workers: int = 1) -> Iterator[write_path.Server]:
    """Run ``casetrack serve`` from ``root`` on the store; stop it afterwards."""
    server = write_path.start_server(database_url, data_dir, threads, workers, root)
    try:
        yield server
    except BaseException:
        if server.log is not None:
            tail = server.log.read_text(errors="replace")[-1500:]
            print(f"server log ends:\n{tail}", file=sys.stderr)
        raise
    finally:
        server.stop()


def lag(server: write_path.Server) -> int | None:
    """Return the largest projection lag /readyz shows (None when it does not say)."""
    client = Client(server)
    try:
        status, body = client.get("/readyz")
    finally:
        client.close()
    if status != 200:
        return None
    projections = json.loads(body).get("projections") or {}
    return max(projections.values(), default=0)


def wait_current(server: write_path.Server, timeout: float = 300.0) -> float:
    """Wait until every projection has reached the log's head; return when (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lag(server) == 0:
            return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError("the read models did not catch up in time")


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed_gets(client: Client, paths: list[str], runs: int) -> list[float]:
    """GET ``paths`` in turn ``runs`` times on ``client``; return each GET's seconds."""
    samples = []
    for n in range(runs):
        path = paths[n % len(paths)]
        started = time.perf_counter()
        status, body = client.get(path)
        samples.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return samples


def cold_loads(app: Any, journeys: list[UUID], runs: int) -> list[float]:
    """The library's cold load and replay of the journeys in turn, ``runs`` times: the
    journey evicted from the aggregate cache, ``repository.get``, its state folded."""
    samples = []
    for n in range(runs):
        journey_id = journeys[n % len(journeys)]
        evict(app, journey_id)()
        started = time.perf_counter()
        app.repository.get(journey_id).state  # noqa: B018 - the replay is the point
        samples.append(time.perf_counter() - started)
    return samples


def latencies(server: write_path.Server, env: dict[str, str], ids: list[UUID], runs: int
              ) -> tuple[float, float, float]:
    """Return the p50 ms of ``GET /children/{id}``, of its timeline (one keep-alive
    client, the journeys in turn) and of the library's cold load and replay of the same
    journeys, taken in ``ROUNDS`` interleaved batches so that each sees the same load,
    after a warm-up of three rounds of each."""
    from application.tracking import CaseTracking

    state = [f"/children/{i}" for i in ids]
    timeline = [f"/children/{i}/journey" for i in ids]
    app = CaseTracking(env=env)
    client = Client(server)
    samples: tuple[list[float], list[float], list[float]] = ([], [], [])
    try:
        timed_gets(client, state + timeline, 6 * len(ids))
        cold_loads(app, ids, len(ids))
        for _ in range(ROUNDS):
            samples[0].extend(timed_gets(client, state, max(1, runs // ROUNDS)))
            samples[1].extend(timed_gets(client, timeline, max(5, runs // 4 // ROUNDS)))
            samples[2].extend(cold_loads(app, ids, max(1, runs // ROUNDS)))
    finally:
        client.close()
        app.close()
    return p50_ms(samples[0]), p50_ms(samples[1]), p50_ms(samples[2])


@dataclass
class Throughput:
    answers: int  # 200 answers
    seconds: float
    latencies: list[float]  # each answer's seconds
    client_cpu: float  # this process's CPU seconds (the load generator's cost)
    server_cpu: dict[str, list[float]]  # the server tree's CPU seconds, by process

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(self.answers + other.answers, self.seconds + other.seconds,
                          self.latencies + other.latencies, self.client_cpu + other.client_cpu,
                          {role: [x + y for x, y in zip(
                              each, other.server_cpu.get(role, [0.0] * len(each)), strict=True)]
                           for role, each in self.server_cpu.items()})

    @property
    def per_second(self) -> float:
        return self.answers / self.seconds

    @property
    def p50_ms(self) -> float:
        return p50_ms(self.latencies)

    @property
    def client_cpu_ms(self) -> float:
        return self.client_cpu / max(self.answers, 1) * 1000

    @property
    def client_cores(self) -> float:
        return self.client_cpu / self.seconds

    def server_cpu_ms(self) -> dict[str, list[float]]:
        return {role: [x / max(self.answers, 1) * 1000 for x in each]
                for role, each in self.server_cpu.items()}


def measured(server: write_path.Server, run: Callable[[int], None], start: threading.Barrier,
             window: Callable[[], None]) -> tuple[float, float, dict[str, list[float]]]:
    """Run ``run(i)`` in ``CLIENTS`` threads, each waiting at ``start`` once ready; from
    there, through ``window`` and until every thread ends: the wall seconds, this
    process's CPU seconds and the server tree's (``cpu_by_role``)."""
    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    server_began = write_path.tree_cpu(server.process.pid)
    began, cpu = time.perf_counter(), time.process_time()
    window()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return elapsed, cpu, cpu_by_role(server_began, write_path.tree_cpu(server.process.pid))


def throughput(server: write_path.Server, paths: list[str], seconds: float) -> Throughput:
    """8 keep-alive clients (threads) GET ``paths`` in turn for ``seconds``: the 200
    answers, their latencies, and the CPU this process and the server spent. Each client
    GETs every path once first (every worker's cache warm)."""
    counts = [0] * CLIENTS
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    start = threading.Barrier(CLIENTS + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        client = Client(server)
        try:
            for path in paths:
                client.get(path)
            start.wait()
            n = i
            while not stop.is_set():
                began = time.perf_counter()
                status, body = client.get(paths[n % len(paths)])
                if status != 200:
                    errors.append(f"{status} {body[:200]!r}")
                    return
                latencies[i].append(time.perf_counter() - began)
                counts[i] += 1
                n += 1
        finally:
            client.close()

    def window() -> None:
        time.sleep(seconds)
        stop.set()

    elapsed, cpu, server_cpu = measured(server, run, start, window)
    if errors:
        raise RuntimeError(f"{len(errors)} failed reads, first: {errors[0]}")
    return Throughput(sum(counts), elapsed, [x for each in latencies for x in each], cpu,
                      server_cpu)


def reads_and_floor(server: write_path.Server, paths: list[str], seconds: float
                    ) -> tuple[Throughput, Throughput]:
    """``GET paths`` and ``GET /livez`` at 8 clients for ``seconds`` each, alternated in
    two halves, so that both see the same load."""
    reads = floor = None
    for _ in range(2):
        more = throughput(server, paths, seconds / 2)
        reads = more if reads is None else reads + more
        more = throughput(server, ["/livez"], seconds / 2)
        floor = more if floor is None else floor + more
    assert reads is not None and floor is not None
    return reads, floor


def cpu_by_role(began: dict[int, tuple[str, float]], ended: dict[int, tuple[str, float]]
                ) -> dict[str, list[float]]:
    """The CPU seconds each process of a server's tree spent between two ``tree_cpu``
    readings, grouped by role (the server first, then in pid order)."""
    spent: dict[str, list[float]] = {}
    for pid, (role, seconds) in sorted(ended.items(), key=lambda item: (
            item[1][0] != "server", item[0])):
        spent.setdefault(role, []).append(seconds - began.get(pid, (role, 0.0))[1])
    return spent


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


@dataclass
class Reads:
    state_ms: float
    timeline_ms: float
    base_ms: float
    reads: Throughput
    floor: Throughput
    workers: int


def measure_reads(store: str, args: argparse.Namespace) -> Reads:
    workers = args.workers if store == "postgres" else 1
    with fresh(store, args) as (database_url, data_dir):
        env = event_store_env(database_url, data_dir)
        ids = build(env, args.journeys, args.events)
        with serving(args.server_root, database_url, data_dir, args.threads,
                     workers) as server:
            if store == "sqlite":
                wait_current(server)
            state_ms, timeline_ms, base_ms = latencies(server, env, ids, args.runs)
            reads, floor = reads_and_floor(server, [f"/children/{i}" for i in ids],
                                           args.seconds)
    return Reads(state_ms, timeline_ms, base_ms, reads, floor, workers)


@dataclass
class WriteRound:
    """One round of the write rows: the bare library and the server, each on a fresh store."""

    rate: float  # HTTP events/s
    bare_rate: float
    cpu: dict[str, list[float]]  # the server tree's CPU seconds per process, by role
    bare_cpu: float  # the bare library's (this process's) CPU seconds
    lag: int | None  # the projections' lag /readyz showed at the last answer (SQLite)


@dataclass
class Writes:
    """The write rows' rounds (each aim is taken as the median of its rounds)."""

    rounds: list[WriteRound]
    events: int  # per round
    workers: int
    hot: Hot | None = None

    def ratios(self) -> list[float]:
        return [r.rate / r.bare_rate for r in self.rounds]

    def cpu_ms(self) -> list[float]:
        return [sum(map(sum, r.cpu.values())) / self.events * 1000 for r in self.rounds]

    def bare_cpu_ms(self) -> list[float]:
        return [r.bare_cpu / self.events * 1000 for r in self.rounds]

    def cpu_ms_by_role(self) -> dict[str, list[float]]:
        """Each role's processes' CPU ms per event, each the median over the rounds."""
        roles: dict[str, list[list[float]]] = {}
        for r in self.rounds:
            for role, each in r.cpu.items():
                roles.setdefault(role, []).append([x / self.events * 1000 for x in each])
        return {role: [statistics.median(column) for column in zip(*runs, strict=False)]
                for role, runs in roles.items()}


@dataclass
class Hot:
    expected: int  # writes sent (each under its own key)
    sent: int  # requests sent, retries included
    refused: int  # 409 concurrent-write answers
    acknowledged: int  # 201 answers
    version: int  # the journey's version at the end
    authors: Counter[str] = field(default_factory=Counter)  # each write's event, counted
    server_cpu: dict[str, list[float]] = field(default_factory=dict)  # seconds, by role

    @property
    def rate(self) -> float:
        return self.refused / self.sent if self.sent else float("nan")

    @property
    def whole(self) -> bool:
        """Every write acknowledged and recorded exactly once, after the journey's first
        two events (registration and the request)."""
        return (self.acknowledged == self.expected and self.version == 2 + self.expected
                and len(self.authors) == self.expected
                and all(n == 1 for n in self.authors.values()))


def measure_writes(store: str, args: argparse.Namespace) -> Writes:
    """``--write-rounds`` rounds of the bare library at 8 clients and HTTP at 8 clients
    (the order alternating round by round) on a server of ``--write-workers`` processes
    (one on SQLite), each on a fresh store; the hot journey on the last round's server."""
    workers = args.write_workers if store == "postgres" else 1
    events = args.children * write_path.EVENTS_PER_CHILD
    writes = Writes([], events, workers)
    for round_ in range(args.write_rounds):
        measured: dict[str, Any] = {}
        for path in ("bare", "http") if round_ % 2 == 0 else ("http", "bare"):
            if path == "bare":
                measured[path] = bare_writes(store, args)
                continue
            with fresh(store, args) as (database_url, data_dir), \
                    serving(args.server_root, database_url, data_dir, args.threads,
                            workers) as server:
                measured[path] = http_write_run(server, args.children, store == "sqlite")
                if round_ == args.write_rounds - 1:
                    writes.hot = hot_journey(server, args.hot_writes)
        (bare_seconds, bare_cpu), (seconds, cpu, behind) = measured["bare"], measured["http"]
        writes.rounds.append(WriteRound(events / seconds, events / bare_seconds, cpu,
                                        bare_cpu, behind))
    return writes


def bare_writes(store: str, args: argparse.Namespace) -> tuple[float, float]:
    """The bare library at 8 clients on a fresh store: its seconds and CPU seconds."""
    with fresh(store, args) as (database_url, data_dir):
        bare = write_path.bare_target(event_store_env(database_url, data_dir))
        try:
            seconds, _, cpu, _ = write_path.drive(bare, CLIENTS, args.children)
        finally:
            bare.close()
    return seconds, cpu


def http_write_run(server: write_path.Server, children: int, current: bool
                   ) -> tuple[float, dict[str, list[float]], int | None]:
    """Write through ``server`` at 8 clients. Return the seconds from the start (after the
    warm-up; with ``current``, once the read models are current) to the last answer (with
    ``current``, to the read models being current again); the server tree's CPU seconds
    by role, each process to the last answer but the projection process to its catching
    up (the server's CPU after the last answer is the /readyz polls, a few ms each); and,
    with ``current``, the projections' lag (/readyz) at the last answer."""
    target = write_path.server_writes(server, stop=False)
    began: dict[int, tuple[str, float]] = {}
    started = [0.0]

    def settle() -> None:
        if current:
            wait_current(server)
        began.update(write_path.tree_cpu(server.process.pid))
        started[0] = time.monotonic()

    try:
        write_path.drive(target, CLIENTS, children, settle=settle)
        ended, answered = time.monotonic(), write_path.tree_cpu(server.process.pid)
    finally:
        target.close()
    if not current:
        return ended - started[0], cpu_by_role(began, answered), None
    behind = lag(server)
    ended = wait_current(server)
    caught_up = write_path.tree_cpu(server.process.pid)
    spent = {pid: caught_up[pid] if role == "projections" and pid in caught_up else
             (role, seconds) for pid, (role, seconds) in answered.items()}
    return ended - started[0], cpu_by_role(began, spent), behind


def hot_journey(server: write_path.Server, writes: int) -> Hot:
    """16 writers record ``writes`` events each on one journey at once (see the module's
    docstring); return what they were told and what the journey holds after."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        child = json.loads(created(conn, server, "/children", {
            "date_of_birth": "2016-03-01", "occurred_on": "2024-01-02"}))["child_id"]
        path = f"/children/{child}/events"
        created(conn, server, path, {"type": "EHCNeedsAssessmentRequested",
                                     "occurred_on": "2024-01-08", "requester_role": "Parent",
                                     "request_source": "1"})
    finally:
        conn.close()
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(HOT_WRITERS)

    def writer(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            start.wait()
            for n in range(writes):
                error = hot_write(conn, server, path, f"writer-{i}-{n}", outcomes, lock)
                if error:
                    errors.append(error)
                    return
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(HOT_WRITERS)]
    began = write_path.tree_cpu(server.process.pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spent = cpu_by_role(began, write_path.tree_cpu(server.process.pid))
    if errors:
        raise RuntimeError(f"{len(errors)} hot-journey writer(s) failed, first: {errors[0]}")
    client = Client(server)
    try:
        version = json.loads(client.get(f"/children/{child}")[1])["version"]
        timeline = json.loads(client.get(f"/children/{child}/journey")[1])
    finally:
        client.close()
    authors = Counter(str(entry.get("author_role")) for entry in _entries(timeline)
                      if str(entry.get("author_role", "")).startswith("writer-"))
    return Hot(HOT_WRITERS * writes, outcomes["sent"], outcomes["409"], outcomes["201"],
               version, authors, spent)


def hot_write(conn: http.client.HTTPConnection, server: write_path.Server, path: str,
              author: str, outcomes: Counter[str], lock: threading.Lock) -> str | None:
    """POST one event under its own Idempotency-Key, again while the answer is 409
    ``concurrent-write``; count what was answered; return what went wrong, if anything."""
    body = {"type": "FamilyViewsSubmitted", "occurred_on": "2024-01-10", "author_role": author}
    key = secrets.token_hex(16)
    for _attempt in range(HOT_RETRIES):
        status, data = write_path.post(conn, server.token, path, body, key)
        refused = status == 409 and b"concurrent-write" in data
        with lock:
            outcomes["sent"] += 1
            outcomes[str(status) if status == 201 or refused else "other"] += 1
        if status == 201:
            return None
        if not refused:
            return f"POST {path} answered {status}: {data[:300]!r}"
    return f"POST {path} was refused {HOT_RETRIES} times in a row"


def _entries(timeline: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the timeline's answer (its events, wherever they sit)."""
    if isinstance(timeline, dict):
        yield timeline
        for value in timeline.values():
            yield from _entries(value)
    elif isinstance(timeline, list):
        for value in timeline:
            yield from _entries(value)


def created(conn: http.client.HTTPConnection, server: write_path.Server, path: str,
            body: dict[str, Any]) -> bytes:
    status, data = write_path.post(conn, server.token, path, body)
    if status != 201:
        raise RuntimeError(f"POST {path} answered {status}: {data[:300]!r}")
    return data


def fresh(store: str, args: argparse.Namespace
          ) -> contextlib.AbstractContextManager[tuple[str | None, Path]]:
    return (write_path.fresh_sqlite() if store == "sqlite"
            else write_path.fresh_postgres(args.postgres_url))


@dataclass
class Row:
    measure: str
    store: str
    ours: str
    base: str
    ratio: str
    aim: str
    met: bool | None  # None: a measure shown beside an aim, with no aim of its own


def cpu_row(store: str, writes: Writes) -> Row:
    bare, ours = statistics.median(writes.bare_cpu_ms()), statistics.median(writes.cpu_ms())
    ratios = [a / b for a, b in zip(writes.cpu_ms(), writes.bare_cpu_ms(), strict=True)]
    return Row("server CPU per event recorded over HTTP (8 clients; process tree, /proc) / "
               "bare library's", _where(store, writes.workers), _ratio(ours, 1.2, " ms")
               + _spread(writes.cpu_ms(), " ms"), f"{bare:.2f} ms",
               f"{statistics.median(ratios):.2f}x" + _spread(ratios), "<= 1.2 ms",
               ours <= 1.2)


def write_row(store: str, writes: Writes) -> Row:
    ratio = statistics.median(writes.ratios())
    if store == "postgres":
        measure, aim = "HTTP writes / bare library, 8 clients, PostgreSQL", 0.5
    else:
        measure, aim = ("HTTP writes / bare library, 8 clients, SQLite, read models kept "
                        "current"), 0.3
    rate = statistics.median(r.rate for r in writes.rounds)
    bare_rate = statistics.median(r.bare_rate for r in writes.rounds)
    return Row(measure, _where(store, writes.workers), f"{rate:,.0f} events/s",
               f"{bare_rate:,.0f} events/s", _ratio(ratio, aim) + _spread(writes.ratios()),
               f">= {aim}x", ratio >= aim)


def _spread(values: list[float], unit: str = "x") -> str:
    """`` (0.28-0.31x)``: the rounds' lowest and highest, when there are several."""
    if len(values) < 2:
        return ""
    return f" ({min(values):.2f}-{max(values):.2f}{unit})"


def read_rows(store: str, reads: Reads, title: str) -> dict[str, list[Row]]:
    where = _where(store, reads.workers)
    base = f"{reads.base_ms:.2f} ms"
    loaded = reads.reads.p50_ms

    def latency(measure: str, ms: float, aim: float | None) -> Row:
        return Row(measure, where, f"{ms:.2f} ms", base, _ratio(ms / reads.base_ms, aim),
                   f"<= {aim:g}x" if aim else "-", ms / reads.base_ms <= aim if aim else None)

    pg = store == "postgres"
    return {
        "state": [
            latency(f"GET /children/{{id}} p50 / library cold load + replay ({title})",
                    reads.state_ms, 1.5),
            latency("  the same at 8 clients (p50 of the reads/s run; no aim)", loaded, None)],
        "timeline": [latency(f"GET /children/{{id}}/journey p50 / the same ({title})",
                             reads.timeline_ms, 3)],
        "reads": [Row("reads/s at 8 clients (GET /children/{id}) / GET /livez at 8 clients"
                      + ("" if pg else " (no aim on SQLite)"), where,
                      f"{reads.reads.per_second:,.0f}/s", f"{reads.floor.per_second:,.0f}/s",
                      f"{reads.reads.per_second / reads.floor.per_second:.2f}x",
                      ">= 600/s" if pg else "-",
                      reads.reads.per_second >= 600 if pg else None)],
    }


def hot_row(store: str, writes: Writes) -> Row:
    hot = writes.hot
    assert hot is not None
    lost = ("nothing lost" if hot.whole else
            f"LOST/DOUBLED: {hot.acknowledged}/{hot.expected} acknowledged, version "
            f"{hot.version} (expected {2 + hot.expected}), {len(hot.authors)} events seen")
    return Row(f"409 rate, {HOT_WRITERS} writers on one journey ({hot.expected} writes)",
               _where(store, writes.workers),
               f"{hot.rate:.2%} ({hot.refused}/{hot.sent}), {lost}", "-", "-",
               "< 2%, nothing lost", hot.rate < 0.02 and hot.whole)


def _ratio(value: float, aim: float | None, unit: str = "x") -> str:
    """``1.23x``; with a third decimal where two would read as the aim itself."""
    if aim is not None and value != aim and f"{value:.2f}" == f"{aim:.2f}":
        return f"{value:.3f}{unit}"
    return f"{value:.2f}{unit}"


def _where(store: str, workers: int) -> str:
    return f"{store} --workers {workers}" if workers > 1 else store


def aims_rows(reads: dict[str, Reads], writes: dict[str, Writes], title: str) -> list[Row]:
    """The rows in the order of issue 17's aims table."""
    stores = [s for s in ("sqlite", "postgres") if s in reads]
    by_store = {s: read_rows(s, reads[s], title) for s in stores}
    rows = [cpu_row(s, writes[s]) for s in stores]
    rows += [write_row(s, writes[s]) for s in ("postgres", "sqlite") if s in writes]
    for part in ("state", "timeline"):
        rows += [row for s in stores for row in by_store[s][part]]
    rows += [row for s in ("postgres", "sqlite") if s in by_store for row in by_store[s]["reads"]]
    rows += [hot_row(s, writes[s]) for s in stores]
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| measure | store | ours | baseline (same run) | ratio | aim | met? |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        met = "-" if r.met is None else "yes" if r.met else "NO"
        lines.append(f"| {r.measure} | {r.store} | {r.ours} | {r.base} | {r.ratio} | "
                     f"{r.aim} | {met} |")
    return "\n".join(lines)


def split(cpu_ms: dict[str, list[float]]) -> str:
    """``server 0.01 + worker 1.20 (0.70 + 0.50)``: ms by role, each process of a role."""
    return " + ".join(f"{role} {sum(each):.2f}" + (
        f" ({' + '.join(f'{x:.2f}' for x in each)})" if len(each) > 1 else "")
        for role, each in cpu_ms.items())


def notes(reads: dict[str, Reads], writes: dict[str, Writes]) -> list[str]:
    lines = []
    for store, w in writes.items():
        lines.append(f"server CPU ms per event by process, {_where(store, w.workers)} "
                     f"(medians of {len(w.rounds)} rounds): {split(w.cpu_ms_by_role())}")
    for store, w in writes.items():
        if w.hot is not None and w.workers > 1:
            per_request = {role: [x / max(w.hot.sent, 1) * 1000 for x in each]
                           for role, each in w.hot.server_cpu.items()}
            lines.append(f"server CPU ms per request on the hot journey by process, "
                         f"{_where(store, w.workers)}: {split(per_request)}")
    for store, r in reads.items():
        lines.append(f"server CPU ms per read (8 clients) by process, "
                     f"{_where(store, r.workers)}: {split(r.reads.server_cpu_ms())}; per /livez: "
                     f"{split(r.floor.server_cpu_ms())}")
    for store, r in reads.items():
        lines.append(
            f"load generator ({CLIENTS} client threads in this process), "
            f"{_where(store, r.workers)}: {r.reads.client_cpu_ms:.3f} ms CPU per read "
            f"({r.reads.client_cores:.2f} cores), {r.floor.client_cpu_ms:.3f} ms per /livez "
            f"({r.floor.client_cores:.2f} cores)")
    for store, w in writes.items():
        lags = [r.lag for r in w.rounds if r.lag is not None]
        if lags:
            lines.append(f"projection lag /readyz showed at the last write's answer, {store}: "
                         f"{', '.join(map(str, lags))} events")
    return lines


def add_stores_options(parser: argparse.ArgumentParser) -> None:
    """``--stores`` (sqlite,postgres) and ``--postgres-url`` (from the environment)."""
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in write_path.POSTGRES_URL_VARIABLES if os.environ.get(v)), None))


def chosen_stores(args: argparse.Namespace) -> list[str]:
    """The stores asked for; PostgreSQL left out, and said so, without a URL for it."""
    stores = [s for s in args.stores.split(",") if s]
    if "postgres" in stores and not args.postgres_url:
        print("postgres skipped: give --postgres-url or set CASETRACK_TEST_POSTGRES_URL",
              file=sys.stderr)
        stores.remove("postgres")
    return stores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_aims",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=8)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200, help="GETs per latency (default 200)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput row")
    parser.add_argument("--children", type=int, default=200, help="children per write row")
    parser.add_argument("--write-rounds", type=int, default=3,
                        help="rounds of the write rows, bare library and server alternating; "
                             "each aim is the median (default 3)")
    parser.add_argument("--hot-writes", type=int, default=10,
                        help="events each of the 16 writers records on the hot journey")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes of the PostgreSQL read server (default 2)")
    parser.add_argument("--write-workers", type=int, default=2,
                        help="server processes of the PostgreSQL write server (default 2, "
                             "as the aim says)")
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="the checkout the servers run from (default this one)")
    add_stores_options(parser)
    args = parser.parse_args(argv)
    stores = chosen_stores(args)
    before = load_average()
    started = time.perf_counter()
    reads: dict[str, Reads] = {}
    writes: dict[str, Writes] = {}
    for store in stores:
        reads[store] = measure_reads(store, args)
        print(f"  {store}: reads measured ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr, flush=True)
        writes[store] = measure_writes(store, args)
        print(f"  {store}: writes measured ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr, flush=True)
    title = f"{args.journeys} journeys of {args.events} events"
    print(f"Issue 17 aims, {time.strftime('%Y-%m-%d %H:%M')} (took "
          f"{time.perf_counter() - started:.0f} s); server code: {args.server_root}")
    print(f"{describe()}; load average before the run: {before}; after: {load_average()}")
    print(f"{args.children} children x {write_path.EVENTS_PER_CHILD} events per write row, "
          f"{CLIENTS} clients; casetrack serve --threads {args.threads}; the write rows are "
          f"medians of {args.write_rounds} rounds (lowest-highest in brackets)")
    print()
    print(table(aims_rows(reads, writes, title)))
    print()
    print("\n".join(notes(reads, writes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
