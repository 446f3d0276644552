"""eventsourcing's PostgreSQL factory, given every connection option the database URL has.

eventsourcing builds its connection pool from host, port, database, user and password
only, so ``CASETRACK_DATABASE_URL=postgresql://...?sslmode=require`` would connect without
TLS. ``event_store_env`` puts the URL's other query options (``sslmode``, ``sslrootcert``,
``application_name``, ``options``, ``target_session_attrs``...) in
``POSTGRES_CONNECT_OPTIONS``, and this factory hands them to every pooled connection,
as the SQLAlchemy engines of the read models, vault, index and checkpoints get them
from the URL itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from eventsourcing import postgres

CONNECT_OPTIONS = "POSTGRES_CONNECT_OPTIONS"


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
