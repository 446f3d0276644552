"""The SQLite recorder's own paths (infrastructure/sqlitestore.py) held equal to the
library's: a journey's events read with one SELECT answer what the library's BEGIN,
SELECT and ROLLBACK answer; a batch written without savepoints stores and answers what
the savepoint path does, and a writer whose version is taken fails alone either way;
the vault's key INSERT on SQLite stores the row SQLAlchemy stores, and keys created
together share a commit with a taken key failing its writer alone (infrastructure/
vault_sqlite.py). PostgreSQL keeps its own recorder (tests/integration/test_recorders.py,
test_group_commit.py)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing import sqlite
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from infrastructure.sqlitestore import SQLiteApplicationRecorder
from infrastructure.vault import VAULT_INSERT, SQLVault


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[SQLiteApplicationRecorder]:
    datastore = sqlite.SQLiteDatastore(str(tmp_path / "events.sqlite"))
    made = SQLiteApplicationRecorder(datastore)
    made.create_table()
    yield made
    datastore.close()


def _library(recorder: SQLiteApplicationRecorder) -> sqlite.SQLiteApplicationRecorder:
    return sqlite.SQLiteApplicationRecorder(recorder.datastore, recorder.events_table_name)


def test_select_events_answers_what_the_librarys_read_answers(
        recorder: SQLiteApplicationRecorder) -> None:
    journey, other = uuid4(), uuid4()
    recorder.insert_events([StoredEvent(journey, v, f"topic-{v}", bytes([v]) * v)
                            for v in range(1, 8)])
    recorder.insert_events([StoredEvent(other, 1, "topic", b"other")])
    library = _library(recorder)
    asked: list[dict[str, Any]] = [
        {}, {"gt": 3}, {"lte": 5}, {"gt": 2, "lte": 6}, {"desc": True}, {"limit": 2},
        {"gt": 1, "desc": True, "limit": 3}, {"lte": 4, "desc": True}, {"gt": 7},
        {"gt": 0, "lte": 0}]
    for kwargs in asked:
        ours = recorder.select_events(journey, **kwargs)
        assert ours == library.select_events(journey, **kwargs), kwargs
        assert ours and all(e.originator_id == journey for e in ours) or \
            kwargs in ({"gt": 7}, {"gt": 0, "lte": 0})
    assert recorder.select_events(journey, gt=2, lte=4) == [
        StoredEvent(journey, 3, "topic-3", b"\x03" * 3),
        StoredEvent(journey, 4, "topic-4", b"\x04" * 4)]
    assert recorder.select_events(uuid4()) == []
    assert recorder.select_events(journey.hex) == library.select_events(journey.hex)


def test_select_events_raises_the_librarys_errors(tmp_path: Path) -> None:
    datastore = sqlite.SQLiteDatastore(str(tmp_path / "events.sqlite"))
    try:
        no_table = SQLiteApplicationRecorder(datastore)  # its table never created
        with pytest.raises(OperationalError) as raised:
            no_table.select_events(uuid4())
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    finally:
        datastore.close()


def _writes(taken: Any = None) -> list[list[StoredEvent]]:
    free = uuid4()
    writes = [[StoredEvent(free, 1, "topic", b"a"), StoredEvent(free, 2, "topic", b"b")],
              [StoredEvent(uuid4(), 1, "topic", b"c")]]
    if taken is not None:
        writes.insert(1, [StoredEvent(taken, 1, "topic", b"again")])
    return writes


def test_a_batch_without_savepoints_stores_and_answers_as_the_savepoint_path(
        recorder: SQLiteApplicationRecorder) -> None:
    plain, each = _writes(), _writes()
    plain_ids = recorder._insert_batch(plain)
    each_ids = recorder._insert_each(each)
    for writes, ids in ((plain, plain_ids), (each, each_ids)):
        assert [len(i) for i in ids] == [2, 1]  # type: ignore[arg-type]
        assert ids[0][0] < ids[0][1] < ids[1][0]  # type: ignore[index]  # batch order
        for write in writes:
            assert recorder.select_events(write[0].originator_id) == write
    assert plain_ids[1][0] + 1 == each_ids[0][0]  # type: ignore[index]  # no ids skipped
    notifications = recorder.select_notifications(start=1, limit=10)
    assert [n.id for n in notifications] == list(range(1, 7))


def test_a_taken_version_fails_its_writer_alone_in_a_batch_and_alone(
        recorder: SQLiteApplicationRecorder) -> None:
    taken = uuid4()
    recorder.insert_events([StoredEvent(taken, 1, "topic", b"first")])
    writes = _writes(taken)
    outcomes = recorder._insert_batch(writes)
    assert isinstance(outcomes[1], IntegrityError)
    assert [len(o) for o in (outcomes[0], outcomes[2])] == [2, 1]  # type: ignore[arg-type]
    for write in (writes[0], writes[2]):
        assert recorder.select_events(write[0].originator_id) == write
    lone = recorder._insert_batch([[StoredEvent(taken, 1, "topic", b"lone"),
                                    StoredEvent(taken, 2, "topic", b"lone")]])
    assert len(lone) == 1 and isinstance(lone[0], IntegrityError)
    assert [e.state for e in recorder.select_events(taken)] == [b"first"]
    with pytest.raises(IntegrityError):
        recorder.insert_events([StoredEvent(taken, 1, "topic", b"once more")])
    assert recorder.max_notification_id() == 4  # 1 + the batch's 3: nothing else


def test_the_sqlite_vault_writes_a_key_as_sqlalchemy_does(tmp_path: Path) -> None:
    vault = SQLVault.at(f"sqlite:///{tmp_path / 'vault.sqlite'}", os.urandom(32))
    try:
        ours, theirs = uuid4(), uuid4()
        vault.create(ours, {"name": "A"})
        _cipher, row = vault._new_key(theirs, {"name": "A"})
        with vault._engine.begin() as connection:
            connection.execute(VAULT_INSERT, row)
        with sqlite3.connect(tmp_path / "vault.sqlite") as check:
            stored = {r[0]: r[1:] for r in check.execute(
                "SELECT child_id, master_key_id, typeof(wrapped_key), length(wrapped_key),"
                " typeof(identifiers), length(identifiers), typeof(created_at),"
                " length(created_at), shredded_at FROM casetrack_personal_data")}
        assert stored[str(ours)] == stored[str(theirs)]
        assert vault.identifiers(ours) == {"name": "A"}
        assert vault.create(ours) is not None  # taken: the existing key, as before
        assert vault.shred(ours)
        with pytest.raises(Exception, match="erased"):
            vault.create(ours)
    finally:
        vault.close()


def test_keys_created_together_share_a_commit_and_a_taken_key_fails_alone(
        tmp_path: Path) -> None:
    vault = SQLVault.at(f"sqlite:///{tmp_path / 'vault.sqlite'}", os.urandom(32))
    writer = vault._key_writer
    assert writer is not None
    try:
        twice = uuid4()
        children = [twice, twice, *(uuid4() for _ in range(5))]
        made: dict[int, Any] = {}
        vault._write_lock.acquire()  # the first group's leader waits here; the rest queue
        try:
            threads = [threading.Thread(target=lambda i=i, c=c: made.__setitem__(
                i, vault.create(c, {"name": f"N{i}"}))) for i, c in enumerate(children)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 10
            while writer.groups.waiting < len(children) - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
            assert writer.groups.waiting == len(children) - 1
        finally:
            vault._write_lock.release()
        for thread in threads:
            thread.join(10)
        assert sorted(made) == list(range(len(children)))
        assert (writer.groups.batches, writer.groups.writes) == (2, len(children))
        with sqlite3.connect(tmp_path / "vault.sqlite") as check:
            stored = [r[0] for r in check.execute("SELECT child_id FROM casetrack_personal_data")]
        assert sorted(stored) == sorted({str(c) for c in children})
        # The one who lost the race was given the key that was kept: both seal alike.
        assert made[0].mac(b"probe") == made[1].mac(b"probe")
        assert vault.create(twice).mac(b"probe") == made[0].mac(b"probe")
    finally:
        vault.close()


def test_select_events_sees_what_another_process_commits_on_every_thread(
        recorder: SQLiteApplicationRecorder) -> None:
    import threading

    journey = uuid4()
    recorder.insert_events([StoredEvent(journey, 1, "topic", b"ours")])
    assert len(recorder.select_events(journey)) == 1  # this thread's connection is open
    other = sqlite3.connect(recorder.datastore.pool.db_name, isolation_level=None)
    try:  # as another server process writes: its own connection, its own commit
        other.execute("INSERT INTO stored_events VALUES (?,?,?,?)",
                      (journey.hex, 2, "topic", b"theirs"))
    finally:
        other.close()
    seen: dict[str, list[bytes]] = {}

    def read(name: str) -> None:
        seen[name] = [e.state for e in recorder.select_events(journey, gt=0)]

    threads = [threading.Thread(target=read, args=(f"thread-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read("this thread")
    assert seen == {name: [b"ours", b"theirs"] for name in seen} and len(seen) == 4
    assert recorder.select_events(journey, gt=1) == [
        StoredEvent(journey, 2, "topic", b"theirs")]


def test_select_events_after_the_store_is_closed_is_refused(tmp_path: Path) -> None:
    from eventsourcing.persistence import ConnectionPoolClosedError

    datastore = sqlite.SQLiteDatastore(str(tmp_path / "events.sqlite"))
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    assert recorder.select_events(uuid4()) == []
    datastore.close()
    with pytest.raises(ConnectionPoolClosedError):
        recorder.select_events(uuid4())


def test_a_batch_that_fails_as_a_whole_leaves_the_next_batch_a_sound_connection(
        recorder: SQLiteApplicationRecorder) -> None:
    first, second = uuid4(), uuid4()
    recorder.insert_events([StoredEvent(first, 1, "topic", b"one")])
    writer = recorder._writer
    assert writer is not None  # kept between batches
    recorder.insert_events([StoredEvent(first, 2, "topic", b"two")])
    assert recorder._writer is writer
    with pytest.MonkeyPatch.context() as patch:
        def full_disk(*_args: Any, **_kwargs: Any) -> Any:
            raise sqlite3.OperationalError("database or disk is full")

        patch.setattr(recorder, "_insert_events", full_disk)
        with pytest.raises(OperationalError):
            recorder.insert_events([StoredEvent(second, 1, "topic", b"lost")])
    assert recorder._writer is None and writer.closed  # not used again
    recorder.insert_events([StoredEvent(second, 1, "topic", b"kept")])
    assert [e.state for e in recorder.select_events(second)] == [b"kept"]
    assert [e.state for e in recorder.select_events(first)] == [b"one", b"two"]
