"""The vault's key write on SQLite without SQLAlchemy's per-statement work, in groups.

Every registration writes a child's key (``SQLVault.create``). On SQLite, through
SQLAlchemy, that was a pool checkout, a BEGIN, the INSERT's execution context and a
COMMIT, about 0.25 ms of CPU over the statement itself. Here the vault keeps one DBAPI
connection of its engine (so the engine's connect pragmas apply: WAL, ``secure_delete``,
the busy timeout) for this one statement: its text and each column's SQLAlchemy bind
processor come from ``infrastructure.sqlite_rows`` (as the read models' rows on SQLite),
so the row stored is the one SQLAlchemy would store.

Keys that arrive together share a commit and its sync of the WAL
(``application.commit_groups.GroupCommit``, as the event store's writes do): with 8
threads registering, 226 -> 179 us of CPU per key and 3,052 -> 5,914 keys/s against a
commit per key (``benchmarks/vault_keys.py``). The group's leader takes the
vault's writer lock, which serialises every write of the vault, for the group's
transaction. A key already taken fails its own writer alone: SQLite backs out only the
failing statement and the transaction goes on. Each key is committed before ``insert``
returns.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import PoolProxiedConnection

from application.commit_groups import GroupCommit
from infrastructure.sqlite_rows import converted, prepared_insert


class SQLiteKeyWriter:
    """Insert rows of ``table`` (the columns ``columns``) on a connection of its own, in
    groups, each group under ``lock`` (the vault's writer lock)."""

    def __init__(self, engine: Engine, table: Table, columns: tuple[str, ...],
                 lock: threading.Lock) -> None:
        self._engine = engine
        statement = prepared_insert(table, columns, engine.dialect)
        if statement is None:
            raise RuntimeError(f"an INSERT of {columns} leaves out a column with a default")
        self._sql, self._processors = statement
        self._columns = columns
        self._lock = lock
        self._connection: PoolProxiedConnection | None = None
        self.groups: GroupCommit[Mapping[str, Any], None] = GroupCommit(self._insert_group)

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert and commit ``row`` (with the rows other threads are inserting); raise
        SQLAlchemy's ``IntegrityError`` if its key is taken."""
        self.groups.submit(row)

    def _insert_group(self, rows: Sequence[Mapping[str, Any]]) -> list[None | Exception]:
        """Insert ``rows`` in one transaction; return each row's outcome (None, or the
        ``IntegrityError`` of a row whose key is taken)."""
        outcomes: list[None | Exception] = []
        with self._lock:
            if self._connection is None:
                self._connection = self._engine.raw_connection()
            connection = self._connection
            try:
                cursor = connection.cursor()
                try:
                    for params in converted(rows, self._columns, self._processors):
                        try:
                            cursor.execute(self._sql, params)
                        except sqlite3.IntegrityError as error:
                            taken = IntegrityError(self._sql, params, error)
                            taken.__cause__ = error
                            outcomes.append(taken)
                        else:
                            outcomes.append(None)
                finally:
                    cursor.close()
                connection.commit()
            except BaseException:
                self.close()  # a connection in an unknown state is not used again
                raise
        return outcomes

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
