"""The automatic checkpoint takes the entries the projection group read and decoded
(``infrastructure.recent_log``) and makes the same checkpoint as from reading the store
again, on SQLite and on PostgreSQL; it still refuses a tampered event the group read,
and a row changed after the group read it is caught by the next verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from application.tracking import CaseTracking
from infrastructure.checkpointing import AutoCheckpointer
from infrastructure.integrity import LogIntegrity
from infrastructure.merkle import Frontier
from infrastructure.projections import EmbeddedRunners, ReadModelDatabase, _is_journey_topic
from infrastructure.recent_log import RecentLog
from tests.integration import test_tamper_evidence as attacks
from tests.integration.test_tamper_evidence import TODAY, Store
from tests.integration.test_tamper_evidence_between_checkpoints import record

store = attacks.store  # the fixture: three journeys under one checkpoint, both stores


def group_reads(store: Store, after: int, size: int = 3, recent: RecentLog | None = None
                ) -> RecentLog:
    """Offer the log after ``after`` in batches, read and decoded as the group does."""
    recent = recent if recent is not None else RecentLog()
    app = store.tracking
    while True:
        batch = list(app.recorder.select_notifications(start=after, limit=size,
                                                       inclusive_of_start=False))
        if not batch:
            return recent
        events = [app.mapper.to_domain_event(n) if _is_journey_topic(n.topic) else None
                  for n in batch]
        recent.offer(after, batch, events)
        after = batch[-1].id


def both_ways(log: LogIntegrity, recent: RecentLog) -> tuple[list[Any], list[Any]]:
    """The cheap path's entries from the store alone, and with ``recent``."""
    latest = log.store.latest()
    stop = log.application.recorder.max_notification_id() or 0
    log.recent = None
    read = log._unanchored_checked(latest, stop)  # noqa: SLF001
    log.recent = recent
    held = log._unanchored_checked(latest, stop)  # noqa: SLF001
    return read, held


def test_the_checkpoint_from_held_entries_is_the_one_from_the_store(store: Store) -> None:
    anchored = store.log.store.latest()
    assert anchored is not None
    record(store, 5)
    recent = group_reads(store, anchored.position)
    read, held = both_ways(store.log, recent)
    assert len(read) == 5 and held == read
    by_position = {n.id: event for n, event in recent._rows}  # noqa: SLF001
    assert all(entry.event is by_position[entry.leaf.position] for entry in held)
    frontier = Frontier.from_text(anchored.tree_size, anchored.frontier)
    for entry in read:
        frontier.append(entry.leaf.hash())
    made = AutoCheckpointer(store.log, every_events=1, every_seconds=0).tick()
    assert made is not None
    assert (made.position, made.tree_size, made.root, made.frontier, made.previous) == (
        read[-1].leaf.position, frontier.size, frontier.root().hex(), frontier.to_text(),
        anchored.digest())
    assert made.verifies(store.log.public_key)
    assert store.log.verify().ok
    assert len(recent) == 0  # anchored: forgotten


def test_a_run_held_in_part_is_completed_from_the_store(store: Store) -> None:
    anchored = store.log.store.latest()
    assert anchored is not None
    record(store, 8)
    # The group began two entries late, and keeps only three: the rest is read.
    recent = group_reads(store, anchored.position + 2, size=2, recent=RecentLog(limit=3))
    assert len(recent) == 3
    read, held = both_ways(store.log, recent)
    assert len(read) == 8 and held == read
    # A batch that does not follow the run starts a new one (a gap is never assumed).
    restarted = group_reads(store, anchored.position + 6, recent=recent)
    assert len(restarted) == 2
    assert both_ways(store.log, restarted) == (read, read)


def test_a_tampered_event_the_group_read_is_still_refused(store: Store) -> None:
    anchored = store.log.store.latest()
    assert anchored is not None
    record(store, 2)
    state = store.rows.state(store.children[0], 6)
    state["author_role"] = "child"
    store.rows.set_state(store.children[0], 6, state)
    store.log.recent = group_reads(store, anchored.position)
    checkpointer = AutoCheckpointer(store.log, every_events=1, every_seconds=0)
    assert checkpointer.tick() is None
    assert checkpointer.refused is not None
    assert checkpointer.refused.findings[0].version == 6
    assert len(store.log.store.checkpoints()) == 1


def test_a_row_changed_after_the_group_read_it_is_caught_by_the_next_verify(
        store: Store) -> None:
    anchored = store.log.store.latest()
    assert anchored is not None
    record(store, 2)
    store.log.recent = group_reads(store, anchored.position)
    store.rows.set_state(store.children[0], 7, store.rows.state(store.children[0], 6))
    made = AutoCheckpointer(store.log, every_events=1, every_seconds=0).tick()
    assert made is not None  # it anchored what the store held when the group read it
    found = [f for f in store.log.verify().findings if f.kind == "log"]
    assert [f.version for f in found] == [7]
    assert "differs from what the signed checkpoint anchored" in found[0].detail


def test_the_projection_group_offers_every_batch_it_reads(
        store: Store, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    anchored = store.log.store.latest()
    assert anchored is not None
    record(store, 4)
    url = None if request.node.callspec.params["store"] == "sqlite" else \
        request.getfixturevalue("postgres_schema_url")
    recent = RecentLog()
    runners = EmbeddedRunners(application_class=CaseTracking,
                              event_store_env=store.tracking.env,
                              database=ReadModelDatabase.beside(url, tmp_path),
                              today=lambda: TODAY, on_batch=recent.offer)
    try:
        head = store.tracking.max_position()
        assert runners.wait(head, runners.names, timeout=30)
    finally:
        runners.close()
    rows: list[Notification] = [n for n, _ in recent._rows]  # noqa: SLF001
    assert [n.id for n in rows] == [n.id for n in store.tracking.recorder.select_notifications(
        start=1, limit=100)]
    read, held = both_ways(store.log, recent)
    assert len(read) == 4 and held == read
