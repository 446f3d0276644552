"""eventsourcing's SQLite application recorder, committing concurrent writers' inserts
together (``application.commit_groups``).

SQLite has one writer at a time: the library's recorder gives each save a transaction of
its own, so writers queue for the writer lock and pay a commit (a sync of the WAL) each.
Here the writers waiting while a commit runs go in the next transaction together. Each
writer's inserts are first tried one after another in the batch's transaction; if one of
them finds its version taken, the transaction is rolled back and the batch written again
with a savepoint per writer, so that writer fails alone and the others commit. A batch of
one writer needs no savepoint: its error is its own.

A journey's events are read (``select_events``: the cached journey brought up to date
before a write, or a journey loaded) with one SELECT in autocommit mode, which SQLite runs
in a read transaction of its own: the same snapshot as the library's BEGIN, SELECT and
ROLLBACK, in one statement instead of three, on the calling thread's own connection.
``infrastructure.persistence.event_store_env`` names this class in
``APPLICATION_RECORDER_TOPIC``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing import persistence, sqlite
from eventsourcing.persistence import ConnectionPoolClosedError, IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT as DEFAULT_LOCK_TIMEOUT

from application.commit_groups import GroupCommit

# sqlite3's errors as the library's transactions raise them (``SQLiteTransaction``), most
# specific first: the application's retry on operational errors depends on it.
_ERRORS: tuple[tuple[type[sqlite3.Error], type[persistence.PersistenceError]], ...] = (
    (sqlite3.InterfaceError, persistence.InterfaceError),
    (sqlite3.DataError, persistence.DataError),
    (sqlite3.OperationalError, persistence.OperationalError),
    (sqlite3.IntegrityError, persistence.IntegrityError),
    (sqlite3.InternalError, persistence.InternalError),
    (sqlite3.ProgrammingError, persistence.ProgrammingError),
    (sqlite3.NotSupportedError, persistence.NotSupportedError),
    (sqlite3.DatabaseError, persistence.DatabaseError),
    (sqlite3.Error, persistence.PersistenceError),
)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        for sqlite_error, ours in _ERRORS:
            if isinstance(error, sqlite_error):
                raise ours(error) from error
        raise  # pragma: no cover - every sqlite3.Error is a sqlite3.Error


class SQLiteApplicationRecorder(sqlite.SQLiteApplicationRecorder):
    """The library's recorder with group commit; calls carrying a tracking record (a process
    recorder's) keep the library's path."""

    def __init__(self, datastore: sqlite.SQLiteDatastore,
                 events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.group_commit: GroupCommit[Sequence[StoredEvent], Sequence[int]] = GroupCommit(
            self._insert_batch)
        # Each thread reads a journey's events on a connection of its own: no pool
        # checkout (its semaphore, conditions and locks, where threads queued behind one
        # another), and the thread's prepared statements stay with it. A thread's
        # connection closes when the thread or this recorder goes.
        self._readers = threading.local()
        self._writer: sqlite.SQLiteConnection | None = None  # the group commit's leader's
        self._select_columns = (
            "SELECT originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE originator_id=? ")

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        if _other_than_saves(kwargs) or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.submit(stored_events)

    def _insert_batch(self, writes: Sequence[Sequence[StoredEvent]]
                      ) -> list[Sequence[int] | Exception]:
        try:
            with self._writing() as cursor:
                return [self._insert_events(cursor, write) or [] for write in writes]
        except IntegrityError as error:
            if len(writes) == 1:
                return [error]
        # A writer's version is taken (rolled back): again, each writer on its own.
        return self._insert_each(writes)

    def _insert_each(self, writes: Sequence[Sequence[StoredEvent]]
                     ) -> list[Sequence[int] | Exception]:
        outcomes: list[Sequence[int] | Exception] = []
        with self._writing() as cursor:
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

    def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                      lte: int | None = None, desc: bool = False, limit: int | None = None
                      ) -> Sequence[StoredEvent]:
        statement = self._select_columns
        params: list[Any] = [
            originator_id.hex if isinstance(originator_id, UUID) else originator_id]
        if gt is not None:
            statement += "AND originator_version>? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version<=? "
            params.append(lte)
        statement += "ORDER BY originator_version " + ("DESC " if desc else "ASC ")
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        reader = self._reader()
        if reader is None:  # an in-memory database: the pool keeps reads from writes
            with self.datastore.get_connection(commit=False) as connection, _translated(), \
                    connection.cursor() as cursor:
                rows = cursor.execute(statement, params).fetchall()
        else:
            with _translated():
                rows = reader.execute(statement, params).fetchall()
        if not rows:
            return []
        # Every row is of the one originator asked for: its id converted once.
        originator = self.convert_originator_id(rows[0][0])
        return [StoredEvent(originator_id=originator, originator_version=row[1],
                            topic=row[2], state=row[3]) for row in rows]


    @contextmanager
    def _writing(self) -> Iterator[sqlite.SQLiteCursor]:
        """Yield a cursor in a transaction committed at the end (rolled back on an error,
        raised as the library raises it), on the connection the group commit's leader
        writes on: one leader at a time, so no pool checkout (its writer lock included),
        and the connection keeps its prepared INSERT between batches (the pool's
        connections cache one statement, so BEGIN displaced it)."""
        pool = self.datastore.pool
        if pool.closed:
            raise ConnectionPoolClosedError
        if pool.is_sqlite_memory_mode:  # the pool keeps writes from reads
            with self.datastore.transaction(commit=True) as cursor:
                yield cursor
            return
        if self._writer is None:
            with _translated():
                self._writer = sqlite.SQLiteConnection(self._connect(), max_age=None)
        writer = self._writer
        try:
            with writer.transaction(commit=True) as cursor:
                yield cursor
        except IntegrityError:
            raise  # a writer's version taken: rolled back, the connection is sound
        except BaseException:
            # A failed commit can leave its transaction open: the next leader connects anew.
            self._writer = None
            writer.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        pool = self.datastore.pool
        return sqlite3.connect(pool.db_name, uri=True, isolation_level=None,
                               check_same_thread=False,
                               timeout=pool.lock_timeout or DEFAULT_LOCK_TIMEOUT)

    def _reader(self) -> sqlite3.Connection | None:
        """Return this thread's connection for reading a journey's events (opened as the
        pool opens its connections), or None for an in-memory database."""
        pool = self.datastore.pool
        if pool.closed:
            raise ConnectionPoolClosedError
        if pool.is_sqlite_memory_mode:
            return None
        reader: sqlite3.Connection | None = getattr(self._readers, "connection", None)
        if reader is None:
            with _translated():
                reader = self._connect()
            self._readers.connection = reader
        return reader


def _other_than_saves(kwargs: dict[str, Any]) -> bool:
    """Does a call carry more than an application's save does (``tracking=None``)?"""
    return any(value is not None for value in kwargs.values())
