"""Read-model rows written on SQLite through the driver's own cursor (issue 17).

A projection batch runs a score of small statements (a DELETE and an INSERT per table,
the tracking records); through SQLAlchemy each costs ~0.1 ms of Python before SQLite
sees it, more than SQLite's own work. These write the same statements' text through the
``sqlite3`` cursor of the connection's transaction, each value converted by the
column type's own SQLAlchemy bind processor (a ``date`` in SQLite's default DATE format
by ``date.isoformat``, the same text), so SQLite stores exactly what
``conn.execute(insert(table), rows)`` would (tests/integration/test_sqlite_rows.py).
Only for SQLite connections: PostgreSQL has COPY (``infrastructure.tracking``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

from domain.calendar import day_text

Processor = Callable[[Any], Any]


def bind_none_as_null() -> None:
    """Have ``sqlite3`` bind None (NULL) by an adapter it finds at once.

    ``sqlite3`` binds ``int``, ``float`` and ``str`` as they are, but looks every other
    value up among its adapters, then asks its protocol type for ``__adapt__``: a failed
    attribute lookup that formats an ``AttributeError`` message before it binds NULL,
    three times the cost of the rest of binding the value. Read-model rows hold a NULL in
    one column in five (a summary's 21 columns hold six). The adapter gives the same None,
    which ``sqlite3`` binds as the same NULL, in every connection of the process.
    """
    sqlite3.register_adapter(type(None), _none)


def _none(value: None) -> None:
    return value


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _name(dialect: Dialect, name: str) -> str:
    return dialect.identifier_preparer.quote(name)


@lru_cache(maxsize=256)
def prepared_insert(table: Table, columns: tuple[str, ...], dialect: Dialect,
                    conflict: str = "") -> tuple[str, list[tuple[int, Processor]]] | None:
    """The INSERT's text and each converted column's (index, bind processor); None when
    a column left out has a default (SQLAlchemy's insert fills it in)."""
    for column in table.columns:
        if column.name not in columns and (column.default is not None
                                           or column.server_default is not None):
            return None
    text = "INSERT INTO {} ({}) VALUES ({}){}".format(
        dialect.identifier_preparer.format_table(table),
        ", ".join(_name(dialect, c) for c in columns), ", ".join("?" * len(columns)),
        conflict)
    processors: list[tuple[int, Processor]] = []
    for index, name in enumerate(columns):
        implementation = table.c[name].type.dialect_impl(dialect)
        processor = implementation.bind_processor(dialect)
        if processor is not None:
            processors.append((index, _faster(implementation, processor)))
    return text, processors


def _faster(implementation: Any, processor: Processor) -> Processor:
    """``processor``, or for SQLite's DATE in its default storage format, the same text
    for a ``date`` by ``date.isoformat`` (zero-padded ``YYYY-MM-DD``, as that format),
    and anything else (None, a datetime, a wrong type) still given to ``processor``."""
    if not isinstance(implementation, sqlite.DATE) or \
            implementation._storage_format != _DATE_FORMAT:  # noqa: SLF001
        return processor
    exactly_date = date

    def process(value: Any) -> Any:
        if value.__class__ is exactly_date:
            return day_text(value)
        return processor(value)

    return process


_DATE_FORMAT = "%(year)04d-%(month)02d-%(day)02d"


def converted(rows: Sequence[Mapping[str, Any]], columns: tuple[str, ...],
              processors: list[tuple[int, Processor]]) -> list[Any]:
    """Each row's values of ``columns``, in order, converted by ``processors``."""
    get = itemgetter(*columns)
    if len(columns) == 1:
        values: list[Any] = [(get(row),) for row in rows]
    else:
        values = [get(row) for row in rows]
    if not processors:
        return values
    converted = []
    for row_values in values:
        row = list(row_values)
        for index, processor in processors:
            row[index] = processor(row[index])
        converted.append(row)
    return converted


def insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
           conflict: str = "") -> bool:
    """Insert ``rows`` (dicts with the same keys) into ``table``; ``conflict``: the
    statement's ON CONFLICT clause, if any. Return False, inserting nothing, when the
    rows leave out a column that has a default (for SQLAlchemy to insert them)."""
    if not rows:
        return True
    columns = tuple(rows[0])
    statement = prepared_insert(table, columns, conn.dialect, conflict)
    if statement is None:
        return False
    text, processors = statement
    _cursor(conn).executemany(text, converted(rows, columns, processors))
    return True


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
           keys: Sequence[str]) -> bool:
    """Insert ``rows``, replacing the other columns of any row with the same ``keys``
    (False, as ``insert``, when it cannot)."""
    if not rows:
        return True
    quote = conn.dialect.identifier_preparer.quote
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in rows[0]
                        if c not in keys)
    if not updates:  # nothing but the keys: left to SQLAlchemy
        return False
    return insert(conn, table, rows, conflict=" ON CONFLICT ({}) DO UPDATE SET {}".format(
        ", ".join(quote(k) for k in keys), updates))


def delete_among(conn: Connection, table: Table, column: str, values: Sequence[str]) -> None:
    """Delete ``table``'s rows whose ``column`` is one of ``values``."""
    if not values:
        return
    dialect = conn.dialect
    _cursor(conn).execute("DELETE FROM {} WHERE {} IN ({})".format(
        dialect.identifier_preparer.format_table(table), _name(dialect, column),
        ", ".join("?" * len(values))), list(values))


def select_rows(conn: Connection, text: str, parameters: Sequence[Any]) -> list[Any]:
    """Run a SELECT's text (qmark parameters) and return its rows as tuples."""
    return _cursor(conn).execute(text, list(parameters)).fetchall()  # type: ignore[no-any-return]
