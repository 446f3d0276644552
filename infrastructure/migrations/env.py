"""Alembic environment: the engine and the part to migrate come from the caller, never
from a file (``infrastructure.migrations.alembic_config``)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import text

config = context.config
# Any 64-bit number of our own: PostgreSQL advisory lock taken for the whole upgrade.
MIGRATION_LOCK = 0x63617365747261  # "casetra"


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    part = config.attributes["part"]

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        """Leave the event store's tables (and every other part's) alone."""
        if type_ == "table":
            return bool(name) and str(name).startswith(part.tables)
        return True

    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Processes starting together migrate one after the other; the lock ends
            # with the transaction the migrations run in.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        context.configure(
            connection=connection, target_metadata=part.metadata(),
            version_table=part.version_table,
            render_as_batch=True, include_name=include_name, compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline (SQL script) migrations are not supported; pass an engine")
run_migrations_online()
