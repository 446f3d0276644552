"""Attacks on the stored rows, made directly with SQL, on SQLite and on PostgreSQL.

Each test writes three interleaved journeys through CaseTracking, signs a checkpoint,
then changes the events table behind the application's back (sqlite3 / psycopg) the way
someone with database access could. The verifier must name the journey and the version
or log position; on an untouched store it must report nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import update

from application.tracking import CaseTracking
from domain.actors import Actor
from domain.events import JourneyEvent
from domain.integrity import event_hash
from infrastructure.integrity import (
    CHECKPOINTS,
    LEAVES,
    CheckpointStore,
    LogIntegrity,
    LogTamperedError,
    load_signing_key,
)
from infrastructure.persistence import event_store_env
from infrastructure.witness import Witnesses

MANAGER = Actor("user-1", "manager", "LA-901")
TODAY = date(2025, 6, 30)
VERSIONS = 5


class Rows:
    """The events table, reached with the database driver, not the application."""

    def __init__(self, env: dict[str, str], url: str | None) -> None:
        self.sqlite = env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
        if self.sqlite:
            self.conn: Any = sqlite3.connect(env["SQLITE_DBNAME"], isolation_level=None)
            self.table, self.position, self.mark = "stored_events", "rowid", "?"
        else:
            import psycopg

            assert url is not None
            self.conn = psycopg.connect(url.split("?")[0], autocommit=True)
            self.conn.execute(f"SET search_path TO {env['POSTGRES_SCHEMA']}")
            self.table, self.position, self.mark = "casetrack_events", "notification_id", "%s"

    def _id(self, child_id: UUID) -> Any:
        return child_id.hex if self.sqlite else child_id

    def run(self, sql: str, *params: Any) -> list[Any]:
        sql = sql.format(table=self.table, position=self.position).replace("?", self.mark)
        cursor = self.conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, child_id: UUID, version: int) -> dict[str, Any]:
        [(state,)] = self.run("SELECT state FROM {table} WHERE originator_id=? AND "
                              "originator_version=?", self._id(child_id), version)
        return json.loads(bytes(state))  # type: ignore[no-any-return]

    def set_state(self, child_id: UUID, version: int, state: dict[str, Any] | bytes) -> None:
        data = state if isinstance(state, bytes) else json.dumps(state).encode()
        self.run("UPDATE {table} SET state=? WHERE originator_id=? AND originator_version=?",
                 data, self._id(child_id), version)

    def delete(self, child_id: UUID, from_version: int = 1, to_version: int = 10**6) -> None:
        self.run("DELETE FROM {table} WHERE originator_id=? AND originator_version>=? AND "
                 "originator_version<=?", self._id(child_id), from_version, to_version)

    def position_of(self, child_id: UUID, version: int) -> int:
        [(position,)] = self.run("SELECT {position} FROM {table} WHERE originator_id=? AND "
                                 "originator_version=?", self._id(child_id), version)
        return int(position)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Store:
    tracking: CaseTracking
    log: LogIntegrity
    rows: Rows
    children: list[UUID]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Three journeys of five events each, interleaved in the log, under a checkpoint."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_schema_url")
    env = event_store_env(url, tmp_path)
    tracking = CaseTracking(env=env, today=lambda: TODAY)
    log = LogIntegrity(tracking, CheckpointStore.beside(url, tmp_path),
                       load_signing_key(None, tmp_path, production=False),
                       Witnesses.configured(tmp_path / "witness"))
    children = [tracking.register_child(authority="LA-901", date_of_birth=date(2015, 3, 2),
                                        actor=MANAGER, occurred_on=date(2024, 1, 2)).child_id
                for _ in range(3)]
    for child_id in children:
        tracking.record_event(child_id, "EHCNeedsAssessmentRequested",
                              {"requester_role": "Parent", "request_source": "1"},
                              actor=MANAGER, occurred_on=date(2024, 1, 8))
    for day in (10, 11, 12):
        for child_id in children:
            tracking.record_event(child_id, "FamilyViewsSubmitted", {"author_role": "parent"},
                                  actor=MANAGER, occurred_on=date(2024, 1, day))
    log.checkpoint()
    rows = Rows(env, url)
    yield Store(tracking, log, rows, children)
    rows.close()
    log.store.close()
    tracking.close()


def findings(store: Store) -> list[tuple[str, str | None, int | None, int | None]]:
    report = store.log.verify()
    return [(f.kind, f.child_id, f.version, f.position) for f in report.findings]


def first_bad(store: Store, child_id: UUID) -> int | None:
    report = store.log.journey(child_id)
    assert report is not None
    assert report.verified is (report.first_bad_version is None)
    return report.first_bad_version


def test_an_untouched_store_reports_nothing(store: Store) -> None:
    report = store.log.verify()
    assert report.ok and report.findings == []
    assert (report.events, report.journeys, report.checkpoints) == (15, 3, 1)
    assert report.anchored_position == report.position
    for child_id in store.children:
        journey = store.log.journey(child_id)
        assert journey is not None and journey.verified
        assert (journey.head_version, journey.anchored_version) == (VERSIONS, VERSIONS)
        assert journey.checkpoint_signature_valid is True


def test_events_written_after_the_checkpoint_verify_and_a_new_checkpoint_anchors_them(
        store: Store) -> None:
    child_id = store.children[1]
    store.tracking.record_event(child_id, "FamilyViewsSubmitted", {"author_role": "parent"},
                                actor=MANAGER, occurred_on=date(2024, 1, 20))
    assert findings(store) == []
    assert store.log.journey(child_id).anchored_version == VERSIONS  # type: ignore[union-attr]
    second = store.log.checkpoint()
    assert second.seq == 2 and second.position == store.rows.position_of(child_id, 6)
    assert findings(store) == []
    assert store.log.journey(child_id).anchored_version == 6  # type: ignore[union-attr]


def test_an_edited_field_in_a_middle_event_is_reported_at_its_version(store: Store) -> None:
    child_id = store.children[1]
    state = store.rows.state(child_id, 3)
    state["occurred_on"]["_data_"] = "2024-01-09"
    store.rows.set_state(child_id, 3, state)
    position = store.rows.position_of(child_id, 3)
    assert findings(store) == [("chain", str(child_id), 3, position)]
    assert first_bad(store, child_id) == 3
    assert first_bad(store, store.children[0]) is None


def test_a_deleted_event_is_reported_as_missing(store: Store) -> None:
    child_id = store.children[0]
    position = store.rows.position_of(child_id, 3)
    store.rows.delete(child_id, 3, 3)
    found = findings(store)
    assert ("log", str(child_id), 3, position) in found
    assert ("chain", str(child_id), 3, store.rows.position_of(child_id, 4)) in found
    assert first_bad(store, child_id) == 3


def test_two_swapped_events_are_reported_at_the_first_of_them(store: Store) -> None:
    child_id = store.children[2]
    second, third = store.rows.state(child_id, 2), store.rows.state(child_id, 3)
    store.rows.set_state(child_id, 2, third)
    store.rows.set_state(child_id, 3, second)
    found = findings(store)
    position = store.rows.position_of(child_id, 2)
    assert ("chain", str(child_id), 2, position) in found
    assert ("log", str(child_id), 2, position) in found  # the anchored hashes moved too
    assert first_bad(store, child_id) == 2


def test_a_truncated_tail_is_caught_by_the_signed_checkpoint(store: Store) -> None:
    child_id = store.children[1]
    positions = [store.rows.position_of(child_id, v) for v in (4, 5)]
    store.rows.delete(child_id, 4)
    assert findings(store) == [("log", str(child_id), 4, positions[0]),
                               ("log", str(child_id), 5, positions[1])]
    report = store.log.journey(child_id)
    assert report is not None and report.head_version == 3
    assert report.first_bad_version == 4 and "missing" in (report.reason or "")


def test_a_deleted_journey_is_caught_by_the_signed_checkpoint(store: Store) -> None:
    child_id = store.children[0]
    positions = [store.rows.position_of(child_id, v) for v in range(1, VERSIONS + 1)]
    store.rows.delete(child_id)
    assert findings(store) == [("log", str(child_id), v, p)
                               for v, p in zip(range(1, VERSIONS + 1), positions, strict=True)]
    report = store.log.journey(child_id)
    assert report is not None and report.first_bad_version == 1
    assert report.head_version == 0 and report.anchored_version == VERSIONS


def test_a_tail_rewritten_with_recomputed_hashes_is_caught_by_the_signed_checkpoint(
        store: Store) -> None:
    child_id = store.children[2]
    events = [e for e in store.tracking.events.get(child_id) if isinstance(e, JourneyEvent)]
    prev_hash = events[2].hash
    for event in events[3:]:
        forged = object.__new__(type(event))
        object.__setattr__(forged, "__dict__", dict(vars(event)))
        if event.originator_version == 4:
            object.__setattr__(forged, "author_role", "child")
        object.__setattr__(forged, "prev_hash", prev_hash)
        object.__setattr__(forged, "hash", event_hash(forged))
        prev_hash = forged.hash
        stored = store.tracking.mapper.to_stored_event(forged)
        store.rows.set_state(child_id, event.originator_version, stored.state)
    rewritten = list(store.tracking.events.get(child_id))
    assert rewritten[3].author_role == "child"  # type: ignore[attr-defined]
    found = findings(store)
    assert [f[0] for f in found] == ["log", "log"]  # the chain itself holds
    assert found[0] == ("log", str(child_id), 4, store.rows.position_of(child_id, 4))
    assert first_bad(store, child_id) == 4


def test_rewriting_the_checkpoint_leaves_too_breaks_the_signed_root(store: Store) -> None:
    child_id = store.children[2]
    position = store.rows.position_of(child_id, 5)
    with store.log.store.engine.begin() as conn:
        conn.execute(update(LEAVES).where(LEAVES.c.position == position)
                     .values(digest="0" * 64))
    assert sorted(f[0] for f in findings(store)) == ["checkpoint", "log"]


def test_a_forged_checkpoint_signature_or_root_is_reported(store: Store) -> None:
    with store.log.store.engine.begin() as conn:
        conn.execute(update(CHECKPOINTS).values(root="1" * 64))
    found = store.log.verify().findings
    assert found and found[0].kind == "checkpoint" and "signature" in found[0].detail
    assert [valid for _, valid in store.log.checkpoints()] == [False]


def test_no_checkpoint_is_signed_over_a_tampered_log(store: Store) -> None:
    child_id = store.children[0]
    state = store.rows.state(child_id, 2)
    state["request_source"] = "2"
    store.rows.set_state(child_id, 2, state)
    with pytest.raises(LogTamperedError) as raised:
        store.log.checkpoint()
    assert raised.value.findings[0].version == 2
    assert len(store.log.store.checkpoints()) == 1


def test_an_unreadable_row_is_reported_not_raised(store: Store) -> None:
    child_id = store.children[1]
    store.rows.set_state(child_id, 2, b"{not json")
    found = findings(store)
    assert ("unreadable", str(child_id), 2, store.rows.position_of(child_id, 2)) in found
    assert first_bad(store, child_id) == 2
