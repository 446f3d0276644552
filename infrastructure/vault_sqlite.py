"""The vault's key write on SQLite without SQLAlchemy's per-statement work.

Every registration writes a child's key (``SQLVault.create``). On SQLite, through
SQLAlchemy, that was a pool checkout, a BEGIN, the INSERT's execution context and a
COMMIT, about 0.25 ms of CPU over the statement itself. Here the vault keeps one DBAPI
connection of its engine (so the engine's connect pragmas apply: WAL, ``secure_delete``,
the busy timeout) for this one statement: its text and each column's SQLAlchemy bind
processor come from ``infrastructure.sqlite_rows`` (as the read models' rows on SQLite),
so the row stored is the one SQLAlchemy would store. The vault's writer lock serialises
its use, as for every other write of the vault; each INSERT is
committed (the same sync of the WAL) before ``insert`` returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import PoolProxiedConnection

from infrastructure.sqlite_rows import converted, prepared_insert


class SQLiteKeyWriter:
    """Insert rows of ``table`` (the columns ``columns``) on a connection of its own."""

    def __init__(self, engine: Engine, table: Table, columns: tuple[str, ...]) -> None:
        self._engine = engine
        statement = prepared_insert(table, columns, engine.dialect)
        if statement is None:
            raise RuntimeError(f"an INSERT of {columns} leaves out a column with a default")
        self._sql, self._processors = statement
        self._columns = columns
        self._connection: PoolProxiedConnection | None = None

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert and commit ``row``; raise SQLAlchemy's ``IntegrityError`` if its key is
        taken. The caller holds the vault's writer lock."""
        params = converted([row], self._columns, self._processors)[0]
        if self._connection is None:
            self._connection = self._engine.raw_connection()
        connection = self._connection
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, params)
            finally:
                cursor.close()
            connection.commit()
        except sqlite3.IntegrityError as error:
            connection.rollback()
            raise IntegrityError(self._sql, params, error) from error
        except BaseException:
            self.close()  # a connection in an unknown state is not used again
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.invalidate()
