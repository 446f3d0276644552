"""eventsourcing's SQLite application recorder, committing concurrent writers' inserts
together (``application.commit_groups``).

SQLite has one writer at a time: the library's recorder gives each save a transaction of
its own, so writers queue for the writer lock and pay a commit (a sync of the WAL) each.
Here the writers waiting while a commit runs go in the next transaction together, each in
a savepoint of its own, so a writer whose version is taken fails alone.
``infrastructure.persistence.event_store_env`` names this class in
``APPLICATION_RECORDER_TOPIC``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from eventsourcing import sqlite
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.commit_groups import GroupCommit


class SQLiteApplicationRecorder(sqlite.SQLiteApplicationRecorder):
    """The library's recorder with group commit; calls carrying a tracking record (a process
    recorder's) keep the library's path."""

    def __init__(self, datastore: sqlite.SQLiteDatastore,
                 events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.group_commit: GroupCommit[Sequence[StoredEvent], Sequence[int]] = GroupCommit(
            self._insert_batch)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        if _other_than_saves(kwargs) or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.submit(stored_events)

    def _insert_batch(self, writes: Sequence[Sequence[StoredEvent]]
                      ) -> list[Sequence[int] | Exception]:
        outcomes: list[Sequence[int] | Exception] = []
        with self.datastore.transaction(commit=True) as cursor:
            for write in writes:
                cursor.execute("SAVEPOINT writer")
                try:
                    ids = self._insert_events(cursor, write)
                except sqlite3.IntegrityError as error:
                    cursor.execute("ROLLBACK TO writer")
                    outcomes.append(IntegrityError(error))
                else:
                    outcomes.append(ids or [])
                cursor.execute("RELEASE writer")
        return outcomes


def _other_than_saves(kwargs: dict[str, Any]) -> bool:
    """Does a call carry more than an application's save does (``tracking=None``)?"""
    return any(value is not None for value in kwargs.values())
