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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

from eventsourcing import postgres
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProcessRecorder,
)

CONNECT_OPTIONS = "POSTGRES_CONNECT_OPTIONS"
# Any 64-bit number of our own ("casetrk"): held while a process creates its tables.
CREATE_TABLES_LOCK = 0x6361736574726B


class PostgresFactory(postgres.PostgresFactory):
    """``eventsourcing.postgres``'s factory; its pool connects with the URL's options."""

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
    # it at once (gunicorn workers, a second server, the projection worker) can fail with
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
