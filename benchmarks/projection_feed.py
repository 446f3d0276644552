"""The SQLite projection process's CPU per event, in this process, on a log an HTTP run wrote.

``casetrack serve`` on SQLite projects in a process of its own: a ``ProjectionGroup``
fed batches of the log (about 128 entries at 8 HTTP writers: ``LINGER`` after a short
batch), the automatic checkpoint taking the entries it read (``RecentLog``) every 1,000
entries. This feeds a group the same way from a stored log, in this thread, and prints
the CPU per journey event of the timed part (reading, projecting, checkpointing) and a
digest of every read-model row, leaf and checkpoint (``produced_at`` left out), the
same for any code that projects the same rows.

The log: ``--store DIR``, a data directory an HTTP run left (its event store, vault and
keys), or, with ``--write N``, one written now by ``benchmarks.write_path``'s writers
(N children at 8 clients through ``casetrack serve``) and kept in DIR. A/B: this file
run as a script with ``PYTHONPATH`` set to another checkout (``git archive``), and
without, alternated. On
a shared machine CPU time is noisy; under ``valgrind --tool=callgrind
--instr-atstart=no`` with ``--callgrind``, only the timed part is counted (instructions,
``Collected`` in valgrind's summary), which repeats to within a fraction of a percent.

    .venv/bin/python -m benchmarks.projection_feed --store /tmp/log --write 600
    .venv/bin/python -m benchmarks.projection_feed --store /tmp/log --limit 2500
    PYTHONPATH=/tmp/before .venv/bin/python benchmarks/projection_feed.py --store /tmp/log
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

LOG_FILES = ("casetrack-events.sqlite", "casetrack-events.sqlite-wal",
             "casetrack-personal-data.sqlite", "casetrack-personal-data.sqlite-wal",
             "master_key", "checkpoint-signing-key.pem")
TODAY = date(2026, 12, 7)


def write_log(store: Path, children: int) -> None:
    from benchmarks.write_path import drive, fresh_sqlite, http_target

    with fresh_sqlite() as (database_url, data_dir):
        target = http_target(database_url, data_dir, 8)
        try:
            drive(target, 8, children)
        finally:
            target.close()
        shutil.copytree(data_dir, store)


def digest(data_dir: Path) -> str:
    """Every read-model row (an outbox message without its ``produced_at``; a JSON
    column by what it says, not its spacing), every leaf and every checkpoint's signed
    tree (not its time or signature)."""
    found = hashlib.sha256()
    with closing(sqlite3.connect(data_dir / "casetrack-readmodels.sqlite")) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "ORDER BY name").fetchall():
            declared = list(db.execute(f'PRAGMA table_info("{table}")'))
            columns = [column[1] for column in declared]
            held_as_json = {column[1] for column in declared if column[2] == "JSON"}
            rows = []
            for values in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608
                row = dict(zip(columns, values, strict=True))
                for name in held_as_json & row.keys():
                    if isinstance(row[name], str):
                        row[name] = json.loads(row[name])
                if table == "rm_outbox_message":
                    del row["produced_at"], row["seq"]
                    del row["body"]["produced_at"]
                rows.append(json.dumps(row, sort_keys=True, default=str))
            found.update(table.encode() + "\n".join(sorted(rows)).encode())
    with closing(sqlite3.connect(data_dir / "casetrack-integrity.sqlite")) as db:
        found.update(repr(db.execute("SELECT * FROM integrity_leaves ORDER BY position")
                          .fetchall()).encode())
        found.update(repr(db.execute("SELECT seq, position, tree_size, root, key_id FROM "
                                     "integrity_checkpoints ORDER BY seq").fetchall()).encode())
    return found.hexdigest()[:16]


def feed_once(store: Path, data_dir: Path, *, batch: int, limit: int | None,
              every: int, callgrind: bool, freeze: bool) -> tuple[float, int]:
    """Project the stored log into fresh read models; return the timed CPU seconds and
    the journey events projected."""
    from application.tracking import CaseTracking
    from domain.clocks import LocalPolicy
    from infrastructure.checkpointing import AutoCheckpointer
    from infrastructure.checkpoints import CheckpointStore, load_signing_key
    from infrastructure.integrity import LogIntegrity
    from infrastructure.migrations import upgrade
    from infrastructure.persistence import event_store_env
    from infrastructure.projections import PROJECTIONS, ProjectionGroup
    from infrastructure.recent_log import RecentLog
    from infrastructure.tracking import ReadModelDatabase, ReadModelView

    class Fed(ProjectionGroup):
        def _run(self) -> None:  # fed by the caller, not by a polling thread
            return

    for name in LOG_FILES:
        if (store / name).exists():
            shutil.copy(store / name, data_dir / name)
    env = event_store_env(None, data_dir)
    engine = ReadModelDatabase.beside(None, data_dir).engine()
    upgrade(engine)
    policy = LocalPolicy.from_env(env)
    projections = {}
    for name, projection_class in PROJECTIONS.items():
        projection = projections[name] = projection_class(ReadModelView(engine, name))
        projection.today, projection.policy = (lambda: TODAY), policy
    tracking = CaseTracking(env=env)
    log = LogIntegrity(tracking, CheckpointStore.beside(None, data_dir),
                       load_signing_key(None, data_dir, production=False))
    log.recent = RecentLog()
    checkpointer = AutoCheckpointer(log, every_events=every, every_seconds=0)
    group = Fed(application_class=CaseTracking, projections=projections, env=env,
                on_batch=log.recent.offer)
    recorder = group.app.recorder
    after = 0
    # the head: what the group read (a method replaced on purpose)
    tracking.recorder.max_notification_id = lambda: after  # type: ignore[method-assign]
    with closing(sqlite3.connect(data_dir / "casetrack-events.sqlite")) as db:
        first = db.execute("SELECT originator_id FROM stored_events WHERE topic LIKE "
                           "'%ChildRegistered' LIMIT 1").fetchone()[0]
    group.app.repository.get(uuid.UUID(first)).state  # noqa: B018 - warm the fold
    if freeze:
        gc.collect()
        gc.freeze()  # as the projection process does after start-up
    events, batches = 0, 0
    _collect(callgrind, "on")
    started = time.process_time()
    while limit is None or after < limit:
        notifications = list(recorder.select_notifications(
            start=after, limit=batch, inclusive_of_start=False))
        if not notifications:
            break
        group.feed(notifications, after)
        after = notifications[-1].id
        events += sum(1 for n in notifications if n.topic.startswith("domain.catalogue"))
        batches += 1
        if batches % 2 == 0:  # the checkpointer ticks about every other batch
            checkpointer.tick()
    checkpointer.tick()
    spent = time.process_time() - started
    _collect(callgrind, "off")
    assert not group.errors, group.errors
    group.close()
    tracking.close()
    log.store.close()
    engine.dispose()
    return spent, events


def _collect(callgrind: bool, switch: str) -> None:
    if callgrind:
        subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())],
                       capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--write", type=int, metavar="CHILDREN",
                        help="write the log first (HTTP, 8 clients) and keep it in --store")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--limit", type=int, help="stop at this log position")
    parser.add_argument("--every", type=int, default=1000, help="checkpoint every N entries")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    if args.write:
        write_log(args.store, args.write)
    spent: list[float] = []
    digests: set[str] = set()
    events = 0
    for attempt in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            seconds, events = feed_once(args.store, Path(folder), batch=args.batch,
                                        limit=args.limit, every=args.every,
                                        callgrind=args.callgrind, freeze=attempt == 0)
            spent.append(seconds)
            digests.add(digest(Path(folder)))
    result: dict[str, Any] = {
        "events": events, "cpu_ms_per_event_min": round(1e3 * min(spent) / events, 4),
        "cpu_ms_per_event_median": round(1e3 * statistics.median(spent) / events, 4),
        "digest": sorted(digests)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
