"""Connection pools: their sizes as settings, and telling a busy or absent database apart.

Each process opens one pool per store it uses: the event store and the access log
(eventsourcing's psycopg pool), the read models, the vault and the access index
(SQLAlchemy). A pool holds ``size`` connections and opens up to ``overflow`` more under
load, so one server opens at most ``5 × (size + overflow)`` PostgreSQL connections and
the projection worker ``(runners + 2) × (size + overflow)`` — 40 each with the defaults
(2 + 6) and the three runners; connections are opened only as they are needed. A
connection opened under load is kept (psycopg's pool closes it after ten idle minutes):
SQLAlchemy's own overflow closes it as soon as it is returned, so a server answering 8
writing clients opened 43-69 PostgreSQL sessions over 600 events (3 when kept), each a
new backend process and a handshake. A
request that waits ``timeout`` seconds for a connection is answered 503 with
``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_SIZE = 2
DEFAULT_OVERFLOW = 6
DEFAULT_TIMEOUT = 5
DEFAULT_CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class PoolSettings:
    """How many connections a pool keeps and adds, and how long to wait for one."""

    size: int = DEFAULT_SIZE
    overflow: int = DEFAULT_OVERFLOW
    timeout: int = DEFAULT_TIMEOUT
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT

    def engine_options(self, url: str, connect_args: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
        """Return ``create_engine`` keyword arguments for ``url`` (pool sizes and the
        connect timeout on PostgreSQL; SQLite keeps SQLAlchemy's own pool).

        SQLAlchemy's pool keeps ``pool_size`` connections and closes any beyond that when
        returned; it is given room for ``size + overflow``, opened as needed and kept."""
        args = dict(connect_args or {})
        if not url.startswith("postgresql"):
            return {"connect_args": args} if args else {}
        args.setdefault("connect_timeout", self.connect_timeout)
        return {"pool_size": self.size + self.overflow, "max_overflow": 0,
                "pool_timeout": self.timeout, "pool_pre_ping": True, "connect_args": args}

    def event_store_env(self) -> dict[str, str]:
        """Return the eventsourcing PostgreSQL settings for the same limits."""
        # eventsourcing waits POSTGRES_CONNECT_TIMEOUT for a pooled connection.
        return {"POSTGRES_POOL_SIZE": str(self.size),
                "POSTGRES_MAX_OVERFLOW": str(self.overflow),
                "POSTGRES_CONNECT_TIMEOUT": str(self.timeout)}


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_trouble(error: BaseException) -> str | None:
    """Return ``"busy"`` for an exhausted pool or a locked SQLite store, ``"unavailable"``
    for a PostgreSQL server that cannot be reached or dropped the connection (psycopg's
    operational errors: refused, timed out, shut down, terminated), or None otherwise."""
    import sqlite3

    import psycopg
    import sqlalchemy.exc

    causes = list(_chain(error))
    for cause in causes:
        if isinstance(cause, sqlalchemy.exc.TimeoutError) or type(cause).__name__ == \
                "PoolTimeout":
            return "busy"
        if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
            return "busy"
    if any(isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError)
           for cause in causes):
        return "unavailable"
    return None


def first_line(error: BaseException) -> str:
    """Return the first line of an error's message (psycopg's run to several)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
