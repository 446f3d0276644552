"""Profile a real ``casetrack serve`` under the write-path load with py-spy.

Starts the server on a fresh store exactly as ``benchmarks.write_path`` does, records it
with ``py-spy record --format raw`` (all threads, CPU samples only unless ``--idle``)
while N clients write, then prints the functions with the most samples, inclusive and
self. Needs py-spy (``.venv/bin/pip install py-spy``) and permission to ptrace.

    .venv/bin/python -m benchmarks.profile_server --store sqlite --clients 8 --children 300

Under the top frames, the write profile's CPU by layer: each CPU sample counted in the
layer of its innermost Python frame's module (``LAYERS``: a call into C, such as a
SQLite step or a JSON encoding, counts where Python made it), each process's share of
samples times its CPU per event from /proc (user + system), the worker and the
projection process apart. With ``--layers-only`` the top frames are left out.

``--reads SECONDS`` profiles reads instead: ``benchmarks.http_aims``'s journeys (8 of 200
events) are saved, the server started on them (``--workers`` granian processes on
PostgreSQL, recorded with their subprocesses), and 8 keep-alive clients GET
``/children/{id}`` (``--timeline``: ``/children/{id}/journey``) for that long, as the
aims' reads/s row does:

    .venv/bin/python -m benchmarks.profile_server --store postgres --workers 2 --reads 15 --gil
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.write_path import (
    POSTGRES_URL_VARIABLES,
    drive,
    fresh_postgres,
    fresh_sqlite,
    http_target,
    tree_cpu,
)

# The layers of a write, each named with the modules (py-spy's file paths: package and
# file) whose frames it takes; a frame takes the first layer one of whose prefixes its
# path starts with, and a sample with no Python frame (granian's Rust threads) counts as
# the HTTP server's. The database layer holds the modules that call the drivers, so a
# driver's time (a SQLite step, a commit's sync, a PostgreSQL round trip) counts there.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP server (granian)", ("granian/",)),
    ("database calls (drivers, recorders' SQL, commits)", (
        "eventsourcing/sqlite.py", "eventsourcing/postgres.py", "sqlite3/", "psycopg/",
        "psycopg_pool/", "sqlalchemy/", "infrastructure/sqlitestore.py",
        "infrastructure/pgstore.py", "infrastructure/vault_sqlite.py",
        "infrastructure/sqlite_rows.py", "infrastructure/pools.py")),
    ("Flask, werkzeug, flask-smorest", ("flask/", "werkzeug/", "flask_smorest/")),
    ("log lines (structlog, web/logging.py)", ("structlog/", "web/logging.py")),
    ("schemas (marshmallow, web/schemas.py)", ("marshmallow/", "web/schemas.py")),
    ("request hooks and views (web/)", ("web/",)),
    ("JSON (the standard library's json)", ("json/",)),
    ("encryption and keys (cryptography, ciphers, vault)", (
        "cryptography/", "infrastructure/ciphers.py", "infrastructure/vault.py")),
    ("domain (rules, folds, clocks, hashes)", ("domain/",)),
    ("application (use cases, idempotency, commit groups)", ("application/",)),
    ("eventsourcing library (mapper, repository, aggregates)", ("eventsourcing/",)),
    ("read models and checkpoints (infrastructure/)", ("infrastructure/",)),
)
OTHER = "other (standard library, threads)"
WARMING = 3_000_000  # the case references of the children written before recording
NATIVE = LAYERS[0][0]


def layer_of(frame: str) -> str:
    """The layer of one of py-spy's frames (``function (package/file.py:line)``)."""
    path = frame.rpartition(" (")[2].split(":")[0]
    for name, prefixes in LAYERS:
        if path.startswith(prefixes):
            return name
    return OTHER


def samples_by_layer(raw: Path) -> dict[str, collections.Counter[str]]:
    """Count py-spy's collapsed samples by process role (``worker``, ``projections``,
    ``server``) and by the layer of each sample's innermost Python frame."""
    counts: dict[str, collections.Counter[str]] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = stack.split(";")
        processes = [f for f in frames if f.startswith("process ")]
        role = ("projections" if "projections run" in processes[-1] else
                "server" if len(processes) == 1 else "worker") if processes else "worker"
        code = [f for f in frames if not f.startswith(("process ", "thread ("))]
        layer = layer_of(code[-1]) if code else NATIVE
        counts.setdefault(role, collections.Counter())[layer] += int(count_text)
    return counts


def layer_table(counts: dict[str, collections.Counter[str]], cpu_ms: dict[str, float]
                ) -> str:
    """The CPU per event by layer: each role's CPU per event (``cpu_ms``) shared out by
    its samples' layers."""
    roles = [role for role in ("worker", "projections", "server")
             if cpu_ms.get(role) and counts.get(role)]
    names = [name for name, _ in LAYERS] + [OTHER]
    lines = [f"{'CPU ms per event by layer':<56}" + "".join(f"{role:>13}" for role in roles)]
    for name in names:
        shares = [counts[role][name] / sum(counts[role].values()) for role in roles]
        if not any(shares):
            continue
        lines.append(f"{name:<56}" + "".join(
            f"{share * cpu_ms[role]:>7.3f} ({share:>3.0%})"
            for share, role in zip(shares, roles, strict=True)))
    lines.append(f"{'all (from /proc: user + system)':<56}" + "".join(
        f"{cpu_ms[role]:>7.3f}      " for role in roles))
    return "\n".join(lines)


def summarise(raw: Path, top: int, focus: str | None) -> str:
    """Return the top frames of py-spy's collapsed stacks, inclusive and self."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 2)[-1]
                  + ")" if " (" in f else f for f in stack.split(";")[1:]]
        if focus and not any(focus in f for f in frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    lines = [f"{total} samples" + (f" in stacks through {focus!r}" if focus else "")]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"\ntop {top} {title}:")
        for frame, count in counter.most_common(top):
            lines.append(f"  {100 * count / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines)


def spy_command(py_spy: str, pid: int, raw: Path, args: argparse.Namespace,
                subprocesses: bool = False) -> list[str]:
    """py-spy recording ``pid`` (with ``subprocesses``: granian's workers) into ``raw``."""
    command = [py_spy, "record", "--pid", str(pid), "--format", "raw",
               "--rate", str(args.rate), "--output", str(raw), "--threads", "--nonblocking"]
    if subprocesses:
        command.append("--subprocesses")
    if args.idle:
        command.append("--idle")
    if args.gil:
        command.append("--gil")
    return command


@dataclass
class Spy:
    """A py-spy recording: its exit status and what it wrote to stderr, once stopped."""

    returncode: int | None = None
    err: bytes = b""


@contextlib.contextmanager
def spying(command: list[str]) -> Iterator[Spy]:
    """Record with py-spy (``command``) while the body runs, a second after it starts."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    spy = Spy()
    time.sleep(1.0)
    try:
        yield spy
    finally:
        process.send_signal(2)  # SIGINT: py-spy writes its output and exits
        _, spy.err = process.communicate(timeout=60)
        spy.returncode = process.returncode


def reported(spy: Spy, raw: Path, args: argparse.Namespace, headline: str,
             layers: dict[str, float] | None = None) -> int:
    """Print ``headline``, the recording's top frames and (given each role's CPU ms per
    event) its CPU by layer; 1 if py-spy recorded nothing."""
    print(f"{headline}; raw stacks in {raw}")
    if spy.returncode not in (0, -2) and not raw.stat().st_size:
        print(spy.err.decode(errors="replace"), file=sys.stderr)
        return 1
    if not getattr(args, "layers_only", False):
        print(summarise(raw, args.top, args.focus))
    if layers:
        print()
        print(layer_table(samples_by_layer(raw), layers))
    return 0


def profile_reads(args: argparse.Namespace, py_spy: str,
                  fresh: contextlib.AbstractContextManager[tuple[str | None, Path]],
                  raw: Path) -> int:
    """Profile the server under ``http_aims``' reads: 8 clients GET the journeys."""
    from benchmarks import http_aims
    from infrastructure.persistence import event_store_env

    workers = args.workers if args.store == "postgres" else 1
    with fresh as (database_url, data_dir):
        ids = http_aims.build(event_store_env(database_url, data_dir), 8, 200)
        suffix = "/journey" if args.timeline else ""
        paths = [f"/children/{i}{suffix}" for i in ids]
        with http_aims.serving(http_aims.ROOT, database_url, data_dir, args.server_threads,
                               workers) as server:
            http_aims.throughput(server, paths, 1.0)  # every worker's cache warm
            with spying(spy_command(py_spy, server.process.pid, raw, args,
                                    subprocesses=True)) as spy:
                reads = http_aims.throughput(server, paths, args.reads)
    cpu = sum(sum(each) for each in reads.server_cpu_ms().values())
    return reported(spy, raw, args, f"{args.store}, 8 clients, {workers} process(es): "
                    f"{reads.per_second:,.0f} reads/s, server CPU {cpu:.2f} ms per read")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_server")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true",
                        help="only samples of the thread holding the GIL (Python CPU)")
    parser.add_argument("--idle", action="store_true", help="include waiting threads")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--focus", help="only stacks through a frame containing this text")
    parser.add_argument("--out", type=Path, help="keep the raw collapsed stacks here")
    parser.add_argument("--layers-only", action="store_true",
                        help="print only the CPU per event by layer, not the top frames")
    parser.add_argument("--reads", type=float, metavar="SECONDS",
                        help="profile GET /children/{id} at 8 clients for this long instead")
    parser.add_argument("--timeline", action="store_true",
                        help="with --reads: GET /children/{id}/journey")
    parser.add_argument("--workers", type=int, default=1, help="with --reads, on PostgreSQL")
    parser.add_argument("--postgres-url", default=next(
        (os.environ[v] for v in POSTGRES_URL_VARIABLES if os.environ.get(v)), None))
    args = parser.parse_args(argv)
    if args.store == "postgres" and not args.postgres_url:
        parser.error("postgres needs --postgres-url or CASETRACK_BENCH_POSTGRES_URL")
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    fresh = fresh_sqlite() if args.store == "sqlite" else fresh_postgres(args.postgres_url or "")
    raw = args.out or Path(tempfile.mkstemp(prefix="casetrack-pyspy-", suffix=".txt")[1])
    if args.reads:
        return profile_reads(args, py_spy, fresh, raw)
    from benchmarks.http_aims import cpu_by_role, wait_current

    with fresh as (database_url, data_dir):
        target = http_target(database_url, data_dir, args.server_threads)
        server = target.server
        assert server is not None
        try:
            began: dict[int, tuple[str, float]] = {}

            def settle() -> None:  # after the warm-up, from read models that are current
                if args.store == "sqlite":
                    wait_current(server)
                began.update(tree_cpu(server.process.pid))

            # Every process warmed (its modules imported, its caches made) before the
            # recording starts: the layers are a running server's, not its start's.
            warm = target.new_writer()
            for n in range(WARMING, WARMING + 3 * args.clients):
                warm(n, None)
            settle()
            with spying(spy_command(py_spy, server.process.pid, raw, args,
                                    subprocesses=True)) as spy:
                seconds, latencies, cpu, _counted = drive(target, args.clients, args.children,
                                                          settle=settle)
                if args.store == "sqlite":
                    wait_current(server)  # the projection process's share: to its head
                spent = cpu_by_role(began, tree_cpu(server.process.pid))
        finally:
            target.close()
    events = args.children * 3
    per_event = {role: sum(each) / events * 1000 for role, each in spent.items()}
    return reported(spy, raw, args, f"{args.store}, {args.clients} clients: "
                    f"{events / seconds:,.0f} events/s, server CPU {cpu / seconds:.2f} cores",
                    per_event)


if __name__ == "__main__":
    raise SystemExit(main())
