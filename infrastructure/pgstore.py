"""eventsourcing's PostgreSQL factory, given every connection option the database URL has,
and creating its tables one process at a time.

eventsourcing builds its connection pool from host, port, database, user and password
only, so ``CASETRACK_DATABASE_URL=postgresql://...?sslmode=require`` would connect without
TLS. ``event_store_env`` puts the URL's other query options (``sslmode``, ``sslrootcert``,
``application_name``, ``options``, ``target_session_attrs``...) in
``POSTGRES_CONNECT_OPTIONS``, and this factory hands them to every pooled connection,
as the SQLAlchemy engines of the read models, vault, index and checkpoints get them
from the URL itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from eventsourcing import postgres
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
)
from eventsourcing.utils import Environment, retry
from psycopg.sql import SQL, Composed, Identifier

from application.commit_groups import GroupCommit
from infrastructure.vault import PERSONAL_DATA_KEY, KeyColumns, vault_table

CONNECT_OPTIONS = "POSTGRES_CONNECT_OPTIONS"
# Any 64-bit number of our own ("casetrk"): held while a process creates its tables.
CREATE_TABLES_LOCK = 0x6361736574726B


# One statement inserts a batch of writers' events: it takes the table's EXCLUSIVE lock
# (so notification ids are issued in commit order, as the library's insert does), then
# inserts each writer's events in a subtransaction of its own, so a writer whose version
# is taken fails alone (its row says NULL) and the others commit. Sent outside a
# transaction block, it is its own transaction: one round trip, one commit. A writer
# registering a child brings the child's new personal-data key (key_* arrays, NULL for
# the others): it is inserted into the vault's table in the same subtransaction, so the
# key and the journey commit together or not at all. The events come as one array per
# column (ids, versions, topics, states; ``sizes`` says how many are each writer's), which
# psycopg sends in binary from C: an array of the library's composite ``stored_event``
# type is built as text in Python, about a quarter of an access-log look's CPU. An
# earlier version's function of the same name (taking ``stored_event[]``) is an overload
# this one leaves alone; nothing calls it.
INSERT_BATCH_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
    ids {id_type}[], versions bigint[], topics text[], states bytea[], sizes int[],
    key_children text[], key_masters text[], key_wrapped bytea[], key_identifiers bytea[],
    key_created timestamptz[])
RETURNS TABLE (writer int, notification_id bigint)
LANGUAGE plpgsql AS $BODY$
DECLARE
    first int := 1;
    last int;
BEGIN
    SET LOCAL lock_timeout = '{lock_timeout}s';
    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;
    NOTIFY {channel};
    FOR i IN 1 .. coalesce(array_length(sizes, 1), 0) LOOP
        last := first + sizes[i] - 1;
        BEGIN
            IF key_children[i] IS NOT NULL THEN
                INSERT INTO {schema}.{vault}
                    (child_id, master_key_id, wrapped_key, identifiers, created_at)
                VALUES (key_children[i], key_masters[i], key_wrapped[i],
                        key_identifiers[i], key_created[i]);
            END IF;
            RETURN QUERY
                INSERT INTO {schema}.{table} AS t
                    (originator_id, originator_version, topic, state)
                SELECT * FROM unnest(ids[first:last], versions[first:last],
                                     topics[first:last], states[first:last])
                RETURNING i, t.notification_id;
        EXCEPTION WHEN unique_violation THEN
            RETURN QUERY SELECT i, NULL::bigint;
        END;
        first := last + 1;
    END LOOP;
END;
$BODY$
"""


# A save's events, and the new child's vault row when it registers one.
_Write = tuple[Sequence[StoredEvent], "KeyColumns | None"]


class PostgresApplicationRecorder(postgres.PostgresApplicationRecorder):
    """The library's recorder, inserting in one round trip and committing concurrent
    writers' inserts together (``application.commit_groups``).

    The library's insert is five round trips (BEGIN, lock, notify and insert pipelined
    but synced, then COMMIT) with the table lock held across them. Here one statement
    calls a function that locks, notifies and inserts every waiting writer's events, each
    in a subtransaction: a version conflict raises ``IntegrityError`` for its writer only.
    Calls carrying a tracking record (a process recorder's) and the library's
    own database-function mode keep the library's path.

    A registration's new personal-data key goes in the same subtransaction as its events
    (``saves_personal_data_keys``): no round trip and commit of its own before them.
    """

    saves_personal_data_keys = True

    def __init__(self, datastore: postgres.PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        function = f"{self.events_table_name}_insert_batch"
        self.check_identifier_length(function)
        self.insert_batch_function = function
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(SQL(INSERT_BATCH_FUNCTION).format(  # type: ignore[arg-type]
            schema=schema, function=Identifier(function),
            id_type=Identifier(self.datastore.originator_id_type),
            table=Identifier(self.events_table_name),
            channel=Identifier(self.channel_name), vault=Identifier(vault_table.name),
            lock_timeout=SQL(str(int(self.datastore.lock_timeout)))))
        self.insert_batch_statement = SQL(
            "SELECT writer, notification_id FROM {schema}.{function}("
            "%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[], %b::int[], "
            "%s::text[], %s::text[], %s::bytea[], %s::bytea[], %s::timestamptz[])").format(
            schema=schema, function=Identifier(function),
            id_type=Identifier(self.datastore.originator_id_type))
        self.insert_key_statement = SQL(
            "INSERT INTO {schema}.{vault} (child_id, master_key_id, wrapped_key, identifiers, "
            "created_at) VALUES (%s, %s, %s, %s, %s)").format(
            schema=schema, vault=Identifier(vault_table.name))
        self.group_commit: GroupCommit[_Write, list[int]] = GroupCommit(self._insert_batch)
        self._select_statements: dict[tuple[bool, bool, bool, bool], str] = {}
        self._insert_batch_text: str | None = None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        """Insert a save's events; ``personal_data_key`` (``NewKey.columns()``) is a new
        child's vault row, committed with them (``SQLVault.saved_with_events``)."""
        key: KeyColumns | None = kwargs.pop(PERSONAL_DATA_KEY, None)
        if _other_than_saves(kwargs) or not stored_events or \
                self.datastore.enable_db_functions:
            if key is not None:  # the key before the events, as SQLVault.create does
                with self.datastore.get_connection() as conn:
                    conn.execute(self.insert_key_statement, key)
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.submit((stored_events, key))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                      lte: int | None = None, desc: bool = False, limit: int | None = None
                      ) -> Sequence[StoredEvent]:
        """The library's query, its statement composed once per shape (which of ``gt``,
        ``lte``, ``desc``, ``limit`` are given) instead of on every read."""
        params = [originator_id, *(p for p in (gt, lte, limit) if p is not None)]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            shape = (gt is not None, lte is not None, desc, limit is not None)
            statement = self._select_statements.get(shape)
            if statement is None:
                statement = self._select_statements[shape] = \
                    _select_statement(self.select_events_statement, *shape).as_string(conn)
            curs.execute(statement, params, prepare=True)
            return [StoredEvent(originator_id=row["originator_id"],
                                originator_version=row["originator_version"],
                                topic=row["topic"], state=bytes(row["state"]))
                    for row in curs.fetchall()]

    def insert_batch_function_exists(self) -> bool:
        """Is the insert function this recorder calls there, with the arguments it passes?
        (Created with the tables, or by `casetrack db upgrade` where servers run with
        ``CREATE_TABLE`` off; /readyz asks.)"""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            call = self.insert_batch_statement.as_string(conn)
            name = call[call.index("FROM ") + 5:call.index("(")]
            signature = f"{name}({', '.join(re.findall(r'::([^,)]+)', call))})"
            curs.execute("SELECT to_regprocedure(%s) IS NOT NULL AS found", (signature,))
            row = curs.fetchone()
        return bool(row and row["found"])

    def _insert_batch(self, writes: Sequence[_Write]) -> list[list[int] | Exception]:
        events = [e for write, _ in writes for e in write]
        columns = ([e.originator_id for e in events], [e.originator_version for e in events],
                   [e.topic for e in events], [e.state for e in events])
        keys: list[list[Any]] = [[], [], [], [], []]
        if any(key is not None for _, key in writes):
            for _, key in writes:
                for column, value in zip(keys, key or (None,) * 5, strict=True):
                    column.append(value)
        ids: list[list[int] | None] = [[] for _ in writes]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            statement = self._insert_batch_text
            if statement is None:  # composed once, not on every batch
                statement = self._insert_batch_text = \
                    self.insert_batch_statement.as_string(conn)
            curs.execute(statement,
                         (*columns, [len(w) for w, _ in writes], *(k or None for k in keys)),
                         prepare=True)
            for row in curs.fetchall():
                kept = ids[row["writer"] - 1]
                if row["notification_id"] is None:
                    ids[row["writer"] - 1] = None
                elif kept is not None:
                    kept.append(row["notification_id"])
        return [IntegrityError("a stored event's version is taken (unique violation)")
                if kept is None else kept for kept in ids]


class PostgresFactory(postgres.PostgresFactory):
    """``eventsourcing.postgres``'s factory; its pool connects with the URL's options,
    and its application recorder inserts in one round trip, with group commit."""

    application_recorder_class = PostgresApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        options = self.env.get(CONNECT_OPTIONS)
        if options:
            # The pool is not open yet (eventsourcing opens it on first use), so every
            # connection it makes carries these.
            kwargs = self.datastore.pool.kwargs
            assert isinstance(kwargs, dict)
            kwargs.update(parse_qsl(options))

    # eventsourcing creates its tables, types and functions (``CREATE ... IF NOT EXISTS``,
    # ``CREATE OR REPLACE FUNCTION``) whenever an application starts; two processes doing
    # it at once (granian workers, a second server, the projection worker) can fail with
    # "tuple concurrently updated". A session advisory lock makes them take turns.

    @contextmanager
    def _creating_tables(self) -> Iterator[None]:
        if not self.env_create_table():
            yield
            return
        import psycopg

        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        with psycopg.connect(**kwargs, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (CREATE_TABLES_LOCK,))
            yield  # closing the connection releases the lock

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        with self._creating_tables():
            return super().aggregate_recorder(purpose)

    def application_recorder(self) -> ApplicationRecorder:
        with self._creating_tables():
            return super().application_recorder()

    def tracking_recorder(self, tracking_recorder_class: Any = None) -> Any:
        with self._creating_tables():
            return super().tracking_recorder(tracking_recorder_class)

    def process_recorder(self) -> ProcessRecorder:
        with self._creating_tables():
            return super().process_recorder()


def create_event_store(name: str, env: Mapping[str, str]) -> str:
    """Create application ``name``'s event tables if missing and create or replace its
    insert function, as an application starting with ``CREATE_TABLE`` on does (one
    process at a time): ``casetrack db upgrade``, for servers that run with table creation
    off. Idempotent. Return the function's name."""
    factory = PostgresFactory(Environment(name, {**env, "CREATE_TABLE": "y"}))
    try:
        recorder = factory.application_recorder()
        assert isinstance(recorder, PostgresApplicationRecorder)
        return recorder.insert_batch_function
    finally:
        factory.close()


def _select_statement(select: Composed, gt: bool, lte: bool, desc: bool, limit: bool
                      ) -> Composed:
    """``select`` (the library's ``select_events_statement``: one originator's events)
    with ``eventsourcing.postgres``'s ``select_events`` conditions, order and limit."""
    if gt:
        select += SQL(" AND originator_version > %s")
    if lte:
        select += SQL(" AND originator_version <= %s")
    select += SQL(" ORDER BY originator_version") + SQL(" DESC" if desc else " ASC")
    if limit:
        select += SQL(" LIMIT %s")
    return select


def _other_than_saves(kwargs: dict[str, Any]) -> bool:
    """Does a call carry more than an application's save does (``tracking=None``)?"""
    return any(value is not None for value in kwargs.values())
