"""A child's key written on SQLite, with threads registering at once: keys in groups
(``infrastructure.vault_sqlite``: the keys that arrive together share a commit) beside a
commit of its own per key (the same writer with groups of one, what it did before),
in this process, each round on a fresh vault, the two taken in turn.

Each thread calls ``SQLVault.create`` (a new key, wrapped, with sealed identifiers) as a
registration does; CPU is this process's (user + system) per key, over the timed keys.

    .venv/bin/python -m benchmarks.vault_keys [--threads 8] [--keys 250] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from application.commit_groups import GroupCommit
from benchmarks.machine import describe, load_average
from infrastructure.vault import SQLVault

PATHS = ("a commit per key", "keys in groups")


def one_round(path: str, threads: int, keys: int) -> tuple[float, float]:
    """Return (CPU us per key, keys per second) of ``threads`` writing ``keys`` each."""
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        vault = SQLVault.at(f"sqlite:///{folder}/vault.sqlite", os.urandom(32))
        try:
            writer = vault._key_writer
            assert writer is not None, "SQLite keeps a key writer"
            if path == PATHS[0]:
                writer.groups = GroupCommit(writer._insert_group, max_batch=1)
            for _ in range(20):  # warm: the connection, the statement
                vault.create(uuid.uuid4(), {"name": "Warm"})

            def register() -> None:
                for _ in range(keys):
                    vault.create(uuid.uuid4(), {"name": "Synthetic Name"})

            workers = [threading.Thread(target=register) for _ in range(threads)]
            cpu, wall = time.process_time(), time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            vault.close()
    written = threads * keys
    return cpu / written * 1e6, written / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vault_keys",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--keys", type=int, default=250, help="keys per thread")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    before = load_average()
    results: dict[str, list[tuple[float, float]]] = {path: [] for path in PATHS}
    for number in range(args.rounds):
        order = PATHS if number % 2 == 0 else PATHS[::-1]
        for path in order:
            results[path].append(one_round(path, args.threads, args.keys))
    print(describe())
    print(f"load average before: {before}; after: {load_average()}")
    print(f"{args.threads} threads x {args.keys} keys, SQLite vault, medians of "
          f"{args.rounds} rounds")
    print("| path | CPU us per key | keys/s | CPU / a commit per key |")
    print("|---|---|---|---|")
    base_cpu = statistics.median(c for c, _ in results[PATHS[0]])
    for path in PATHS:
        cpu = statistics.median(c for c, _ in results[path])
        rate = statistics.median(r for _, r in results[path])
        print(f"| {path} | {cpu:.0f} | {rate:,.0f} | {cpu / base_cpu:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
