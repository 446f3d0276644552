"""Benchmark the automatic checkpoint's check of the unanchored entries: read and decoded
from the store again (before), or taken from what the projection group read (after).

Builds ``--journeys`` real journeys (``benchmarks.worktray.journey``) in a fresh SQLite
event store, reads the log as the projection group does (batches of ``BATCH_SIZE``, each
journey event decoded) into a ``RecentLog``, then times the checkpoint's cheap path
(``LogIntegrity._unanchored_checked`` over everything after position 0, which is what
a checkpoint verifies and anchors) both ways, interleaved, ``--repeat`` times each, in
CPU time of this process; prints the medians per event and checks both give the same
entries.

    .venv/bin/python -m benchmarks.checkpoint_reuse --journeys 300
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import cast

from application.tracking import CaseTracking
from benchmarks.machine import describe, load_average
from benchmarks.worktray import journey
from domain.events import JourneyEvent
from infrastructure.checkpoints import CheckpointStore, load_signing_key
from infrastructure.integrity import LogIntegrity
from infrastructure.persistence import event_store_env
from infrastructure.polling import BATCH_SIZE
from infrastructure.projections import _is_journey_topic
from infrastructure.recent_log import RecentLog


def group_read(tracking: CaseTracking, limit: int) -> RecentLog:
    recent, after = RecentLog(limit=limit), 0
    while batch := list(tracking.recorder.select_notifications(
            start=after, limit=BATCH_SIZE, inclusive_of_start=False)):
        recent.offer(after, batch, [cast(JourneyEvent, tracking.mapper.to_domain_event(n))
                                    if _is_journey_topic(n.topic) else None for n in batch])
        after = batch[-1].id
    return recent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        tracking = CaseTracking(env=event_store_env(None, data_dir))
        rng = random.Random(16)
        for i in range(args.journeys):
            tracking.save(journey(i, f"cw-{i % 3}", rng))
        events = tracking.max_position()
        log = LogIntegrity(tracking, CheckpointStore.beside(None, data_dir),
                           load_signing_key(None, data_dir, production=False))
        recent = group_read(tracking, limit=events)
        cpu: dict[str, list[float]] = {"store": [], "held": []}
        entries = {}
        for _ in range(args.repeat):
            for way in cpu:
                log.recent = recent if way == "held" else None
                started = time.process_time()
                entries[way] = log._unanchored_checked(None, events)  # noqa: SLF001
                cpu[way].append(time.process_time() - started)
        assert entries["store"] == entries["held"] and len(entries["held"]) == events
        log.store.close()
        tracking.close()
    print(f"{describe()}, load average {load_average()}")
    print(f"{events} events, the checkpoint's check of them (CPU, median of {args.repeat}):")
    for way, label in (("store", "read and decoded again (before)"),
                       ("held", "the group's rows and events (after)")):
        print(f"  {label:<40} {statistics.median(cpu[way]) / events * 1e3:.3f} ms/event")


if __name__ == "__main__":
    main()
